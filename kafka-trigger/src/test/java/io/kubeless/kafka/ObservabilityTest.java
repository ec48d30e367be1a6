package io.kubeless.kafka;

import static io.kubeless.testing.TestFunctions.TIMEOUT;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.KafkaTrigger;
import io.kubeless.testing.BrokerTest;
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

@QuarkusTest
@BrokerTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(TestingKafkaResource.class)
class ObservabilityTest {

  @Inject KubernetesClient client;

  @Test
  void exposesDeliveryMetricsPerTriggerFunctionAndOutcome() throws Exception {
    String ns = TestFunctions.unique("metrics");
    String topic = TestFunctions.unique("metered");
    TestingKafka.createTopic(topic, 1);
    try (RecordingFunction f = new RecordingFunction("metered")) {
      f.answer(r -> r.offset() == 0 ? 500 : 200);
      TestFunctions.create(client, ns, f, Map.of("app", "metered"), true);
      client.resource(TestingKafka.trigger(ns, "m", topic, Map.of("app", "metered"))).create();
      KafkaTriggerReconcilerTest.produce(topic, 1, 5);
      await().atMost(TIMEOUT).until(() -> f.distinct() == 5);

      String tags = "function=\"metered\",namespace=\"" + ns + "\"";
      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () ->
                  assertThat(metrics())
                      .contains(
                          "kubeless_trigger_events_received_total{" + tags + ",trigger=\"m\"} 5.0")
                      .contains(
                          "kubeless_trigger_invocations_total{"
                              + tags
                              + ",outcome=\"success\",trigger=\"m\"} 4.0")
                      .contains(
                          "kubeless_trigger_invocations_total{"
                              + tags
                              + ",outcome=\"function_error\",trigger=\"m\"} 1.0")
                      .contains("kubeless_trigger_invocation_duration_seconds_count{" + tags)
                      .contains("kubeless_trigger_lag{" + tags + ",trigger=\"m\"} 0.0")
                      .contains("kubeless_trigger_events_skipped_total{" + tags)
                      .contains("operator_sdk_reconciliations_started_total")
                      .doesNotContain("resource_name=\"m\""));
    }
  }

  @Test
  void anIdleTriggerIsNotReconciledInALoop() throws Exception {
    String ns = TestFunctions.unique("idle");
    String topic = TestFunctions.unique("idle");
    TestingKafka.createTopic(topic, 1);
    try (RecordingFunction f = new RecordingFunction("idle")) {
      TestFunctions.create(client, ns, f, Map.of("app", "idle"), true);
      client.resource(TestingKafka.trigger(ns, "idle", topic, Map.of("app", "idle"))).create();
      await()
          .atMost(TIMEOUT)
          .until(
              () -> {
                KafkaTrigger t =
                    client.resources(KafkaTrigger.class).inNamespace(ns).withName("idle").get();
                return t.getStatus() != null && Conditions.isReady(t.getStatus());
              });
      double before = reconciliations();
      // the status refresh runs every 2 s in tests; a loop would run thousands of times
      await()
          .during(Duration.ofSeconds(4))
          .atMost(Duration.ofSeconds(5))
          .until(() -> reconciliations() - before < 40);
    }
  }

  @Test
  void reportsHealth() {
    given().when().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
    given().when().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
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
