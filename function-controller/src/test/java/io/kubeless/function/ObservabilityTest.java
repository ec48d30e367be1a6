package io.kubeless.function;

import static io.kubeless.function.TestFunctions.awaitDeployment;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

@QuarkusTest
@WithKubernetesTestServer(crud = true)
class ObservabilityTest {

  @Inject KubernetesClient client;

  @Test
  void exposesReconcileMetrics() {
    String ns = TestFunctions.namespace("metrics");
    client.resource(TestFunctions.python(ns, "hello")).create();
    awaitDeployment(client, ns, "hello");

    given()
        .when()
        .get("/q/metrics")
        .then()
        .statusCode(200)
        .body(containsString("operator_sdk_reconciliations_started_total"))
        .body(containsString("operator_sdk_controllers_execution_reconcile_seconds_count"))
        .body(not(containsString("resource_name=\"hello\"")));
  }

  @Test
  void reportsHealth() {
    given().when().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
    given().when().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
  }
}
