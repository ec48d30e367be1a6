package io.kubeless.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's main command as a user runs it: the launcher {@code ./kubeless} (on the CLI this
 * build packaged: nothing to rebuild) runs {@code local up} on a copy of {@code examples/}, the
 * Python and Node.js functions answer, a record published with {@code kubeless topic publish}
 * reaches both through the KafkaTrigger, a message published with {@code kubeless trigger nats
 * publish} (to the nats-server local mode started) reaches the Python one through the NATSTrigger,
 * an edited function file is live again with the new code, and Ctrl-C (SIGINT) leaves no process
 * (function or nats-server) behind.
 */
@Tag("broker")
class LocalUpIT {

  private static final Pattern FUNCTION_LINE =
      Pattern.compile("^ {2}function (\\S+) \\(.*\\) at (\\S+)$");
  private static final Pattern CALLS =
      Pattern.compile("^function_calls_total\\{method=\"POST\"} (\\d+)", Pattern.MULTILINE);

  @TempDir Path dir;

  private final HttpClient http = HttpClient.newHttpClient();
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final Map<String, URI> urls = new ConcurrentHashMap<>();
  private Process up;
  private List<ProcessHandle> started = List.of();

  @AfterEach
  void stop() {
    if (up != null && up.isAlive()) {
      up.destroyForcibly();
    }
    started.forEach(ProcessHandle::destroyForcibly);
  }

