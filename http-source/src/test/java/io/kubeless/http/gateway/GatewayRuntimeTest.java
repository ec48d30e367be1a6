package io.kubeless.http.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubeless.runtime.testing.RuntimeProcess;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.function.FunctionEndpoint;
import io.kubeless.trigger.function.InMemoryFunctionDirectory;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway end to end against a real runtime process: the Python runtime started through its
 * launcher ({@code runtimes/python/run}), as local mode and the function pod start it.
 */
class GatewayRuntimeTest {

  private static final String NS = "gateway-runtime";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String HANDLER =
      """
      import time

      def handler(event, context):
          request = event["extensions"]["request"]
          if request.path.endswith("/echo"):
              return request.body.getvalue()
          if request.path.endswith("/slow"):
              time.sleep(5)
              return "late"
          data = event["data"]
          return {
              "event-id": event["event-id"],
              "event-namespace": event["event-namespace"],
              "event-type": event["event-type"],
              "path": request.path,
              "query": request.query_string,
              "forwarded-for": request.get_header("x-forwarded-for"),
              "data": data if isinstance(data, (str, dict, list)) else None,
          }
      """;

  @TempDir static Path volume;
  private static RuntimeProcess runtime;
  private static Vertx vertx;
  private static final InMemoryFunctionDirectory directory = new InMemoryFunctionDirectory();
  private static Gateway gateway;
  private static Gateway replica;
  private static final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void start() throws Exception {
    Files.writeString(volume.resolve("gw.py"), HANDLER);
    runtime =
        RuntimeProcess.start(
            Path.of("..", "runtimes", "python"),
            volume,
            "gw",
            "handler",
            Map.of("REQ_MB_LIMIT", "20"));
    directory.put(
        new FunctionEndpoint(NS, "py", runtime.uri("/"), Duration.ofSeconds(1), true, Map.of()));
    vertx = Vertx.vertx();
    gateway = gateway();
    replica = gateway();
    for (Gateway g : new Gateway[] {gateway, replica}) {
      g.put(Route.of(new TriggerId(NS, "hello"), "hello", "py"));
      g.put(
          new Route(
              new TriggerId(NS, "private"),
              Instant.EPOCH,
              null,
              "/private",
              "py",
              true,
              Htpasswd.parse(
                  "alice:"
                      + HtpasswdTest.APR1
                      + "\nerin:$2y$"
                      + HtpasswdTest.BCRYPT.substring(4))));
      g.put(Route.of(new TriggerId(NS, "down"), "/down", "stopped"));
    }
  }

  private static Gateway gateway() {
    Gateway g =
        new Gateway(
            vertx,
            directory,
            GatewaySettings.defaults().at("127.0.0.1", 0),
            new SimpleMeterRegistry());
    g.start();
    return g;
  }

  @AfterAll
  static void stop() throws Exception {
    gateway.close();
    replica.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    runtime.close();
  }

  private static HttpResponse<String> send(Gateway to, HttpRequest.Builder request)
      throws Exception {
    return http.send(
        request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpRequest.Builder at(Gateway g, String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + path));
  }

