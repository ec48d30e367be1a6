package io.kubeless.runtime.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubeless.trigger.invoke.Invoker;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runtime contract every runtime must keep, run against the real runtime process. A runtime's
 * test extends this class and ships the same set of functions under {@code
 * src/test/resources/functions/}: {@code hello}, {@code echo}, {@code event}, {@code fail}, {@code
 * loop}, {@code sleepy}, {@code deps} and {@code broken}, each with handler {@code handler}; and
 * {@code overlap}, which waits a second without using the CPU and returns {@code "<start> <end>"}
 * (epoch milliseconds).
 */
public abstract class RuntimeContractTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir protected Path tmp;

  private final List<RuntimeProcess> started = new ArrayList<>();

  /** The runtime's folder, holding {@code run} and {@code install}. */
  protected Path runtimeDir() {
    return Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
  }

  /** The source file suffix of this language, e.g. {@code .py}. */
  protected abstract String suffix();

  /** The dependency file the install step reads, e.g. {@code requirements.txt}. */
  protected abstract String depsFile();

  /**
   * Writes into {@code volume} a dependency file (and whatever local package it names) that makes
   * the {@code deps} function's import resolvable, without needing a network.
   */
  protected abstract void writeDependencies(Path volume) throws IOException;

  /** MOD_NAME of a test function; Java overrides it because its class names are capitalised. */
  protected String moduleName(String function) {
    return function;
  }

  /** Whether the handler can return objects that the runtime JSON-encodes (Java returns String). */
  protected boolean returnsObjects() {
    return true;
  }

  /** Extra environment of the runtime process. */
  protected Map<String, String> runtimeEnv() {
    return Map.of();
  }

  /** Extra environment of the install step. */
  protected Map<String, String> installEnv() {
    return Map.of();
  }

  @AfterEach
  void stopRuntimes() {
    started.forEach(RuntimeProcess::close);
  }

  @Test
  void servesHelloWorldOnAnyPathAndMethod() throws Exception {
    RuntimeProcess runtime = start("hello", Map.of());

    assertThat(runtime.get("/").body()).isEqualTo("hello world");
    HttpResponse<String> post = runtime.post("/any/path?x=1", "ignored");
    assertThat(post.statusCode()).isEqualTo(200);
    assertThat(post.body()).isEqualTo("hello world");
    HttpResponse<String> put =
        runtime.send(
            HttpRequest.newBuilder(runtime.uri("/other"))
                .PUT(HttpRequest.BodyPublishers.ofString("x"))
                .build());
    assertThat(put.body()).isEqualTo("hello world");
  }

  @Test
  void echoesJsonDataParsedAndEncodedAgain() throws Exception {
    RuntimeProcess runtime = start("echo", Map.of());
    String payload = "{\"name\":\"kubeless\",\"list\":[1,2.5,true,null],\"nested\":{\"a\":\"ü\"}}";

    HttpResponse<String> response = runtime.post("/", payload, "Content-Type", "application/json");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(response.body())).isEqualTo(JSON.readTree(payload));
    if (returnsObjects()) {
      assertThat(response.headers().firstValue("Content-Type"))
          .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
    }
  }

  @Test
  void echoesNonJsonDataAsText() throws Exception {
    RuntimeProcess runtime = start("echo", Map.of());
    String payload = "plain text, not {json}: ünïcödé\nsecond line";

    HttpResponse<String> response =
        runtime.post("/", payload, "Content-Type", "text/plain; charset=utf-8");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo(payload);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("text/plain"));
  }

  @Test
  void passesEventHeadersAndContextToTheHandler() throws Exception {
    RuntimeProcess runtime =
        start(
            "event",
            Map.of("FUNC_TIMEOUT", "42", "FUNC_RUNTIME", "test9", "FUNC_MEMORY_LIMIT", "128Mi"));

    JsonNode event =
        JSON.readTree(
            runtime
                .post(
                    "/some/path",
                    "{}",
                    "Content-Type",
                    "application/json",
                    "event-id",
                    "orders-0-42",
                    "event-type",
                    "application/json",
                    "event-time",
                    "2024-05-01T10:00:00Z",
                    "event-namespace",
                    "kafkatriggers.kubeless.io")
                .body());

    assertThat(event.path("event-id").asText()).isEqualTo("orders-0-42");
    assertThat(event.path("event-type").asText()).isEqualTo("application/json");
    assertThat(event.path("event-time").asText()).isEqualTo("2024-05-01T10:00:00Z");
    assertThat(event.path("event-namespace").asText()).isEqualTo("kafkatriggers.kubeless.io");
    assertThat(event.path("function-name").asText()).isEqualTo("handler");
    assertThat(event.path("timeout").asDouble()).isEqualTo(42.0);
    assertThat(event.path("runtime").asText()).isEqualTo("test9");
    assertThat(event.path("memory-limit").asText()).isEqualTo("128Mi");
    if (event.has("method")) {
      assertThat(event.path("method").asText()).isEqualTo("POST");
      assertThat(event.path("path").asText()).isEqualTo("/some/path");
    }
  }

  @Test
  void generatesEventDefaultsWhenHeadersAreAbsent() throws Exception {
    RuntimeProcess runtime = start("event", Map.of());

    JsonNode first = JSON.readTree(runtime.post("/", "x", "Content-Type", "text/plain").body());
    JsonNode second = JSON.readTree(runtime.post("/", "x", "Content-Type", "text/plain").body());

    assertThat(first.path("event-id").asText()).isNotBlank();
    assertThat(first.path("event-id").asText()).isNotEqualTo(second.path("event-id").asText());
    assertThat(first.path("event-type").asText()).isEqualTo("text/plain");
    assertThat(OffsetDateTime.parse(first.path("event-time").asText())).isNotNull();
    assertThat(first.path("event-namespace").asText()).isNotBlank();
  }

  @Test
  void loadsDependenciesInstalledByTheInstallStep() throws Exception {
    Path volume = volume();
    writeDependencies(volume);

    int exit = RuntimeProcess.install(runtimeDir(), volume, depsFile(), installEnv());

    assertThat(exit).as(installLog(volume)).isZero();
    RuntimeProcess runtime = start("deps", Map.of());
    assertThat(runtime.get("/").body()).isEqualTo("DEPS!");
  }

  @Test
  void installSucceedsWithoutDependencies() throws Exception {
    Path volume = volume();
    assertThat(RuntimeProcess.install(runtimeDir(), volume, depsFile(), installEnv()))
        .as("no dependency file: " + installLog(volume))
        .isZero();

    Files.writeString(volume.resolve(depsFile()), "");
    assertThat(RuntimeProcess.install(runtimeDir(), volume, depsFile(), installEnv()))
        .as("empty dependency file: " + installLog(volume))
        .isZero();
  }

  @Test
  void stopsARunawayHandlerAfterTheTimeoutAndKeepsServing() throws Exception {
    RuntimeProcess runtime = start("loop", Map.of("FUNC_TIMEOUT", "2"));
    Path ticks = volume().resolve("ticks");

    CompletableFuture<HttpResponse<String>> runaway = runtime.postAsync("/", "spin");
    await("the runaway handler is running")
        .atMost(Duration.ofSeconds(10))
        .until(() -> Files.exists(ticks));

    HttpResponse<String> meanwhile = runtime.post("/", "quick");
    assertThat(meanwhile.body()).isEqualTo("ok");
    assertThat(runaway).isNotDone();
    assertThat(runaway.get().statusCode()).isEqualTo(408);

    assertStopsTicking(ticks);

    HttpResponse<String> after = runtime.post("/", "quick");
    assertThat(after.statusCode()).isEqualTo(200);
    assertThat(after.body()).isEqualTo("ok");
    assertThat(runtime.isAlive()).as("the server was not restarted").isTrue();
  }

  @Test
  void answers500AndLogsTheErrorButNotThePayloadWhenTheHandlerThrows() throws Exception {
    RuntimeProcess runtime = start("fail", Map.of());

    HttpResponse<String> response = runtime.post("/", "secret-payload-4711");

    assertThat(response.statusCode()).isEqualTo(500);
    await("the error is logged")
        .atMost(Duration.ofSeconds(10))
        .until(() -> runtime.log().contains("intentional failure"));
    assertThat(runtime.log()).doesNotContain("secret-payload-4711");
    assertThat(runtime.get("/healthz").statusCode()).isEqualTo(200);
  }

  @Test
  void servesTwentyConcurrentRequests() throws Exception {
    RuntimeProcess runtime = start("sleepy", Map.of());

    List<CompletableFuture<HttpResponse<String>>> responses =
        IntStream.range(0, 20)
            .mapToObj(i -> runtime.postAsync("/", "request-" + i, "Content-Type", "text/plain"))
            .toList();

    for (int i = 0; i < responses.size(); i++) {
      HttpResponse<String> response = responses.get(i).get();
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("request-" + i);
    }
  }

  /**
   * Slow I/O-bound handlers run at once, and a handler's timeout counts its own run, not time spent
   * waiting for a free slot: 20 one-second handlers with a 3-second timeout all answer, all running
   * at the same moment.
   */
  @Test
  void runsTwentyOneSecondHandlersConcurrentlyWithinAThreeSecondTimeout() throws Exception {
    RuntimeProcess runtime = start("overlap", Map.of("FUNC_TIMEOUT", "3"));

    assertRunTogether(runtime, 20);
  }

  /**
   * Sends {@code count} concurrent requests to a function answering {@code "<start> <end>"} and
   * asserts that all answer 200 and that all the handlers were running at one moment.
   */
  protected static void assertRunTogether(RuntimeProcess runtime, int count) throws Exception {
    List<CompletableFuture<HttpResponse<String>>> responses =
        IntStream.range(0, count).mapToObj(i -> runtime.postAsync("/", "request-" + i)).toList();

    long lastStart = Long.MIN_VALUE;
    long firstEnd = Long.MAX_VALUE;
    for (CompletableFuture<HttpResponse<String>> future : responses) {
      HttpResponse<String> response = future.get();
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      String[] startEnd = response.body().trim().split(" ");
      lastStart = Math.max(lastStart, Long.parseLong(startEnd[0]));
      firstEnd = Math.min(firstEnd, Long.parseLong(startEnd[1]));
    }
    assertThat(lastStart)
        .as("the last of %d handlers started before the first one ended", count)
        .isLessThan(firstEnd);
  }

  @Test
  void countsCallsFailuresAndDurationsInMetrics() throws Exception {
    RuntimeProcess runtime = start("fail", Map.of());
    runtime.post("/", "a");
    runtime.post("/", "b");
    runtime.get("/");

    String metrics = runtime.get("/metrics").body();

    assertThat(metric(metrics, "function_calls_total", "POST")).isEqualTo(2.0);
    assertThat(metric(metrics, "function_calls_total", "GET")).isEqualTo(1.0);
    assertThat(metric(metrics, "function_failures_total", "POST")).isEqualTo(2.0);
    assertThat(metric(metrics, "function_duration_seconds_count", "POST")).isEqualTo(2.0);
    assertThat(metrics).contains("# TYPE function_duration_seconds histogram");
    assertThat(metrics).containsPattern("function_duration_seconds_bucket\\{.*le=\"\\+Inf\"");
  }

  @Test
  void rejectsBodiesOverTheConfiguredLimit() throws Exception {
    RuntimeProcess runtime = start("hello", Map.of("REQ_MB_LIMIT", "1"));

    HttpResponse<String> tooLarge = runtime.post("/", "x".repeat(2 * 1024 * 1024));
    HttpResponse<String> fits = runtime.post("/", "x".repeat(512 * 1024));

    assertThat(tooLarge.statusCode()).isEqualTo(413);
    assertThat(fits.statusCode()).isEqualTo(200);
  }

  /**
   * One access log line per invocation on the runtime's output, in the Common Log Format followed
   * by the duration in seconds: {@code <client> - - [<time>] "<METHOD> <path?query> HTTP/1.1"
   * <status> <body bytes> <seconds>}. {@code /healthz} and {@code /metrics} are not logged (probes
   * and scrapes would drown the invocations).
   */
  @Test
  void logsOneAccessLinePerInvocation() throws Exception {
    RuntimeProcess runtime = start("echo", Map.of());
    runtime.post("/orders/7?full=1", "abcd", "Content-Type", "text/plain");
    runtime.get("/healthz");
    runtime.get("/metrics");
    RuntimeProcess failing = start("fail", Map.of());
    failing.get("/boom");

    Pattern line =
        Pattern.compile(
            "(?m)^\\S+ - - \\[[^\\]]+\\] \"POST /orders/7\\?full=1 HTTP/1\\.1\" 200 4 (\\d+(\\.\\d+)?)$");
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(runtime.log()).containsPattern(line);
              assertThat(failing.log())
                  .containsPattern(
                      Pattern.compile(
                          "(?m)^\\S+ - - \\[[^\\]]+\\] \"GET /boom HTTP/1\\.1\" 500 \\d+ \\d"));
            });
    assertThat(runtime.log()).doesNotContain("GET /healthz").doesNotContain("GET /metrics");
  }

  /**
   * The trigger keeps a connection idle for its keep-alive timeout and then closes it itself; the
   * runtime must keep an idle connection open for longer, with a margin of 10 s (the client evicts
   * expired connections lazily), or a trigger's request could be written to a connection the
   * runtime is closing (such a request may or may not have arrived, and is never sent again).
   */
  @Test
  void keepsAnIdleConnectionOpenLongerThanTheTriggersKeepAlive() throws Exception {
    RuntimeProcess runtime = start("hello", Map.of());
    Duration longest = Invoker.Options.defaults().keepAliveTimeout().plusSeconds(10);
    try (Socket socket = new Socket(runtime.uri("/").getHost(), runtime.uri("/").getPort())) {
      assertThat(exchange(socket)).as("a kept-alive answer, with a length").isEqualTo(200);
      InputStream in = socket.getInputStream();

      // the connection is idle now: the runtime must not close it before the trigger would
      socket.setSoTimeout((int) longest.toMillis());
      long idleSince = System.nanoTime();
      try {
        int read = in.read();
        Duration idle = Duration.ofNanos(System.nanoTime() - idleSince);
        assertThat(read)
            .as("the runtime closed an idle connection after %s", idle)
            .isNotEqualTo(-1);
      } catch (SocketTimeoutException e) {
        // still open after the trigger's keep-alive and a margin
      }
    }
  }

  /**
   * A client with more keep-alive connections than a server's usual idle limit (the JDK's is 200),
   * as the HTTP gateway or a busy trigger has: every connection stays open for its next request. A
   * server that closes one of them right after a response, without {@code Connection: close}, makes
   * the client send its next request on a closing connection, where it fails after it may have been
   * read.
   */
  @Test
  void keepsEveryKeepAliveConnectionOfABusyClientOpen() throws Exception {
    RuntimeProcess runtime = start("hello", Map.of());
    List<Socket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < 300; i++) {
        Socket socket = new Socket(runtime.uri("/").getHost(), runtime.uri("/").getPort());
        socket.setSoTimeout(30_000);
        sockets.add(socket);
        assertThat(exchange(socket)).as("first request on connection %d", i).isEqualTo(200);
      }
      // all of them are idle now, and each takes a second request
      for (int i = 0; i < sockets.size(); i++) {
        assertThat(exchange(sockets.get(i)))
            .as("second request on connection %d", i)
            .isEqualTo(200);
      }
    } finally {
      for (Socket socket : sockets) {
        socket.close();
      }
    }
  }

  /**
   * One keep-alive GET on {@code socket}: the response's status, or -1 if the connection closed.
   */
  private static int exchange(Socket socket) throws IOException {
    try {
      socket
          .getOutputStream()
          .write(
              "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n"
                  .getBytes(StandardCharsets.US_ASCII));
      InputStream in = socket.getInputStream();
      String head = readHead(in);
      Matcher status = Pattern.compile("^HTTP/1\\.1 (\\d{3})").matcher(head);
      Matcher length = Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
      if (!status.find() || !length.find()) {
        return -1;
      }
      in.readNBytes(Integer.parseInt(length.group(1)));
      return Integer.parseInt(status.group(1));
    } catch (IOException e) {
      return -1;
    }
  }

  private static String readHead(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      head.append((char) b);
    }
    return head.toString();
  }

  @Test
  void healthzAnswersOk() throws Exception {
    RuntimeProcess runtime = start("hello", Map.of());

    assertThat(runtime.get("/healthz").statusCode()).isEqualTo(200);
  }

  @Test
  void healthzFailsWhenTheModuleIsMissing() throws Exception {
    RuntimeProcess runtime = startRaw(moduleName("nope"), "handler");

    assertFailsToLoad(runtime, moduleName("nope"));
  }

  @Test
  void healthzFailsWhenTheHandlerIsMissing() throws Exception {
    copyFunction("hello");
    RuntimeProcess runtime = startRaw(moduleName("hello"), "missingHandler");

    assertFailsToLoad(runtime, "missingHandler");
  }

  @Test
  void healthzFailsWhenTheModuleDoesNotCompile() throws Exception {
    copyFunction("broken");
    RuntimeProcess runtime = startRaw(moduleName("broken"), "handler");

    HttpResponse<String> health = assertFailsToLoad(runtime, moduleName("broken"));
    assertThat(health.body()).containsIgnoringCase("error");
  }

  /**
   * Asserts that the function writing {@code ticks} has really stopped: the file settles and then
   * stays unchanged for a second.
   */
  protected static void assertStopsTicking(Path ticks) {
    AtomicReference<String> last = new AtomicReference<>("");
    await("the runaway handler stops ticking")
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(300))
        .until(() -> read(ticks).equals(last.getAndSet(read(ticks))));
    String stopped = read(ticks);
    await("no tick after it stopped")
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(3))
        .until(() -> read(ticks).equals(stopped));
  }

  private HttpResponse<String> assertFailsToLoad(RuntimeProcess runtime, String reason)
      throws Exception {
    HttpResponse<String> health = runtime.get("/healthz");
    assertThat(health.statusCode()).isEqualTo(500);
    assertThat(health.body()).contains(reason);
    assertThat(runtime.post("/", "x").statusCode()).isEqualTo(500);
    return health;
  }

  /** Copies a test function into the install volume and starts the runtime on it. */
  protected RuntimeProcess start(String function, Map<String, String> env) throws IOException {
    copyFunction(function);
    return startRaw(moduleName(function), "handler", env);
  }

  private RuntimeProcess startRaw(String module, String handler) throws IOException {
    return startRaw(module, handler, Map.of());
  }

  private RuntimeProcess startRaw(String module, String handler, Map<String, String> env)
      throws IOException {
    Map<String, String> all = new java.util.HashMap<>(runtimeEnv());
    all.putAll(env);
    RuntimeProcess runtime = RuntimeProcess.start(runtimeDir(), volume(), module, handler, all);
    started.add(runtime);
    return runtime;
  }

  /** The install volume of this test (created on first use). */
  protected Path volume() throws IOException {
    return Files.createDirectories(tmp.resolve("kubeless"));
  }

  private void copyFunction(String function) throws IOException {
    String file = moduleName(function) + suffix();
    try (InputStream in = getClass().getResourceAsStream("/functions/" + file)) {
      assertThat(in).as("test function " + file).isNotNull();
      Files.copy(in, volume().resolve(file));
    }
  }

  private static double metric(String metrics, String name, String method) {
    Matcher matcher =
        Pattern.compile("^" + name + "\\{method=\"" + method + "\"\\} (\\S+)$", Pattern.MULTILINE)
            .matcher(metrics);
    assertThat(matcher.find()).as(name + " for " + method + " in\n" + metrics).isTrue();
    return Double.parseDouble(matcher.group(1));
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String installLog(Path volume) {
    try {
      return Files.readString(volume.resolveSibling("install.log"));
    } catch (IOException e) {
      return "(no install log)";
    }
  }
}