  @Test
  void runsTheExamplesDeliversAPublishedRecordAndStopsEverythingOnCtrlC() throws Exception {
    Path root = repositoryRoot();
    Path examples = dir.resolve("examples");
    copy(root.resolve("examples"), examples);
    int kafkaPort = freePort();
    up =
        new ProcessBuilder(
                root.resolve("kubeless").toString(),
                "local",
                "up",
                examples.toString(),
                "--state-dir",
                dir.resolve(".kubeless").toString(),
                "--kafka-port",
                String.valueOf(kafkaPort))
            .directory(root.toFile())
            .redirectErrorStream(true)
            .start();
    Thread.ofPlatform().daemon().start(this::readLines);

    await("both functions ready and the trigger consuming for both")
        .atMost(Duration.ofMinutes(3))
        .until(
            () ->
                urls.containsKey("hello-python")
                    && urls.containsKey("hello-nodejs")
                    && lines.stream().anyMatch(l -> l.contains("[hello-python] ready at"))
                    && lines.stream().anyMatch(l -> l.contains("[hello-nodejs] ready at"))
                    && lines.stream()
                        .anyMatch(l -> l.contains("hello-nodejs=Consuming hello-python=Consuming"))
                    && lines.stream()
                        .anyMatch(
                            l ->
                                l.contains("[nats] trigger default/orders-nats:")
                                    && l.contains("hello-python=Subscribed")));
    assertThat(lines)
        .anyMatch(
            l ->
                l.matches(
                    "^ {2}nats: nats://127\\.0\\.0\\.1:\\d+ \\(local"
                        + " nats-server, data in .*nats\\)$"));
    started = new ArrayList<>(up.descendants().toList());
    assertThat(started).isNotEmpty();

    for (String function : List.of("hello-python", "hello-nodejs")) {
      HttpResponse<String> answer =
          http.send(
              HttpRequest.newBuilder(urls.get(function))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"ann\"}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(answer.statusCode()).as(function).isEqualTo(200);
      // examples/: the Python function greets, the Node.js one echoes the event's data
      assertThat(answer.body())
          .as(function)
          .contains(function.equals("hello-python") ? "hello ann" : "\"name\":\"ann\"");
      assertThat(calls(function)).as(function).isEqualTo(1);
    }

    Process publish =
        new ProcessBuilder(
                root.resolve("kubeless").toString(),
                "topic",
                "publish",
                "--topic",
                "orders",
                "--data",
                "{\"name\":\"kafka\"}",
                "--kafka-bootstrap",
                "127.0.0.1:" + kafkaPort)
            .redirectErrorStream(true)
            .start();
    String said = new String(publish.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(publish.waitFor()).as(said).isZero();

    // each function bound by the trigger gets the record once
    for (String function : List.of("hello-python", "hello-nodejs")) {
      await(function + " invoked by the trigger")
          .atMost(Duration.ofSeconds(60))
          .until(() -> calls(function) == 2);
    }

    for (String function : List.of("hello-python", "hello-nodejs")) {
      assertThat(calls(function)).as(function + ": once per record, no duplicate").isEqualTo(2);
    }

    // NATS: published without --url, to the server the running local mode records
    Process natsPublish =
        new ProcessBuilder(
                root.resolve("kubeless").toString(),
                "trigger",
                "nats",
                "publish",
                "--topic",
                "orders.created",
                "--message",
                "{\"name\":\"nats\"}")
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .start();
    String natsSaid =
        new String(natsPublish.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(natsPublish.waitFor()).as(natsSaid).isZero();
    assertThat(natsSaid).contains("Published [orders.created]");
    await("hello-python invoked by the NATS trigger")
        .atMost(Duration.ofSeconds(60))
        .until(() -> calls("hello-python") == 3);
    assertThat(calls("hello-nodejs")).as("not bound by the NATS trigger").isEqualTo(2);
    List<ProcessHandle> natsServers =
        started.stream()
            .filter(p -> p.info().command().map(c -> c.endsWith("nats-server")).orElse(false))
            .toList();
    assertThat(natsServers).as("the nats-server local mode started").hasSize(1);

    // HTTP: the built-in gateway on the port the summary prints routes /hello to hello-nodejs
    String gateway =
        lines.stream()
            .filter(l -> l.startsWith("  http gateway at "))
            .map(l -> l.substring("  http gateway at ".length(), l.indexOf(" (HTTPTriggers)")))
            .findFirst()
            .orElseThrow();
    HttpResponse<String> routed =
        http.send(
            HttpRequest.newBuilder(URI.create(gateway + "hello"))
                .header("Content-Type", "application/json")
                .header("Origin", "https://shop.example.com")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"web\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(routed.statusCode()).as(routed.body()).isEqualTo(200);
    assertThat(routed.body()).contains("\"name\":\"web\"");
    assertThat(routed.headers().firstValue("Access-Control-Allow-Origin")).isPresent();
    assertThat(calls("hello-nodejs")).as("once through the gateway").isEqualTo(3);
    // cron: scheduled on the Java function (its per-minute firing is LocalCronTriggerTest's)
    assertThat(lines)
        .contains("  cron trigger hello-every-minute: schedule * * * * * -> hello-java");
    // once the Java function is up: its first start compiles it, minutes on a busy machine
    await("the cron trigger scheduled")
        .atMost(Duration.ofMinutes(3))
        .until(
            () ->
                lines.stream()
                    .anyMatch(
                        l ->
                            l.startsWith("[cron] trigger default/hello-every-minute:")
                                && l.endsWith("hello-java=Scheduled")));

    // an edited function file restarts that function, on the same URL, with the new code
    Path python = examples.resolve("hello-python.yaml");
    Files.writeString(python, Files.readString(python).replace("\"hello \"", "\"hi \""));
    await("the edited Python function answering")
        .atMost(Duration.ofSeconds(30))
        .until(() -> greeting("hello-python").contains("hi ann"));
    assertThat(lines).anyMatch(l -> l.contains("hello-python changed"));
    started.addAll(up.descendants().toList());

    new ProcessBuilder("kill", "-INT", String.valueOf(up.pid())).start().waitFor();
    assertThat(up.waitFor(60, TimeUnit.SECONDS)).as("local up ends on SIGINT").isTrue();
    await("no function or nats-server process left")
        .atMost(Duration.ofSeconds(10))
        .until(() -> started.stream().noneMatch(ProcessHandle::isAlive));
    assertThat(natsServers).noneMatch(ProcessHandle::isAlive);
    assertThat(lines).contains("stopped");
    assertThat(dir.resolve(".kubeless/local.json")).doesNotExist();
  }

  /**
   * A local up killed outright (SIGKILL: no chance to stop anything) leaves its function's runtime
   * and its nats-server running with no parent; the next local up on the same state directory stops
   * them before it starts its own, and its own Ctrl-C leaves nothing.
   */
  @Test
  void aKilledLocalUpLeavesNothingRunningOnceStartedAgain() throws Exception {
    Path root = repositoryRoot();
    Path manifests = pythonAndNats(root);
    up = localUp(root, manifests);
    Thread.ofPlatform().daemon().start(this::readLines);
    awaitPythonAndNats();
    List<ProcessHandle> first = up.descendants().toList();
    assertThat(first)
        .as("the Python runtime and the nats-server")
        .anyMatch(p -> p.info().command().map(c -> c.endsWith("nats-server")).orElse(false))
        .anyMatch(
            p ->
                p.info()
                    .arguments()
                    .map(a -> String.join(" ", a))
                    .orElse("")
                    .contains("_kubeless.py"));
    started = new ArrayList<>(first);
    Path state = dir.resolve(".kubeless/local.json");
    await("local.json written")
        .atMost(Duration.ofSeconds(30))
        .until(() -> Files.exists(state) && Files.readString(state).contains("nats-server"));

    up.destroyForcibly(); // SIGKILL
    assertThat(up.waitFor(30, TimeUnit.SECONDS)).isTrue();
    // what a killed local mode leaves: its children, running on
    assertThat(first).allMatch(ProcessHandle::isAlive);
    assertThat(state).exists();

    lines.clear();
    urls.clear();
    up = localUp(root, manifests);
    Thread.ofPlatform().daemon().start(this::readLines);
    awaitPythonAndNats();
    assertThat(lines)
        .anyMatch(
            l ->
                l.startsWith("stopping function default/hello-python (pid ")
                    && l.endsWith("left running by a local mode that did not stop cleanly"))
        .anyMatch(l -> l.startsWith("stopping nats-server (pid "));
    assertThat(first).as("the killed local up's processes").noneMatch(ProcessHandle::isAlive);
    assertThat(greeting("hello-python")).contains("hello ann");

    List<ProcessHandle> second = up.descendants().toList();
    started.addAll(second);
    new ProcessBuilder("kill", "-INT", String.valueOf(up.pid())).start().waitFor();
    assertThat(up.waitFor(60, TimeUnit.SECONDS)).as("local up ends on SIGINT").isTrue();
    await("no function or nats-server process left")
        .atMost(Duration.ofSeconds(10))
        .until(() -> second.stream().noneMatch(ProcessHandle::isAlive));
    assertThat(dir.resolve(".kubeless/local.json")).doesNotExist();
  }

  /**
   * The same, killed during its start-up (before its admin API answers): local.json names what it
   * had started by then, and the next local up stops it.
   */
  @Test
  void aLocalUpKilledDuringItsStartUpLeavesNothingRunningOnceStartedAgain() throws Exception {
    Path root = repositoryRoot();
    Path manifests = pythonAndNats(root);
    // started after hello-python (files in name order): its dependencies never finish
    // installing, pip waiting on an index that takes the connection and never answers
    Path withDeps = manifests.resolve("waits-for-deps.yaml");
    Files.writeString(
        withDeps,
        """
        apiVersion: kubeless.io/v1beta1
        kind: Function
        metadata:
          name: waits-for-deps
        spec:
          runtime: python3.12
          handler: hello.handler
          deps: |
            requests
          function: |
            def handler(event, context):
                return "hello"
        """);
    try (ServerSocket silent = new ServerSocket(0)) {
      List<Socket> held = new CopyOnWriteArrayList<>();
      Thread.ofVirtual()
          .start(
              () -> {
                try {
                  while (true) {
                    held.add(silent.accept());
                  }
                } catch (IOException e) {
                  // closed by the test
                }
              });
      up =
          localUp(
              root,
              manifests,
              Map.of(
                  "PIP_INDEX_URL",
                  "http://127.0.0.1:" + silent.getLocalPort() + "/simple",
                  "PIP_TIMEOUT",
                  "600"));
      Thread.ofPlatform().daemon().start(this::readLines);
      await("the start-up waiting on waits-for-deps' dependencies")
          .atMost(Duration.ofMinutes(3))
          .until(() -> lines.stream().anyMatch(l -> l.startsWith("[waits-for-deps] installing")));
      Path state = dir.resolve(".kubeless/local.json");
      Map<String, ProcessHandle> recorded = new ConcurrentHashMap<>();
      // the install is recorded as it starts, just after that line
      await("local.json naming the install")
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                recorded.clear();
                JsonNode json = new ObjectMapper().readTree(state.toFile());
                assertThat(json.path("admin").isNull())
                    .as("no admin API yet: still starting")
                    .isTrue();
                json.path("processes")
                    .forEach(
                        p ->
                            ProcessHandle.of(p.path("pid").asLong())
                                .ifPresent(h -> recorded.put(p.path("what").asText(), h)));
                return recorded.size() == 3;
              });
      assertThat(recorded.keySet())
          .as("what the start-up had started when it was killed")
          .containsExactlyInAnyOrder(
              "function default/hello-python",
              "dependency install of function default/waits-for-deps",
              "nats-server");
      List<ProcessHandle> processes = List.copyOf(recorded.values());
      started = new ArrayList<>(up.descendants().toList());
      // the install's own processes too (pip, waiting on the silent index)
      ProcessHandle installer =
          recorded.get("dependency install of function default/waits-for-deps");
      List<ProcessHandle> install =
          Stream.concat(Stream.of(installer), installer.descendants()).toList();

      up.destroyForcibly(); // SIGKILL, during the start-up
      assertThat(up.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(processes).hasSize(3).allMatch(ProcessHandle::isAlive);
      assertThat(install).allMatch(ProcessHandle::isAlive);

      Files.delete(withDeps);
      lines.clear();
      urls.clear();
      up = localUp(root, manifests, Map.of());
      Thread.ofPlatform().daemon().start(this::readLines);
      awaitPythonAndNats();
      assertThat(lines)
          .anyMatch(l -> l.startsWith("stopping function default/hello-python (pid "))
          .anyMatch(l -> l.startsWith("stopping nats-server (pid "))
          .anyMatch(
              l -> l.startsWith("stopping dependency install of function default/waits-for-deps"));
      assertThat(processes).as("the killed start-up's processes").noneMatch(ProcessHandle::isAlive);
      assertThat(install).as("the install's processes").noneMatch(ProcessHandle::isAlive);
      assertThat(greeting("hello-python")).contains("hello ann");
      started.addAll(up.descendants().toList());
      new ProcessBuilder("kill", "-INT", String.valueOf(up.pid())).start().waitFor();
      assertThat(up.waitFor(60, TimeUnit.SECONDS)).as("local up ends on SIGINT").isTrue();
      for (Socket socket : held) {
        socket.close();
      }
    }
  }

  /** A folder with the Python example and the NATS trigger bound to it. */
  private Path pythonAndNats(Path root) throws IOException {
    Path manifests = dir.resolve("manifests");
    Files.createDirectories(manifests);
    for (String file : List.of("hello-python.yaml", "nats-trigger.yaml")) {
      Files.copy(root.resolve("examples").resolve(file), manifests.resolve(file));
    }
    return manifests;
  }

  private Process localUp(Path root, Path manifests) throws IOException {
    return localUp(root, manifests, Map.of());
  }

  private Process localUp(Path root, Path manifests, Map<String, String> env) throws IOException {
    ProcessBuilder builder =
        new ProcessBuilder(
                root.resolve("kubeless").toString(),
                "local",
                "up",
                manifests.toString(),
                "--state-dir",
                dir.resolve(".kubeless").toString())
            .directory(root.toFile())
            .redirectErrorStream(true);
    builder.environment().putAll(env);
    return builder.start();
  }

  private void awaitPythonAndNats() {
    await("hello-python ready and the NATS trigger subscribed for it")
        .atMost(Duration.ofMinutes(3))
        .until(
            () ->
                urls.containsKey("hello-python")
                    && lines.stream().anyMatch(l -> l.contains("[hello-python] ready at"))
                    && lines.stream()
                        .anyMatch(
                            l ->
                                l.contains("[nats] trigger default/orders-nats:")
                                    && l.contains("hello-python=Subscribed")));
  }

  /** The function's answer to {"name":"ann"}, or the failure while it restarts. */
  private String greeting(String function) {
    try {
      return http.send(
              HttpRequest.newBuilder(urls.get(function))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"ann\"}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (IOException | InterruptedException e) {
      return e.toString();
    }
  }

  /** Reads the one log stream of local up, noting each function's URL from its summary. */
  private void readLines() {
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(up.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = reader.readLine()) != null; ) {
        lines.add(line);
        Matcher m = FUNCTION_LINE.matcher(line);
        if (m.matches()) {
          urls.put(m.group(1), URI.create(m.group(2)));
        }
      }
    } catch (IOException e) {
      lines.add("reading failed: " + e);
    }
  }

  /** The function's POST invocations, from its runtime's /metrics. */
  private int calls(String function) throws Exception {
    String metrics =
        http.send(
                HttpRequest.newBuilder(urls.get(function).resolve("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    Matcher m = CALLS.matcher(metrics);
    return m.find() ? Integer.parseInt(m.group(1)) : 0;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static Path repositoryRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.exists(p.resolve("mvnw")) && Files.isDirectory(p.resolve("examples"))) {
        return p;
      }
    }
    throw new IllegalStateException("no repository root above " + Path.of("").toAbsolutePath());
  }

  private static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path source : (Iterable<Path>) files::iterator) {
        Path target = to.resolve(from.relativize(source).toString());
        if (Files.isDirectory(source)) {
          Files.createDirectories(target);
        } else {
          Files.copy(source, target);
        }
      }
    }
  }
}
