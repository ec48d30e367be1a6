package io.kubeless.kinesis;

import static io.kubeless.testing.TestFunctions.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.BoundFunctionStatus;
import io.kubeless.api.v1beta1.KinesisTrigger;
import io.kubeless.testing.RecordingFunction;
import io.kubeless.testing.TestFunctions;
import io.kubeless.testing.TriggerStatuses;
import io.kubeless.trigger.kubernetes.LeaseShardCoordinator;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Kinesis trigger application on the mock API server, without Kinesis: what KinesisTriggers
 * become in status, invalid specs refused with a Warning Event, and the replica's membership Lease.
 * Reading a real stream is the emulator tests' (kinesis-source).
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class KinesisTriggerReconcilerTest {

  @Inject KubernetesClient client;

  private final List<RecordingFunction> functions = new ArrayList<>();

  @AfterEach
  void stopFunctions() {
    functions.forEach(RecordingFunction::close);
  }

  @Test
  void aStreamNameKinesisWouldRefuseIsRejectedWithAWarningEvent() throws Exception {
    String ns = TestFunctions.unique("badstream");
    function(ns, "fn", Map.of("app", "fn"));

    client.resource(TestingKinesis.trigger(ns, "bad", "orders/v1", Map.of("app", "fn"))).create();

    KinesisTrigger rejected = awaitReady(ns, "bad", "False", "InvalidSpec");
    assertThat(condition(rejected, Conditions.READY).getMessage())
        .contains("spec.stream", "orders/v1");
    assertThat(rejected.getStatus().getObservedGeneration())
        .isEqualTo(rejected.getMetadata().getGeneration());
    TriggerStatuses.awaitWarningEvent(client, ns, "bad", "InvalidSpec");
  }

  @Test
  void aTriggerWithoutRegionOrEndpointIsRejectedAndTheFixIsTakenUp() throws Exception {
    String ns = TestFunctions.unique("noregion");
    KinesisTrigger trigger = TestingKinesis.trigger(ns, "noregion", "orders", Map.of("app", "x"));
    trigger.getSpec().setRegion(null);

    client.resource(trigger).create();

    KinesisTrigger rejected = awaitReady(ns, "noregion", "False", "InvalidSpec");
    assertThat(condition(rejected, Conditions.READY).getMessage()).contains("spec.aws-region");
    TriggerStatuses.awaitWarningEvent(client, ns, "noregion", "InvalidSpec");

    client
        .resources(KinesisTrigger.class)
        .inNamespace(ns)
        .withName("noregion")
        .edit(
            t -> {
              t.getSpec().setRegion("eu-west-1");
              return t;
            });
    awaitReady(ns, "noregion", "False", "NoFunctionsMatch");
  }

  @Test
  void bothAFunctionNameAndASelectorAreRejected() throws Exception {
    String ns = TestFunctions.unique("both");
    KinesisTrigger trigger = TestingKinesis.trigger(ns, "both", "orders", Map.of("app", "fn"));
    trigger.getSpec().setFunctionName("fn");

    client.resource(trigger).create();

    KinesisTrigger rejected = awaitReady(ns, "both", "False", "InvalidSpec");
    assertThat(condition(rejected, Conditions.READY).getMessage())
        .contains("spec.function-name", "spec.functionSelector");
  }

  @Test
  void aValidTriggerMatchingNoFunctionSaysSo() throws Exception {
    String ns = TestFunctions.unique("nomatch");
    function(ns, "fn", Map.of("app", "fn"));

    client
        .resource(TestingKinesis.trigger(ns, "nomatch", "orders", Map.of("app", "nobody")))
        .create();

    KinesisTrigger noMatch = awaitReady(ns, "nomatch", "False", "NoFunctionsMatch");
    assertThat(condition(noMatch, Conditions.READY).getMessage()).contains("app=nobody");
    assertThat(noMatch.getStatus().getFunctions()).isNullOrEmpty();
    assertThat(noMatch.getStatus().getShards()).isNullOrEmpty();
  }

  @Test
  void kubelessTriggerNamingAFunctionThatDoesNotExistSaysSo() throws Exception {
    String ns = TestFunctions.unique("kubeless");

    client.resource(TestingKinesis.kubeless(ns, "old", "orders", "missing", "aws-keys")).create();

    KinesisTrigger noMatch = awaitReady(ns, "old", "False", "NoFunctionsMatch");
    assertThat(condition(noMatch, Conditions.READY).getMessage()).contains("missing");
  }

  @Test
  void aSecretThatDoesNotExistIsShownOnTheBoundFunction() throws Exception {
    String ns = TestFunctions.unique("nosecret");
    function(ns, "audit", Map.of("app", "audit"));

    client.resource(TestingKinesis.kubeless(ns, "old", "orders", "audit", "aws-keys")).create();

    KinesisTrigger invalid = awaitReady(ns, "old", "False", "CredentialsInvalid");
    assertThat(condition(invalid, Conditions.READY).getMessage())
        .contains("Secret aws-keys not found in namespace " + ns);
    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () ->
                assertThat(trigger(ns, "old").getStatus().getFunctions())
                    .extracting(BoundFunctionStatus::getName, BoundFunctionStatus::getReason)
                    .containsExactly(tuple("audit", "CredentialsInvalid")));

    // the user creates the Secret: the binding goes on to Kinesis (here an endpoint that is down)
    String endpoint = "http://127.0.0.1:" + closedPort();
    client.resource(awsKeys(ns, "aws-keys")).create();
    client
        .resources(KinesisTrigger.class)
        .inNamespace(ns)
        .withName("old")
        .edit(
            t -> {
              t.getSpec().setEndpoint(endpoint);
              return t;
            });
    KinesisTrigger down = awaitReady(ns, "old", "False", "KinesisUnavailable");
    assertThat(condition(down, Conditions.READY).getMessage())
        .doesNotContain("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI");
  }

  @Test
  void everyReplicaIsAMemberOfTheShardLeasesInItsOwnNamespace() {
    // the test profile's namespace is kubeless (no KUBELESS_NAMESPACE), its lease duration 2 s
    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () ->
                assertThat(
                        client
                            .resources(Lease.class)
                            .inNamespace("kubeless")
                            .withLabel(
                                LeaseShardCoordinator.roleLabel("kinesis"),
                                LeaseShardCoordinator.MEMBER)
                            .list()
                            .getItems())
                    .singleElement()
                    .satisfies(
                        lease -> {
                          assertThat(lease.getMetadata().getName()).startsWith("kinesis-member-");
                          assertThat(lease.getSpec().getLeaseDurationSeconds()).isEqualTo(2);
                          assertThat(lease.getSpec().getRenewTime()).isNotNull();
                        }));
  }

  // --- helpers ---------------------------------------------------------------------------

  private void function(String ns, String name, Map<String, String> labels) throws Exception {
    RecordingFunction f = new RecordingFunction(name);
    functions.add(f);
    TestFunctions.create(client, ns, f, labels, true);
  }

  private KinesisTrigger trigger(String ns, String name) {
    return client.resources(KinesisTrigger.class).inNamespace(ns).withName(name).get();
  }

  /** A Secret with Kubeless's keys, as {@code kubectl create secret generic} makes it. */
  private static Secret awsKeys(String ns, String name) {
    return new SecretBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(ns)
        .endMetadata()
        .addToData("aws_access_key_id", base64("AKIAIOSFODNN7EXAMPLE"))
        .addToData("aws_secret_access_key", base64("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))
        .build();
  }

  private static String base64(String value) {
    return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
  }

  /** A local port nothing listens on: a Kinesis endpoint that is down. */
  private static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private KinesisTrigger awaitReady(String ns, String name, String status, String reason) {
    return TriggerStatuses.awaitReady(client, KinesisTrigger.class, ns, name, status, reason);
  }

  private static Condition condition(KinesisTrigger trigger, String type) {
    return Conditions.find(trigger.getStatus(), type).orElseThrow();
  }
}
