package io.kubeless.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The admin API of a running local mode (a Python function, no Kafka). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminApiTest {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static final ObjectMapper JSON = new ObjectMapper();

  private Path dir;
  private LocalPlatform platform;
  private URI admin;

  @BeforeAll
  void start(@TempDir Path tmp) throws Exception {
    dir = tmp;
    Files.writeString(
        dir.resolve("echo.yaml"),
        """
        apiVersion: kubeless.io/v1beta1
        kind: Function
        metadata: {name: echo, labels: {team: demo}}
        spec:
          runtime: python3.12
          handler: echo.handler
          function: |
            def handler(event, context):
                print("got", event["data"], "from", event["event-namespace"], flush=True)
                return event["data"]
        """);
    platform =
        LocalPlatform.start(
            Manifests.load(List.of(dir)),
            new LocalPlatform.Options(
                dir.resolve(".kubeless"),
                Path.of("..", "runtimes"),
                null,
                0,
                new PrintStream(System.out, true, StandardCharsets.UTF_8)));
    admin = platform.adminUrl();
    await().atMost(Duration.ofSeconds(60)).until(() -> platform.ready("default/echo"));
  }

  @AfterAll
  void stop() {
    if (platform != null) {
      platform.close();
    }
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return HTTP.send(
        request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return send(HttpRequest.newBuilder(admin.resolve(path)));
  }

  @Test
  void recordsItsUrlInLocalJson() throws Exception {
    assertThat(admin.toString()).matches("http://127\\.0\\.0\\.1:\\d+/");
    JsonNode state = JSON.readTree(dir.resolve(".kubeless/local.json").toFile());
    assertThat(state.path("admin").asText()).isEqualTo(admin.toString());
  }

  @Test
  void listsAndDescribesFunctions() throws Exception {
    HttpResponse<String> r = get("/api/functions");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode list = JSON.readTree(r.body());
    assertThat(list).hasSize(1);
    JsonNode echo = list.get(0);
    assertThat(echo.path("namespace").asText()).isEqualTo("default");
    assertThat(echo.path("name").asText()).isEqualTo("echo");
    assertThat(echo.path("runtime").asText()).isEqualTo("python3.12");
    assertThat(echo.path("handler").asText()).isEqualTo("echo.handler");
    assertThat(echo.path("ready").asBoolean()).isTrue();
    assertThat(echo.path("pid").asLong())
        .isEqualTo(platform.process("default/echo").orElseThrow().pid());
    assertThat(echo.path("url").asText())
        .isEqualTo(platform.functionUrls().get("default/echo").toString());
    assertThat(echo.path("labels").path("team").asText()).isEqualTo("demo");

    JsonNode one = JSON.readTree(get("/api/functions/default/echo").body());
    assertThat(one).isEqualTo(echo);
    assertThat(JSON.readTree(get("/api/triggers").body())).isEmpty();
  }

  @Test
  void unknownFunctionIs404() throws Exception {
    for (String path :
        List.of(
            "/api/functions/default/nope",
            "/api/functions/other/echo/metrics",
            "/api/functions/default/nope/logs")) {
      HttpResponse<String> r = get(path);
      assertThat(r.statusCode()).as(path).isEqualTo(404);
      assertThat(JSON.readTree(r.body()).path("error").asText()).contains("not found");
    }
    HttpResponse<String> call =
        send(
            HttpRequest.newBuilder(admin.resolve("/api/functions/default/nope/call"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")));
    assertThat(call.statusCode()).isEqualTo(404);
  }

  @Test
  void refusesAForeignOrigin() throws Exception {
    HttpResponse<String> r =
        send(
            HttpRequest.newBuilder(admin.resolve("/api/functions/default/echo/call"))
                .header("Origin", "http://evil.example")
                .POST(HttpRequest.BodyPublishers.ofString("{}")));
    assertThat(r.statusCode()).isEqualTo(403);
  }

  @Test
  void listsTheOneReplicaAndGivesItsLinesAsJson() throws Exception {
    long pid = platform.process("default/echo").orElseThrow().pid();
    JsonNode replicas = JSON.readTree(get("/api/functions/default/echo/replicas").body());
    assertThat(replicas).hasSize(1);
    assertThat(replicas.get(0).path("name").asText()).isEqualTo(String.valueOf(pid));
    assertThat(replicas.get(0).path("ready").asBoolean()).isTrue();
    assertThat(java.time.Instant.parse(replicas.get(0).path("started").asText()))
        .isBefore(java.time.Instant.now());

    HttpResponse<String> call =
        send(
            HttpRequest.newBuilder(admin.resolve("/api/functions/default/echo/call"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("\"replica json\"")));
    assertThat(call.statusCode()).isEqualTo(200);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                get("/api/functions/default/echo/logs?follow=false&format=json&replica=" + pid)
                    .body()
                    .contains(
                        "data: {\"replica\":\"%d\",\"line\":\"got replica json from cli.kubeless.io\"}\n\n"
                            .formatted(pid)));
    HttpResponse<String> other = get("/api/functions/default/echo/logs?replica=nope");
    assertThat(other.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(other.body()).path("error").asText())
        .isEqualTo("no replica \"nope\": local mode runs " + pid);
  }

  @Test
  void peeksNowhereWithoutABrokerOrServer() throws Exception {
    HttpResponse<String> kafka = get("/api/peek/kafka/orders?limit=5");
    assertThat(kafka.statusCode()).isEqualTo(409);
    assertThat(JSON.readTree(kafka.body()).path("error").asText())
        .isEqualTo("local mode runs no Kafka: it starts one with the first KafkaTrigger");
    assertThat(get("/api/peek/nats/orders").statusCode()).isEqualTo(409);
    assertThat(get("/api/peek/kafka/orders?limit=x").statusCode()).isEqualTo(400);
    assertThat(get("/api/peek/mqtt/orders").statusCode()).isEqualTo(404);
  }

  @Test
  void callsTheFunctionAndStreamsTheLineItPrints() throws Exception {
    List<String> events = new CopyOnWriteArrayList<>();
    HttpResponse<InputStream> stream =
        HTTP.send(
            HttpRequest.newBuilder(admin.resolve("/api/functions/default/echo/logs")).build(),
            HttpResponse.BodyHandlers.ofInputStream());
    assertThat(stream.statusCode()).isEqualTo(200);
    assertThat(stream.headers().firstValue("Content-Type").orElse(""))
        .startsWith("text/event-stream");
    Thread reader =
        Thread.ofVirtual()
            .start(
                () -> {
                  try (var in =
                      new BufferedReader(
                          new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null; ) {
                      events.add(line);
                    }
                  } catch (Exception e) {
                    // closed
                  }
                });
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> events.contains(": following"));

      HttpResponse<String> r =
          send(
              HttpRequest.newBuilder(admin.resolve("/api/functions/default/echo/call"))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString("{\"a\": 1}")));
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(JSON.readTree(r.body())).isEqualTo(JSON.readTree("{\"a\": 1}"));
      assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");

      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> events.contains("data: got {'a': 1} from cli.kubeless.io"));
    } finally {
      stream.body().close();
      reader.interrupt();
    }

    // the ring buffer, without following
    HttpResponse<String> tail = get("/api/functions/default/echo/logs?follow=false");
    assertThat(tail.body()).contains("data: got {'a': 1} from cli.kubeless.io\n\n");

    // the runtime's metrics, passed through
    HttpResponse<String> metrics = get("/api/functions/default/echo/metrics");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
    assertThat(metrics.body())
        .contains("function_calls_total{method=\"POST\"}")
        .contains("function_duration_seconds_bucket{method=\"POST\",le=\"+Inf\"}");
  }
}
