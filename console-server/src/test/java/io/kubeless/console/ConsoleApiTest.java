package io.kubeless.console;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.containsStringIgnoringCase;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.startsWith;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kubeless.api.v1beta1.BoundFunctionStatus;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.KafkaTrigger;
import io.kubeless.api.v1beta1.KafkaTriggerSpec;
import io.kubeless.api.v1beta1.TriggerStatus;
import io.kubeless.testing.RecordingFunction;
import io.kubeless.testing.Repository;
import io.kubeless.testing.TestFunctions;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The console's API on the mock API server in CRUD mode, with real HTTP functions: what the console
 * lists, writes, calls and streams, and who may.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class ConsoleApiTest {

  private static final String TOKEN = "test-token";

  @Inject KubernetesClient client;
  @KubernetesTestServer KubernetesServer server;

  private final List<RecordingFunction> functions = new ArrayList<>();
  private final List<com.sun.net.httpserver.HttpServer> servers = new ArrayList<>();

  @BeforeEach
  void crds() throws Exception {
    for (String plural : List.of("functions", "kafkatriggers")) {
      try (InputStream in = Files.newInputStream(Repository.crd(plural))) {
        var crd = Serialization.unmarshal(in, CustomResourceDefinition.class);
        if (client.resource(crd).get() == null) {
          client.resource(crd).create();
        }
      }
    }
  }

  @AfterEach
  void stopFunctions() {
    functions.forEach(RecordingFunction::close);
    servers.forEach(server -> server.stop(0));
    client.pods().inNamespace("kubeless").delete();
  }

  private static RequestSpecification api() {
    return given().header("Authorization", "Bearer " + TOKEN);
  }

  private RecordingFunction function(String ns, String name) throws Exception {
    RecordingFunction f = new RecordingFunction(name);
    functions.add(f);
    TestFunctions.create(client, ns, f, Map.of("app", name), true);
    return f;
  }

  @Test
  void listsAndDescribesTheFunctions() throws Exception {
    String ns = TestFunctions.unique("list");
    RecordingFunction f = function(ns, "hello");

    api()
        .get("/api/functions")
        .then()
        .statusCode(200)
        .body("find { it.namespace == '" + ns + "' }.name", equalTo("hello"))
        .body("find { it.namespace == '" + ns + "' }.ready", equalTo(true))
        .body("find { it.namespace == '" + ns + "' }.runtime", equalTo("python3.12"));
    api()
        .get("/api/functions/" + ns + "/hello")
        .then()
        .statusCode(200)
        .body("handler", equalTo("handler.handle"))
        .body("timeout", equalTo(5))
        .body("labels.app", equalTo("hello"))
        .body("reason", equalTo("DeploymentAvailable"))
        .body("url", equalTo("http://127.0.0.1:" + f.url().getPort()));
    api()
        .get("/api/functions/" + ns + "/nope")
        .then()
        .statusCode(404)
        .body("error", containsString("\"nope\" not found"));
    api().get("/api/runtimes").then().statusCode(200).body("name", hasItem("python3.12"));
  }

  @Test
  void everyApiRequestNeedsTheToken() {
    given().get("/api").then().statusCode(401).body("error", containsString("not authenticated"));
    given().get("/api/").then().statusCode(401);
    given().get("/api/functions/x/y/call").then().statusCode(401);
    given().header("Authorization", "Bearer wrong").get("/api/functions").then().statusCode(401);
    api().get("/api").then().statusCode(200).body("functions", equalTo("/api/functions"));
    api().get("/api/").then().statusCode(200).body("functions", equalTo("/api/functions"));

    given()
        .contentType("application/json")
        .body("{\"token\": \"wrong\"}")
        .post("/api/login")
        .then()
        .statusCode(401);
    String cookie =
        given()
            .contentType("application/json")
            .body("{\"token\": \"" + TOKEN + "\"}")
            .post("/api/login")
            .then()
            .statusCode(204)
            .header("Set-Cookie", containsStringIgnoringCase("HttpOnly"))
            .header("Set-Cookie", containsString("SameSite=Strict"))
            .extract()
            .cookie(ConsoleAuth.COOKIE);
    given().cookie(ConsoleAuth.COOKIE, cookie).get("/api/functions").then().statusCode(200);
  }

  @Test
  void aWriteFromAnotherOriginIsRefused() {
    String ns = TestFunctions.unique("origin");
    String cookie = login();
    String body = functionYaml(ns, "guarded", "10");
    given()
        .cookie(ConsoleAuth.COOKIE, cookie)
        .header("Origin", "https://evil.example")
        .body(body)
        .put("/api/resources/functions/" + ns + "/guarded")
        .then()
        .statusCode(403);
    // a browser always names the page's origin on a write: none, with only a cookie, is refused
    given()
        .cookie(ConsoleAuth.COOKIE, cookie)
        .body(body)
        .put("/api/resources/functions/" + ns + "/guarded")
        .then()
        .statusCode(403);
    api()
        .header("Origin", "https://evil.example")
        .body(body)
        .delete("/api/resources/functions/" + ns + "/guarded")
        .then()
        .statusCode(403);
    assertThat(client.resources(Function.class).inNamespace(ns).withName("guarded").get()).isNull();

    given()
        .cookie(ConsoleAuth.COOKIE, cookie)
        .header("Origin", "http://localhost:" + io.restassured.RestAssured.port)
        .body(body)
        .put("/api/resources/functions/" + ns + "/guarded")
        .then()
        .statusCode(201);
  }

  @Test
  void putCreatesThenReplacesAndDeleteRemoves() {
    String ns = TestFunctions.unique("put");
    api()
        .contentType("application/yaml")
        .body(functionYaml(ns, "edited", "10").getBytes(StandardCharsets.UTF_8))
        .put("/api/resources/functions/" + ns + "/edited")
        .then()
        .statusCode(201)
        .body("kind", equalTo("Function"))
        .body("resource.spec.timeout", equalTo("10"));
    api()
        .contentType("application/yaml")
        .body(functionYaml(ns, "edited", "20").getBytes(StandardCharsets.UTF_8))
        .put("/api/resources/functions/" + ns + "/edited")
        .then()
        .statusCode(200)
        .body("resource.spec.timeout", equalTo("20"));
    assertThat(
            client
                .resources(Function.class)
                .inNamespace(ns)
                .withName("edited")
                .get()
                .getSpec()
                .getTimeout())
        .isEqualTo("20");
    api()
        .get("/api/resources/functions")
        .then()
        .statusCode(200)
        .body("findAll { it.namespace == '" + ns + "' }.name", equalTo(List.of("edited")));
    api()
        .get("/api/resources/functions/" + ns + "/edited")
        .then()
        .statusCode(200)
        .body("resource.metadata.name", equalTo("edited"));

    api()
        .delete("/api/resources/functions/" + ns + "/edited")
        .then()
        .statusCode(200)
        .body("deleted.name", equalTo("edited"));
    assertThat(client.resources(Function.class).inNamespace(ns).withName("edited").get()).isNull();
    api().delete("/api/resources/functions/" + ns + "/edited").then().statusCode(404);
    api().get("/api/resources/functions/" + ns + "/edited").then().statusCode(404);
  }

  @Test
  void anInvalidBodyIsA400AndAStaleVersionA409() {
    String ns = TestFunctions.unique("invalid");
    String path = "/api/resources/functions/" + ns + "/bad";
    api()
        .body("{not: [yaml")
        .put(path)
        .then()
        .statusCode(400)
        .body("error", startsWith("the body is not JSON or YAML"));
    api()
        .body("kind: KafkaTrigger\nmetadata: {name: bad}\n")
        .put(path)
        .then()
        .statusCode(400)
        .body("error", equalTo("the body is a KafkaTrigger, not a Function"));
    api()
        .body(functionYaml(ns, "other", "10"))
        .put(path)
        .then()
        .statusCode(400)
        .body("error", containsString("metadata.name \"other\""));
    api()
        .body(functionYaml(ns, "bad", "soon"))
        .put(path)
        .then()
        .statusCode(400)
        .body("error", containsString("InvalidTimeout"));
    api()
        .body(functionYaml(ns, "bad", "10"))
        .put("/api/resources/gadgets/" + ns + "/bad")
        .then()
        .statusCode(404);
    assertThat(client.resources(Function.class).inNamespace(ns).list().getItems()).isEmpty();

    api().body(functionYaml(ns, "bad", "10")).put(path).then().statusCode(201);
    String version =
        client
            .resources(Function.class)
            .inNamespace(ns)
            .withName("bad")
            .get()
            .getMetadata()
            .getResourceVersion();
    api().body(functionYaml(ns, "bad", "11", version)).put(path).then().statusCode(200);
    // written over a version that is no longer the stored one
    api().body(functionYaml(ns, "bad", "12", version)).put(path).then().statusCode(409);
    assertThat(
            client
                .resources(Function.class)
                .inNamespace(ns)
                .withName("bad")
                .get()
                .getSpec()
                .getTimeout())
        .isEqualTo("11");
  }

  @Test
  void aCallReachesTheFunctionsServiceWithTheEventHeaders() throws Exception {
    String ns = TestFunctions.unique("call");
    RecordingFunction f = function(ns, "echo");
    f.respond(r -> ("got " + new String(r.body(), StandardCharsets.UTF_8)).getBytes());
    f.answer(r -> 201);

    api()
        .contentType("application/json")
        .header("X-Custom", "yes")
        .body("{\"a\": 1}")
        .post("/api/functions/" + ns + "/echo/call?x=1")
        .then()
        .statusCode(201)
        .body(equalTo("got {\"a\": 1}"));
    assertThat(f.requests())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.eventId()).hasSize(11);
              assertThat(r.headers())
                  .containsEntry("event-namespace", "cli.kubeless.io")
                  .containsEntry("event-type", "application/json")
                  .containsEntry("x-custom", "yes")
                  .containsKey("event-time")
                  .doesNotContainKey("authorization");
            });
  }

  @Test
  void noCallReachesAFunctionThatDoesNotExist() throws Exception {
    String ns = TestFunctions.unique("nocall");
    RecordingFunction f = function(ns, "real");
    api().post("/api/functions/" + ns + "/ghost/call").then().statusCode(404);
    api().post("/api/functions/other-" + ns + "/real/call").then().statusCode(404);
    assertThat(f.received()).isZero();
  }

  @Test
  void replicasLogsAndMetricsComeFromTheFunctionsPods() throws Exception {
    String ns = TestFunctions.unique("pods");
    RecordingFunction f = function(ns, "counted");
    f.respond(
        r ->
            """
            # HELP function_calls_total Calls.
            # TYPE function_calls_total counter
            function_calls_total{method="GET"} 3.0
            function_duration_seconds_bucket{le="+Inf"} 2
            """
                .getBytes());
    pod(ns, "counted-a", "counted", true);
    pod(ns, "counted-b", "counted", true);
    pod(ns, "counted-c", "counted", false);
    pod(ns, "unrelated", "other", true);

    api()
        .get("/api/functions/" + ns + "/counted/replicas")
        .then()
        .statusCode(200)
        .body("name", equalTo(List.of("counted-a", "counted-b", "counted-c")))
        .body("ready", equalTo(List.of(true, true, false)));

    String metrics =
        api()
            .get("/api/functions/" + ns + "/counted/metrics")
            .then()
            .statusCode(200)
            .extract()
            .asString();
    assertThat(metrics)
        .contains("# TYPE function_calls_total counter\n")
        .contains("function_calls_total{method=\"GET\"} 6\n")
        .contains("function_duration_seconds_bucket{le=\"+Inf\"} 4\n");
    assertThat(f.received()).isEqualTo(2); // the ready replicas only

    for (String pod : List.of("counted-a", "counted-b")) {
      server
          .expect()
          .get()
          .withPath("/api/v1/namespaces/" + ns + "/pods/" + pod + "/log?pretty=false&tailLines=5")
          .andReturn(200, "line one of " + pod + "\nline two of " + pod + "\n")
          .always();
    }
    String events =
        api()
            .get("/api/functions/" + ns + "/counted/logs?tail=5&follow=false&format=json")
            .then()
            .statusCode(200)
            .header("Content-Type", startsWith("text/event-stream"))
            .extract()
            .asString();
    assertThat(events.lines().filter(l -> l.startsWith("data: ")))
        .hasSize(4)
        .contains("data: {\"replica\":\"counted-a\",\"line\":\"line two of counted-a\"}")
        .contains("data: {\"replica\":\"counted-b\",\"line\":\"line one of counted-b\"}");
    String one =
        api()
            .get("/api/functions/" + ns + "/counted/logs?tail=5&follow=false&replica=counted-b")
            .then()
            .statusCode(200)
            .extract()
            .asString();
    assertThat(one.lines().filter(l -> l.startsWith("data: ")))
        .containsExactly("data: line one of counted-b", "data: line two of counted-b");
    // following: the pod's stream, until it ends (here the mock's answer ends it)
    server
        .expect()
        .get()
        .withPath(
            "/api/v1/namespaces/" + ns + "/pods/counted-a/log?pretty=false&tailLines=5&follow=true")
        .andReturn(200, "live one\nlive two\n")
        .always();
    String live =
        api()
            .get("/api/functions/" + ns + "/counted/logs?tail=5&replica=counted-a")
            .then()
            .statusCode(200)
            .extract()
            .asString();
    assertThat(live.lines().filter(l -> l.startsWith("data: ")))
        .containsExactly("data: live one", "data: live two");
    api().get("/api/functions/" + ns + "/counted/logs?replica=unrelated").then().statusCode(404);
  }

  @Test
  void triggersShowTheirBindingsAsTheEngineNamesThem() {
    String ns = TestFunctions.unique("triggers");
    KafkaTrigger t = new KafkaTrigger();
    t.setMetadata(new ObjectMetaBuilder().withName("orders").withNamespace(ns).build());
    KafkaTriggerSpec spec = new KafkaTriggerSpec();
    spec.setTopic("orders");
    t.setSpec(spec);
    KafkaTrigger created = client.resource(t).create();
    // two replicas of the Kafka trigger controller, each with its share of the binding's counts
    String series =
        """
        # TYPE kubeless_trigger_events_received_total counter
        kubeless_trigger_events_received_total{function="hello",namespace="%1$s",trigger="orders",} %2$d.0
        kubeless_trigger_invocations_total{function="hello",namespace="%1$s",outcome="success",trigger="orders",} %3$d.0
        kubeless_trigger_invocations_total{function="hello",namespace="%1$s",outcome="timeout",trigger="orders",} 1.0
        kubeless_trigger_lag{function="hello",namespace="%1$s",trigger="orders",} %4$d.0
        kubeless_trigger_lag{function="down",namespace="%1$s",trigger="orders",} NaN
        """;
    controller("kafka-trigger-a", series.formatted(ns, 7, 6, 3));
    controller("kafka-trigger-b", series.formatted(ns, 5, 4, 9));
    TriggerStatus status = new TriggerStatus();
    status.setFunctions(
        List.of(
            new BoundFunctionStatus("hello", true, "Consuming"),
            new BoundFunctionStatus("down", false, "FunctionUnavailable")));
    created.setStatus(status);
    client.resource(created).updateStatus();

    api()
        .get("/api/triggers")
        .then()
        .statusCode(200)
        .body("find { it.namespace == '" + ns + "' }.kind", equalTo("KafkaTrigger"))
        .body("find { it.namespace == '" + ns + "' }.topic", equalTo("orders"))
        .body(
            "find { it.namespace == '" + ns + "' }.functions.phase",
            equalTo(List.of("ACTIVE", "FUNCTION_UNAVAILABLE")))
        .body(
            "find { it.namespace == '" + ns + "' }.functions.function",
            equalTo(List.of("hello", "down")))
        .body("find { it.namespace == '" + ns + "' }.functions.events", equalTo(List.of(12, 0)))
        .body("find { it.namespace == '" + ns + "' }.functions.failures", equalTo(List.of(2, 0)))
        .body(
            "find { it.namespace == '" + ns + "' }.functions.lag",
            equalTo(java.util.Arrays.asList(9, null)));
  }

  /**
   * A ready pod of a trigger controller in the controllers' namespace whose {@code /q/metrics} (a
   * real HTTP server on 127.0.0.1, its port in the pod's annotation) answers {@code metrics}.
   */
  private void controller(String name, String metrics) {
    com.sun.net.httpserver.HttpServer server;
    try {
      server =
          com.sun.net.httpserver.HttpServer.create(
              new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    server.createContext(
        "/q/metrics",
        ex -> {
          byte[] body = metrics.getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, body.length);
          try (var out = ex.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
    servers.add(server);
    client
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace("kubeless")
                .addToLabels("app.kubernetes.io/name", "kubeless-kafka-trigger")
                .addToAnnotations(
                    "prometheus.io/port", String.valueOf(server.getAddress().getPort()))
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("trigger")
                .withImage("kafka-trigger")
                .endContainer()
                .endSpec()
                .withNewStatus()
                .withPodIP("127.0.0.1")
                .addNewCondition()
                .withType("Ready")
                .withStatus("True")
                .endCondition()
                .endStatus()
                .build())
        .create();
  }

  @Test
  void messagesNeedAConfiguredBroker() {
    api()
        .body("hi")
        .post("/api/publish/kafka/orders")
        .then()
        .statusCode(409)
        .body("error", containsString("kubeless.console.kafka.brokers"));
    api().body("hi").post("/api/publish/nats/orders").then().statusCode(409);
    api().get("/api/peek/kafka/orders").then().statusCode(409);
    api()
        .get("/api/peek/nats/orders")
        .then()
        .statusCode(409)
        .body("error", containsString("kubeless.console.nats.url"));
  }

  @Test
  void theConsoleIsServedWithItsHeaders() {
    String page =
        given()
            .get("/")
            .then()
            .statusCode(200)
            .header("Content-Type", startsWith("text/html"))
            .header("Cache-Control", equalTo("no-cache"))
            .header("Content-Security-Policy", startsWith("default-src 'self'"))
            .header("X-Frame-Options", equalTo("DENY"))
            .header("X-Content-Type-Options", equalTo("nosniff"))
            .extract()
            .asString();
    String script = page.replaceAll("(?s).*src=\"([^\"]+\\.js)\".*", "$1");
    given()
        .get("/" + script.replaceFirst("^\\./", ""))
        .then()
        .statusCode(200)
        .header("Cache-Control", equalTo("public, max-age=31536000, immutable"));
    given().get("/console/index.html").then().statusCode(404);
    given().get("/nothing.js").then().statusCode(404);
    given().get("/q/health/ready").then().statusCode(200);
  }

  private void pod(String ns, String name, String function, boolean ready) {
    Pod p =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(ns)
            .addToLabels(FunctionsApi.FUNCTION_LABEL, function)
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("function")
            .withImage("runtime")
            .endContainer()
            .endSpec()
            .withNewStatus()
            .withPodIP("127.0.0.1")
            .withStartTime("2026-01-01T00:00:00Z")
            .addNewCondition()
            .withType("Ready")
            .withStatus(ready ? "True" : "False")
            .endCondition()
            .endStatus()
            .build();
    client.resource(p).create();
  }

  private String login() {
    return given()
        .contentType("application/json")
        .body("{\"token\": \"" + TOKEN + "\"}")
        .post("/api/login")
        .then()
        .statusCode(204)
        .extract()
        .cookie(ConsoleAuth.COOKIE);
  }

  private static String functionYaml(String ns, String name, String timeout) {
    return functionYaml(ns, name, timeout, null);
  }

  private static String functionYaml(String ns, String name, String timeout, String version) {
    return """
        apiVersion: kubeless.io/v1beta1
        kind: Function
        metadata:
          name: %s
          namespace: %s
        %s
        spec:
          runtime: python3.12
          handler: handler.hello
          timeout: "%s"
          function: |
            def hello(event, context):
                return "hi"
        """
        .formatted(
            name, ns, version == null ? "" : "  resourceVersion: \"" + version + "\"", timeout);
  }
}
