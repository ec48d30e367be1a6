package io.kubeless.http;

import static io.kubeless.testing.TestFunctions.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.HTTPTrigger;
import io.kubeless.testing.RecordingFunction;
import io.kubeless.testing.TestFunctions;
import io.kubeless.testing.TriggerStatuses;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code gateway: builtin} end to end in the application: an HTTPTrigger applied on the mock API
 * server becomes a route of this replica's gateway, and a request on the gateway's port reaches a
 * real function server. The gateway's own behaviour (timeouts, 503, streaming, ...) is tested in
 * http-source.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(FreeGatewayPort.class)
class BuiltinGatewayTest {

  @Inject KubernetesClient client;
  @Inject BuiltinGateway gateway;

  private final HttpClient http = HttpClient.newHttpClient();
  private final List<RecordingFunction> functions = new ArrayList<>();

  @AfterEach
  void stopFunctions() {
    functions.forEach(RecordingFunction::close);
  }

  @Test
  void aRequestOnTheGatewayPortReachesTheFunction() throws Exception {
    String ns = TestFunctions.unique("builtin");
    RecordingFunction echo = function(ns, "echo");
    String path = "/" + ns + "-echo";

    client
        .resource(
            HTTPTriggerReconcilerTest.trigger(
                ns,
                "echo",
                s -> {
                  s.setGateway("builtin");
                  s.setPath(path);
                }))
        .create();

    HTTPTrigger ready = awaitReady(ns, "echo", "True", "Published");
    assertThat(ready.getStatus().getUrl())
        .isEqualTo("http://kubeless-http-gateway.kubeless.svc" + path);
    HttpResponse<String> response = post(path, "hello", null);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(echo.requests())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("hello");
              assertThat(r.eventId()).isNotBlank();
            });

    // deleting the trigger takes the route away on every replica
    client.resources(HTTPTrigger.class).inNamespace(ns).withName("echo").delete();
    await().atMost(TIMEOUT).until(() -> post(path, "again", null).statusCode() == 404);
    int received = echo.received();
    assertThat(post(path, "late", null).statusCode()).isEqualTo(404);
    assertThat(echo.received()).isEqualTo(received);
  }

  @Test
  void basicAuthComesFromTheSecretsHtpasswd() throws Exception {
    String ns = TestFunctions.unique("auth");
    RecordingFunction secret = function(ns, "secret");
    String path = "/" + ns + "-secret";
    client
        .resource(
            HTTPTriggerReconcilerTest.trigger(
                ns,
                "secret",
                s -> {
                  s.setGateway("builtin");
                  s.setPath(path);
                  s.setBasicAuthSecret("users");
                }))
        .create();

    // no Secret yet: the route is not served rather than served without credentials
    HTTPTrigger missing = awaitReady(ns, "secret", "False", "SecretNotFound");
    assertThat(condition(missing).getMessage()).contains(ns + "/users");
    TriggerStatuses.awaitWarningEvent(client, ns, "secret", "SecretNotFound");
    assertThat(post(path, "x", null).statusCode()).isEqualTo(404);

    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("users")
                .withNamespace(ns)
                .endMetadata()
                .withData(
                    Map.of(
                        "auth",
                        Base64.getEncoder()
                            .encodeToString(
                                ("alice:" + sha("wonderland") + "\n")
                                    .getBytes(StandardCharsets.UTF_8))))
                .build())
        .create();

    awaitReady(ns, "secret", "True", "Published");
    assertThat(post(path, "x", null).statusCode()).isEqualTo(401);
    assertThat(post(path, "x", basic("alice", "wrong")).statusCode()).isEqualTo(401);
    assertThat(post(path, "x", basic("alice", "wonderland")).statusCode()).isEqualTo(200);
    assertThat(secret.received()).isEqualTo(1);
  }

  @Test
  void tlsIsRefusedOnTheBuiltinGateway() {
    String ns = TestFunctions.unique("builtintls");
    client
        .resource(
            HTTPTriggerReconcilerTest.trigger(
                ns,
                "fn",
                s -> {
                  s.setGateway("builtin");
                  s.setTlsSecret("cert");
                }))
        .create();

    HTTPTrigger refused = awaitReady(ns, "fn", "False", "UnsupportedOption");
    assertThat(condition(refused).getMessage()).contains("spec.tls-secret", "builtin");
  }

  @Test
  void theYoungerOfTwoTriggersOnOneRouteReportsTheConflict() throws Exception {
    String ns = TestFunctions.unique("conflict");
    function(ns, "first");
    function(ns, "second");
    String path = "/" + ns + "-shared";
    client
        .resource(
            HTTPTriggerReconcilerTest.trigger(
                ns,
                "first",
                s -> {
                  s.setGateway("builtin");
                  s.setPath(path);
                }))
        .create();
    awaitReady(ns, "first", "True", "Published");

    client
        .resource(
            HTTPTriggerReconcilerTest.trigger(
                ns,
                "second",
                s -> {
                  s.setGateway("builtin");
                  s.setPath(path);
                }))
        .create();

    HTTPTrigger second = awaitReady(ns, "second", "False", "RouteConflict");
    assertThat(condition(second).getMessage()).isNotBlank();
    assertThat(
            Conditions.isReady(
                client
                    .resources(HTTPTrigger.class)
                    .inNamespace(ns)
                    .withName("first")
                    .get()
                    .getStatus()))
        .isTrue();
  }

  // --- helpers ---------------------------------------------------------------------------

  private RecordingFunction function(String ns, String name) throws Exception {
    RecordingFunction f = new RecordingFunction(name);
    functions.add(f);
    TestFunctions.create(client, ns, f, Map.of(), true);
    return f;
  }

  private HttpResponse<String> post(String path, String body, String authorization)
      throws Exception {
    var request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .timeout(java.time.Duration.ofSeconds(20));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String basic(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  /** An htpasswd {@code {SHA}} entry, as {@code htpasswd -s} writes it. */
  private static String sha(String password) throws Exception {
    return "{SHA}"
        + Base64.getEncoder()
            .encodeToString(
                MessageDigest.getInstance("SHA-1")
                    .digest(password.getBytes(StandardCharsets.UTF_8)));
  }

  private HTTPTrigger awaitReady(String ns, String name, String status, String reason) {
    return TriggerStatuses.awaitReady(client, HTTPTrigger.class, ns, name, status, reason);
  }

  private static io.fabric8.kubernetes.api.model.Condition condition(HTTPTrigger trigger) {
    return Conditions.find(trigger.getStatus(), Conditions.READY).orElseThrow();
  }
}