  @Test
  void theRuntimeSeesThePathUnderTheRouteTheQueryAndAFreshEventIdPerRequest() throws Exception {
    HttpResponse<String> first =
        send(
            gateway,
            at(gateway, "/hello/a/b?x=1&y=2")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"n\":1}")));
    HttpResponse<String> second = send(gateway, at(gateway, "/hello").GET());

    assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
    JsonNode one = JSON.readTree(first.body());
    assertThat(one.path("path").asText()).isEqualTo("/a/b");
    assertThat(one.path("query").asText()).isEqualTo("x=1&y=2");
    assertThat(one.path("event-namespace").asText()).isEqualTo("httptriggers.kubeless.io");
    assertThat(one.path("event-type").asText()).isEqualTo("application/json");
    assertThat(one.path("forwarded-for").asText()).isEqualTo("127.0.0.1");
    assertThat(one.at("/data/n").asInt()).isEqualTo(1);
    JsonNode two = JSON.readTree(second.body());
    assertThat(two.path("path").asText()).isEqualTo("/");
    assertThat(one.path("event-id").asText())
        .isNotBlank()
        .isNotEqualTo(two.path("event-id").asText());
  }

  @Test
  void basicAuthAndCorsInFrontOfTheRuntime() throws Exception {
    assertThat(send(gateway, at(gateway, "/private").GET()).statusCode()).isEqualTo(401);
    assertThat(
            send(
                    gateway,
                    at(gateway, "/private").header("Authorization", basic("alice", "nope")).GET())
                .statusCode())
        .isEqualTo(401);
    HttpResponse<String> alice =
        send(
            gateway,
            at(gateway, "/private").header("Authorization", basic("alice", "secret")).GET());
    assertThat(alice.statusCode()).isEqualTo(200);
    assertThat(alice.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
    assertThat(
            send(
                    gateway,
                    at(gateway, "/private").header("Authorization", basic("erin", "U*U")).GET())
                .statusCode())
        .isEqualTo(200);

    HttpResponse<String> preflight =
        send(
            gateway,
            at(gateway, "/private/x")
                .header("Origin", "https://app.example")
                .header("Access-Control-Request-Method", "POST")
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));
    assertThat(preflight.statusCode()).isEqualTo(204);
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
  }

  @Test
  void tenMegabytesGoToTheRuntimeAndComeBackUnchanged() throws Exception {
    byte[] payload = new byte[10_000_000];
    new Random(7).nextBytes(payload);
    HttpResponse<byte[]> response =
        http.send(
            at(gateway, "/hello/echo")
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(payload))
                .timeout(Duration.ofSeconds(60))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).hasSize(payload.length).isEqualTo(payload);
  }

  @Test
  void unknownRouteIs404AndAStoppedFunctionIs503() throws Exception {
    assertThat(send(gateway, at(gateway, "/nothing-here").GET()).statusCode()).isEqualTo(404);
    // a second runtime, stopped: its address refuses connections
    Path other = Files.createDirectories(volume.resolve("other"));
    Files.writeString(other.resolve("gw.py"), HANDLER);
    URI stoppedUrl;
    try (RuntimeProcess stopped =
        RuntimeProcess.start(
            Path.of("..", "runtimes", "python"), other, "gw", "handler", Map.of())) {
      stoppedUrl = stopped.uri("/");
    }
    directory.put(
        new FunctionEndpoint(NS, "stopped", stoppedUrl, Duration.ofSeconds(1), true, Map.of()));
    HttpResponse<String> down = send(gateway, at(gateway, "/down").GET());
    assertThat(down.statusCode()).isEqualTo(503);
    assertThat(down.headers().firstValue("Retry-After")).isPresent();
    directory.put(
        new FunctionEndpoint(NS, "stopped", stoppedUrl, Duration.ofSeconds(1), false, Map.of()));
    assertThat(send(gateway, at(gateway, "/down").GET()).statusCode()).isEqualTo(503);
  }

  @Test
  void aHandlerSlowerThanTheFunctionsTimeoutIs504() throws Exception {
    HttpResponse<String> response = send(gateway, at(gateway, "/hello/slow").GET());
    assertThat(response.statusCode()).isEqualTo(504);
  }

  @Test
  void twoGatewayReplicasServeTheSameRoutes() throws Exception {
    HttpResponse<String> a = send(gateway, at(gateway, "/hello/x").GET());
    HttpResponse<String> b = send(replica, at(replica, "/hello/x").GET());
    assertThat(a.statusCode()).isEqualTo(200);
    assertThat(b.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(a.body()).path("event-id").asText())
        .isNotEqualTo(JSON.readTree(b.body()).path("event-id").asText());
  }

  private static String basic(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }
}
