package io.kubeless.http.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.kubeless.testing.RecordingFunction;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.function.InMemoryFunctionDirectory;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway in front of real HTTP servers: the project's {@link RecordingFunction}, and a JDK
 * server that reads and writes its bodies piece by piece to prove they are streamed.
 */
class GatewayTest {

  private static final String NS = "gateway-test";
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static Vertx vertx;

  private final InMemoryFunctionDirectory directory = new InMemoryFunctionDirectory();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private Gateway gateway;
  private int port;

  @BeforeAll
  static void vertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void closeVertx() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @BeforeEach
  void start() {
    gateway = gateway(GatewaySettings.defaults().at("127.0.0.1", 0));
    port = gateway.start();
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closing.reversed()) {
      c.close();
    }
    http.close();
  }

  private Gateway gateway(GatewaySettings settings) {
    Gateway g = new Gateway(vertx, directory, settings, registry);
    closing.add(g);
    return g;
  }

  private RecordingFunction function(String name, boolean ready, Duration timeout)
      throws IOException {
    RecordingFunction f = new RecordingFunction(name);
    closing.add(f);
    directory.put(f.endpoint(NS, Map.of(), ready, timeout));
    return f;
  }

  private RecordingFunction function(String name) throws IOException {
    return function(name, true, Duration.ofSeconds(5));
  }

  private static TriggerId trigger(String name) {
    return new TriggerId(NS, name);
  }

  private HttpRequest.Builder request(String path, String... headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(TIMEOUT);
    if (headers.length > 0) {
      b.headers(headers);
    }
    return b;
  }

  private HttpResponse<String> get(String path, String... headers) throws Exception {
    return http.send(request(path, headers).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String body, String... headers) throws Exception {
    return http.send(
        request(path, headers).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String basic(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void passesTheRequestWithAFreshEventIdPerRequestAndAnswersWithTheFunctionsResponse()
      throws Exception {
    RecordingFunction hello = function("hello");
    hello.respond(r -> "hi there".getBytes(StandardCharsets.UTF_8));
    hello.answer(r -> 201);
    gateway.put(Route.of(trigger("web"), "/", "hello"));

    HttpResponse<String> first =
        post(
            "/orders?x=1",
            "{\"a\":1}",
            "Content-Type",
            "application/json",
            "event-id",
            "forged",
            "X-Custom",
            "kept");
    HttpResponse<String> second = post("/orders", "plain", "Content-Type", "text/plain");

    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(first.body()).isEqualTo("hi there");
    assertThat(first.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
    assertThat(second.statusCode()).isEqualTo(201);
    assertThat(hello.received()).isEqualTo(2);
    RecordingFunction.Request one = hello.requests().get(0);
    RecordingFunction.Request two = hello.requests().get(1);
    assertThat(one.body()).asString(StandardCharsets.UTF_8).isEqualTo("{\"a\":1}");
    assertThat(UUID.fromString(one.eventId())).isNotNull();
    assertThat(one.eventId()).isNotEqualTo("forged").isNotEqualTo(two.eventId());
    assertThat(one.headers())
        .containsEntry("event-namespace", "httptriggers.kubeless.io")
        .containsEntry("event-type", "application/json")
        .containsEntry("content-type", "application/json")
        .containsEntry("x-custom", "kept")
        .containsEntry("x-forwarded-for", "127.0.0.1")
        .containsEntry("x-forwarded-proto", "http")
        .containsEntry("x-forwarded-host", "127.0.0.1:" + port)
        .containsEntry("ce-specversion", "1.0")
        .containsEntry("ce-id", one.eventId())
        .containsEntry(
            "ce-source", "/apis/kubeless.io/v1beta1/namespaces/" + NS + "/httptriggers/web");
    assertThat(Instant.parse(one.headers().get("event-time"))).isNotNull();
    assertThat(two.headers()).containsEntry("event-type", "text/plain");
  }

  @Test
  void basicAuthWantsTheCredentialsOfTheHtpasswd() throws Exception {
    RecordingFunction hello = function("hello");
    Htpasswd users =
        Htpasswd.parse(
            "alice:" + HtpasswdTest.APR1 + "\nerin:" + "$2y$" + HtpasswdTest.BCRYPT.substring(4));
    gateway.put(
        new Route(trigger("private"), Instant.EPOCH, null, "/private", "hello", false, users));

    HttpResponse<String> none = get("/private");
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("WWW-Authenticate"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("Basic realm=\"private\""));
    assertThat(get("/private", "Authorization", basic("alice", "wrong")).statusCode())
        .isEqualTo(401);
    assertThat(get("/private", "Authorization", basic("mallory", "secret")).statusCode())
        .isEqualTo(401);
    assertThat(get("/private", "Authorization", "Bearer abc").statusCode()).isEqualTo(401);
    assertThat(hello.received()).isZero();

    assertThat(get("/private", "Authorization", basic("alice", "secret")).statusCode())
        .isEqualTo(200);
    assertThat(post("/private/x", "b", "Authorization", basic("erin", "U*U")).statusCode())
        .isEqualTo(200);
    assertThat(get("/private", "Authorization", basic("erin", "U*V")).statusCode()).isEqualTo(401);
    assertThat(hello.received()).isEqualTo(2);
  }

  @Test
  void corsAnswersPreflightsAndAllowsAnyOriginOnResponses() throws Exception {
    RecordingFunction hello = function("hello");
    hello.respond(r -> "ok".getBytes(StandardCharsets.UTF_8));
    gateway.put(new Route(trigger("cors"), Instant.EPOCH, null, "/api", "hello", true, null));

    HttpResponse<String> preflight =
        http.send(
            request(
                    "/api/items",
                    "Origin",
                    "https://app.example",
                    "Access-Control-Request-Method",
                    "PUT",
                    "Access-Control-Request-Headers",
                    "content-type, x-token")
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(preflight.statusCode()).isEqualTo(204);
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Methods"))
        .hasValueSatisfying(v -> assertThat(v).contains("PUT"));
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Headers"))
        .hasValue("content-type, x-token");
    assertThat(preflight.headers().firstValue("Access-Control-Max-Age")).isPresent();
    assertThat(hello.received()).isZero();

    HttpResponse<String> simple = get("/api/items", "Origin", "https://app.example");
    assertThat(simple.statusCode()).isEqualTo(200);
    assertThat(simple.body()).isEqualTo("ok");
    assertThat(simple.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
    assertThat(hello.received()).isEqualTo(1);
  }

  /**
   * 10 MB each way, and neither held whole: the function gets the first bytes while the client
   * still holds back the rest of its body, and the client gets the first bytes of the response
   * while the function still holds back the rest of it. A gateway that buffered either body would
   * wait forever here.
   */
  @Test
  void streamsTenMegabytesBothWays() throws Exception {
    int size = 10 * 1024 * 1024;
    int head = 1024 * 1024;
    byte[] payload = new byte[size];
    new Random(42).nextBytes(payload);
    CompletableFuture<Void> functionGotFirstBytes = new CompletableFuture<>();
    CompletableFuture<Void> clientGotFirstBytes = new CompletableFuture<>();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    closing.add(() -> server.stop(0));
    server.createContext(
        "/",
        exchange -> {
          MessageDigest sha = sha256();
          long count = 0;
          byte[] buffer = new byte[64 * 1024];
          try (InputStream in = exchange.getRequestBody()) {
            for (int n; (n = in.read(buffer)) > 0; ) {
              functionGotFirstBytes.complete(null);
              count += n;
              sha.update(buffer, 0, n);
            }
          }
          exchange
              .getResponseHeaders()
              .set("X-Received", count + " " + HexFormat.of().formatHex(sha.digest()));
          exchange.sendResponseHeaders(200, 0);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(payload, 0, head);
            out.flush();
            clientGotFirstBytes.get(30, TimeUnit.SECONDS);
            out.write(payload, head, size - head);
          } catch (Exception e) {
            throw new IOException(e);
          }
        });
    server.start();
    directory.put(
        new io.kubeless.trigger.function.FunctionEndpoint(
            NS,
            "stream",
            URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/"),
            Duration.ofSeconds(60),
            true,
            Map.of()));
    gateway.put(Route.of(trigger("stream"), "/stream", "stream"));

    InputStream body =
        new InputStream() {
          private int at;

          @Override
          public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
          }

          @Override
          public int read(byte[] b, int off, int len) {
            if (at == head) {
              // the rest only once the function has started receiving
              functionGotFirstBytes.orTimeout(30, TimeUnit.SECONDS).join();
            }
            if (at >= size) {
              return -1;
            }
            int n = Math.min(len, (at < head ? head : size) - at);
            System.arraycopy(payload, at, b, off, n);
            at += n;
            return n;
          }
        };
    HttpResponse<InputStream> response =
        http.send(
            request("/stream/upload", "Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> body))
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("X-Received"))
        .hasValue(size + " " + HexFormat.of().formatHex(sha256().digest(payload)));
    MessageDigest received = sha256();
    long total = 0;
    try (InputStream in = response.body()) {
      byte[] buffer = new byte[64 * 1024];
      for (int n; (n = in.read(buffer)) > 0; ) {
        clientGotFirstBytes.complete(null);
        received.update(buffer, 0, n);
        total += n;
      }
    }
    assertThat(total).isEqualTo(size);
    assertThat(received.digest()).isEqualTo(sha256().digest(payload));
  }

  @Test
  void anUnknownHostOrPathIs404() throws Exception {
    RecordingFunction hello = function("hello");
    gateway.put(
        new Route(trigger("web"), Instant.EPOCH, "example.com", "/hello", "hello", false, null));

    assertThat(get("/hello").statusCode()).isEqualTo(404);
    assertThat(get("/hello", "Host", "example.com").statusCode()).isEqualTo(200);
    assertThat(get("/hellox", "Host", "example.com").statusCode()).isEqualTo(404);
    assertThat(get("/other", "Host", "example.com").statusCode()).isEqualTo(404);
    assertThat(hello.received()).isEqualTo(1);
  }

  @Test
  void aFunctionMissingNotReadyOrRefusingIs503WithRetryAfter() throws Exception {
    gateway.put(Route.of(trigger("missing"), "/missing", "nobody"));
    HttpResponse<String> missing = post("/missing", "x");
    assertThat(missing.statusCode()).isEqualTo(503);
    assertThat(missing.headers().firstValue("Retry-After")).hasValue("5");
    assertThat(missing.body()).contains("does not exist");

    RecordingFunction down = function("down", false, Duration.ofSeconds(5));
    gateway.put(Route.of(trigger("down"), "/down", "down"));
    HttpResponse<String> notReady = post("/down", "x");
    assertThat(notReady.statusCode()).isEqualTo(503);
    assertThat(notReady.headers().firstValue("Retry-After")).hasValue("5");
    assertThat(notReady.body()).contains("no ready endpoint");

    // ready by the directory, but its port refuses: provably not reached, so 503 too
    directory.put(down.endpoint(NS, Map.of(), true));
    down.down();
    HttpResponse<String> refused = post("/down", "x");
    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(refused.headers().firstValue("Retry-After")).hasValue("5");
    assertThat(down.received()).isZero();
  }

  @Test
  void aFunctionSlowerThanItsTimeoutIs504AndIsNotRetried() throws Exception {
    RecordingFunction slow = function("slow", true, Duration.ofSeconds(1));
    slow.delay(Duration.ofSeconds(4));
    gateway.put(Route.of(trigger("slow"), "/slow", "slow"));

    HttpResponse<String> response = post("/slow", "x");

    assertThat(response.statusCode()).isEqualTo(504);
    assertThat(response.body()).contains("did not answer within 2s");
    assertThat(slow.received()).isEqualTo(1);
  }

  @Test
  void aBodyOverTheLimitIs413() throws Exception {
    Gateway small =
        gateway(GatewaySettings.defaults().at("127.0.0.1", 0).withMaxBodyBytes(1 << 20));
    int smallPort = small.start();
    RecordingFunction hello = function("hello");
    small.put(Route.of(trigger("web"), "/", "hello"));
    URI uri = URI.create("http://127.0.0.1:" + smallPort + "/upload");
    byte[] big = new byte[(1 << 20) + 1];

    HttpResponse<String> declared =
        http.send(
            HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofByteArray(big)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(declared.statusCode()).isEqualTo(413);
    assertThat(hello.received()).isZero();

    // chunked: counted as it streams
    HttpResponse<String> chunked =
        http.send(
            HttpRequest.newBuilder(uri)
                .POST(
                    HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(big)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(chunked.statusCode()).isEqualTo(413);

    HttpResponse<String> fits =
        http.send(
            HttpRequest.newBuilder(uri)
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[1 << 20]))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(fits.statusCode()).isEqualTo(200);
    await()
        .atMost(TIMEOUT)
        .until(() -> hello.requests().stream().anyMatch(r -> r.body().length == 1 << 20));
  }

  @Test
  void routesByHostThenLongestPrefixOnSegmentBoundaries() throws Exception {
    RecordingFunction apiOfHost = function("api-of-host");
    RecordingFunction rootOfHost = function("root-of-host");
    RecordingFunction api = function("api");
    RecordingFunction v2 = function("v2");
    gateway.put(
        new Route(trigger("a"), Instant.EPOCH, "example.com", "/api", "api-of-host", false, null));
    gateway.put(
        new Route(trigger("b"), Instant.EPOCH, "Example.com", "/", "root-of-host", false, null));
    gateway.put(Route.of(trigger("c"), "api", "api"));
    gateway.put(Route.of(trigger("d"), "/api/v2/", "v2"));

    assertThat(get("/api/x", "Host", "EXAMPLE.com:8080").statusCode()).isEqualTo(200);
    assertThat(get("/apix", "Host", "example.com").statusCode()).isEqualTo(200);
    assertThat(get("/api/x", "Host", "other.example").statusCode()).isEqualTo(200);
    assertThat(get("/api/v2", "Host", "other.example").statusCode()).isEqualTo(200);
    assertThat(get("/api/v2/items", "Host", "other.example").statusCode()).isEqualTo(200);
    assertThat(get("/api/v2x", "Host", "other.example").statusCode()).isEqualTo(200);
    assertThat(get("/elsewhere", "Host", "other.example").statusCode()).isEqualTo(404);

    assertThat(apiOfHost.received()).isEqualTo(1);
    assertThat(rootOfHost.received()).isEqualTo(1);
    assertThat(api.received()).isEqualTo(2);
    assertThat(v2.received()).isEqualTo(2);
  }

  @Test
  void anOlderTriggerKeepsAHostAndPathAndTheYoungerOneReportsAConflict() throws Exception {
    RecordingFunction first = function("first");
    RecordingFunction second = function("second");
    Instant now = Instant.now();
    gateway.put(new Route(trigger("young"), now, null, "/same", "second", false, null));
    gateway.put(
        new Route(trigger("old"), now.minusSeconds(60), null, "/same/", "first", false, null));

    assertThat(gateway.problem(trigger("old"))).isEmpty();
    assertThat(gateway.problem(trigger("young")))
        .hasValueSatisfying(
            p -> {
              assertThat(p.reason()).isEqualTo(RouteProblem.CONFLICT);
              assertThat(p.message()).contains("*/same").contains(NS + "/old");
            });
    assertThat(get("/same").statusCode()).isEqualTo(200);
    assertThat(first.received()).isEqualTo(1);

    gateway.remove(trigger("old"));
    assertThat(gateway.problem(trigger("young"))).isEmpty();
    assertThat(get("/same").statusCode()).isEqualTo(200);
    assertThat(second.received()).isEqualTo(1);
  }

  @Test
  void twoGatewaysOverTheSameRoutesBothServe() throws Exception {
    RecordingFunction hello = function("hello");
    Gateway replica = gateway(GatewaySettings.defaults().at("127.0.0.1", 0));
    int replicaPort = replica.start();
    Route route = Route.of(trigger("web"), "/hello", "hello");
    gateway.put(route);
    replica.put(route);

    assertThat(get("/hello").statusCode()).isEqualTo(200);
    HttpResponse<String> other =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + replicaPort + "/hello"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(other.statusCode()).isEqualTo(200);
    assertThat(replicaPort).isNotEqualTo(port);
    assertThat(hello.received()).isEqualTo(2);
    assertThat(hello.distinct()).isEqualTo(2);
  }

  @Test
  void recordsPerRouteMetricsAndDropsThemWithTheRoute() throws Exception {
    function("hello");
    gateway.put(Route.of(trigger("web"), "/", "hello"));
    gateway.put(Route.of(trigger("gone"), "/gone", "nobody"));

    assertThat(get("/x").statusCode()).isEqualTo(200);
    assertThat(get("/gone").statusCode()).isEqualTo(503);

    assertThat(count("kubeless.trigger.http.requests", "web", "status", "2xx")).isEqualTo(1);
    assertThat(count("kubeless.trigger.http.requests", "gone", "status", "5xx")).isEqualTo(1);
    assertThat(count("kubeless.trigger.invocations", "web", "outcome", "success")).isEqualTo(1);
    assertThat(count("kubeless.trigger.invocations", "gone", "outcome", "unavailable"))
        .isEqualTo(1);
    assertThat(
            registry
                .get("kubeless.trigger.http.request.duration")
                .tags("namespace", NS, "trigger", "web", "function", "hello")
                .timer()
                .count())
        .isEqualTo(1);
    assertThat(
            registry
                .get("kubeless.trigger.http.requests.in.flight")
                .tags("trigger", "web")
                .gauge()
                .value())
        .isZero();

    gateway.remove(trigger("web"));
    assertThat(registry.find("kubeless.trigger.http.requests").tags("trigger", "web").meters())
        .isEmpty();
    assertThat(get("/x").statusCode()).isEqualTo(404);
  }

  @Test
  void aClientLeavingIsCountedAndItsFunctionRequestIsCut() throws Exception {
    RecordingFunction slow = function("slow", true, Duration.ofSeconds(30));
    slow.delay(Duration.ofSeconds(3));
    gateway.put(Route.of(trigger("slow"), "/slow", "slow"));

    CompletableFuture<HttpResponse<String>> pending =
        http.sendAsync(
            request("/slow").POST(HttpRequest.BodyPublishers.ofString("x")).build(),
            HttpResponse.BodyHandlers.ofString());
    await().atMost(TIMEOUT).until(() -> slow.received() == 1);
    pending.cancel(true);

    await("the gateway counting the client that left")
        .atMost(TIMEOUT)
        .until(() -> count("kubeless.trigger.http.requests", "slow", "status", "4xx") == 1);
    assertThat(
            registry
                .get("kubeless.trigger.http.requests.in.flight")
                .tags("trigger", "slow")
                .gauge()
                .value())
        .isZero();
  }

  private double count(String name, String trigger, String tag, String value) {
    return registry.get(name).tags("trigger", trigger, tag, value).counter().count();
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
