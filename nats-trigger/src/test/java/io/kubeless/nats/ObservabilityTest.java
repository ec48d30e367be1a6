package io.kubeless.nats;

import static io.kubeless.testing.TestFunctions.TIMEOUT;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.NATSTrigger;
import io.kubeless.testing.RecordingFunction;
import io.kubeless.testing.TestFunctions;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Health, metrics and reconcile load of the application while its NATS server is down: an outage is
 * a trigger's status, not a reason to restart or to hammer the API server.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(value = UnreachableNats.class, restrictToAnnotatedClass = true)
class ObservabilityTest {

  @Inject KubernetesClient client;

  @Test
  void staysLiveAndReadyWhileTheServerIsDown() throws Exception {
    String ns = TestFunctions.unique("health");
    try (RecordingFunction f = new RecordingFunction("health")) {
      TestFunctions.create(client, ns, f, Map.of("app", "health"), true);
      client.resource(TestingNats.trigger(ns, "h", "health", Map.of("app", "health"))).create();
      awaitReason(ns, "h", "ServerUnavailable");

      given().when().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
      given().when().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
    }
  }

  @Test
  void exposesOperatorMetricsPerKindNotPerResource() throws Exception {
    String ns = TestFunctions.unique("metrics");
    client.resource(TestingNats.trigger(ns, "m", "metered", Map.of("app", "nobody"))).create();
    awaitReason(ns, "m", "NoFunctionsMatch");

    assertThat(metrics())
        .contains("operator_sdk_reconciliations_started_total")
        .contains("natstrigger")
        .doesNotContain("resource_name=\"m\"");
  }

  @Test
  void aTriggerWaitingForTheServerIsNotReconciledInALoop() throws Exception {
    String ns = TestFunctions.unique("idle");
    try (RecordingFunction f = new RecordingFunction("idle")) {
      TestFunctions.create(client, ns, f, Map.of("app", "idle"), true);
      client.resource(TestingNats.trigger(ns, "idle", "idle", Map.of("app", "idle"))).create();
      client
          .resource(TestingNats.jetStream(ns, "idle-js", "IDLE", "idle", Map.of("app", "idle")))
          .create();
      awaitReason(ns, "idle", "ServerUnavailable");
      awaitReason(ns, "idle-js", "ServerUnavailable");

      double before = reconciliations();
      // the status refresh runs every 2 s in tests and the bindings retry with back-off (up to
      // 5 s); a status that changes at every retry, or retries that wake each other, would
      // reconcile hundreds of times
      await()
          .during(Duration.ofSeconds(4))
          .atMost(Duration.ofSeconds(5))
          .until(() -> reconciliations() - before < 40);
    }
  }

  private void awaitReason(String ns, String name, String reason) {
    await()
        .atMost(TIMEOUT)
        .until(
            () -> {
              NATSTrigger t =
                  client.resources(NATSTrigger.class).inNamespace(ns).withName(name).get();
              return t != null
                  && t.getStatus() != null
                  && Conditions.find(t.getStatus(), Conditions.READY)
                      .filter(c -> reason.equals(c.getReason()))
                      .isPresent();
            });
  }

  private static String metrics() {
    return given().when().get("/q/metrics").then().statusCode(200).extract().asString();
  }

  private static double reconciliations() {
    Matcher m =
        Pattern.compile("operator_sdk_reconciliations_started_total\\{[^}]*} ([0-9.E]+)")
            .matcher(metrics());
    double total = 0;
    while (m.find()) {
      total += Double.parseDouble(m.group(1));
    }
    return total;
  }
}
