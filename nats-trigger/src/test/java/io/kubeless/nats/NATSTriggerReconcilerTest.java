package io.kubeless.nats;

import static io.kubeless.testing.TestFunctions.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.BoundFunctionStatus;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.NATSTrigger;
import io.kubeless.testing.RecordingFunction;
import io.kubeless.testing.TestFunctions;
import io.kubeless.testing.TriggerStatuses;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The NATS trigger application on the mock API server, with its NATS server down: what NATSTriggers
 * and Functions become in status, invalid specs refused with a Warning Event, and the outage shown
 * on every bound function. Delivery through a real {@code nats-server} is NatsContractIT's.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(value = UnreachableNats.class, restrictToAnnotatedClass = true)
class NATSTriggerReconcilerTest {

  @Inject KubernetesClient client;

  @ConfigProperty(name = "kubeless.nats.url")
  String natsUrl;

  private final List<RecordingFunction> functions = new ArrayList<>();

  @AfterEach
  void stopFunctions() {
    functions.forEach(RecordingFunction::close);
  }

  @Test
  void aTopicThatIsNotASubjectIsRejectedWithAWarningEvent() throws Exception {
    String ns = TestFunctions.unique("badtopic");
    function(ns, "fn", Map.of("app", "fn"));

    client.resource(TestingNats.trigger(ns, "bad", "orders..x", Map.of("app", "fn"))).create();

    NATSTrigger rejected = awaitReady(ns, "bad", "False", "InvalidSpec");
    assertThat(condition(rejected, Conditions.READY).getMessage())
        .contains("spec.topic", "orders..x", "empty token");
    assertThat(rejected.getStatus().getObservedGeneration())
        .isEqualTo(rejected.getMetadata().getGeneration());
    awaitWarningEvent(ns, "bad", "InvalidSpec");
  }

  @Test
  void aStreamNameWithADotIsRejectedAndTheFixedSpecIsAccepted() throws Exception {
    String ns = TestFunctions.unique("badstream");
    function(ns, "fn", Map.of("app", "fn"));

    client
        .resource(TestingNats.jetStream(ns, "js", "orders.v1", "orders.>", Map.of("app", "fn")))
        .create();

    NATSTrigger rejected = awaitReady(ns, "js", "False", "InvalidSpec");
    assertThat(condition(rejected, Conditions.READY).getMessage())
        .contains("spec.stream", "orders.v1");
    awaitWarningEvent(ns, "js", "InvalidSpec");

    // the user's fix is taken up: the binding now waits for the server, not for a new spec
    edit(ns, "js", t -> t.getSpec().setStream("ORDERS"));
    awaitReady(ns, "js", "False", "ServerUnavailable");
  }

  @Test
  void jetStreamSettingsWithoutAStreamAreRejected() throws Exception {
    String ns = TestFunctions.unique("nostream");
    function(ns, "fn", Map.of("app", "fn"));
    NATSTrigger trigger = TestingNats.trigger(ns, "core", "orders", Map.of("app", "fn"));
    trigger.getSpec().setDurable("orders");

    client.resource(trigger).create();

    NATSTrigger rejected = awaitReady(ns, "core", "False", "InvalidSpec");
    assertThat(condition(rejected, Conditions.READY).getMessage())
        .contains("spec.durable", "spec.stream");
    awaitWarningEvent(ns, "core", "InvalidSpec");
  }

  @Test
  void aValidTriggerMatchingNoFunctionSaysSo() throws Exception {
    String ns = TestFunctions.unique("nomatch");
    function(ns, "fn", Map.of("app", "fn"));

    client.resource(TestingNats.trigger(ns, "nomatch", "orders", Map.of("app", "nobody"))).create();

    NATSTrigger noMatch = awaitReady(ns, "nomatch", "False", "NoFunctionsMatch");
    assertThat(condition(noMatch, Conditions.READY).getMessage()).contains("app=nobody");
    assertThat(noMatch.getStatus().getFunctions()).isNullOrEmpty();
  }

  @Test
  void boundFunctionsShowTheServerIsUnavailableAndFollowTheSelector() throws Exception {
    String ns = TestFunctions.unique("down");
    function(ns, "audit", Map.of("topic", "orders"));
    function(ns, "billing", Map.of("topic", "orders"));
    function(ns, "unrelated", Map.of("topic", "other"));

    client
        .resource(TestingNats.trigger(ns, "orders", "orders.*", Map.of("topic", "orders")))
        .create();

    NATSTrigger down = awaitReady(ns, "orders", "False", "ServerUnavailable");
    String address = natsUrl.substring("nats://".length());
    assertThat(condition(down, Conditions.READY).getMessage()).contains(address);
    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () ->
                assertThat(trigger(ns, "orders").getStatus().getFunctions())
                    .extracting(BoundFunctionStatus::getName, BoundFunctionStatus::getReason)
                    .containsExactly(
                        tuple("audit", "ServerUnavailable"),
                        tuple("billing", "ServerUnavailable")));
    assertThat(trigger(ns, "orders").getStatus().getFunctions())
        .extracting(BoundFunctionStatus::getReady)
        .containsOnly(false);

    // a function that goes leaves the status; when none is left, the trigger says so
    client.resources(Function.class).inNamespace(ns).withName("billing").delete();
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                trigger(ns, "orders").getStatus().getFunctions().stream()
                    .map(BoundFunctionStatus::getName)
                    .toList()
                    .equals(List.of("audit")));
    client.resources(Function.class).inNamespace(ns).withName("audit").delete();
    awaitReady(ns, "orders", "False", "NoFunctionsMatch");
  }

  @Test
  void aJetStreamBindingShowsTheServerIsUnavailable() throws Exception {
    String ns = TestFunctions.unique("jsdown");
    function(ns, "worker", Map.of("app", "worker"));

    client
        .resource(TestingNats.jetStream(ns, "jobs", "JOBS", "jobs.new", Map.of("app", "worker")))
        .create();

    NATSTrigger down = awaitReady(ns, "jobs", "False", "ServerUnavailable");
    assertThat(down.getStatus().getFunctions())
        .extracting(BoundFunctionStatus::getName, BoundFunctionStatus::getReason)
        .containsExactly(tuple("worker", "ServerUnavailable"));
  }

  // --- helpers ---------------------------------------------------------------------------

  private void function(String ns, String name, Map<String, String> labels) throws Exception {
    RecordingFunction f = new RecordingFunction(name);
    functions.add(f);
    TestFunctions.create(client, ns, f, labels, true);
  }

  private NATSTrigger trigger(String ns, String name) {
    return client.resources(NATSTrigger.class).inNamespace(ns).withName(name).get();
  }

  private NATSTrigger awaitReady(String ns, String name, String status, String reason) {
    return TriggerStatuses.awaitReady(client, NATSTrigger.class, ns, name, status, reason);
  }

  private void awaitWarningEvent(String ns, String trigger, String reason) {
    TriggerStatuses.awaitWarningEvent(client, ns, trigger, reason);
  }

  private void edit(String ns, String name, java.util.function.Consumer<NATSTrigger> change) {
    client
        .resources(NATSTrigger.class)
        .inNamespace(ns)
        .withName(name)
        .edit(
            t -> {
              change.accept(t);
              return t;
            });
  }

  private static Condition condition(NATSTrigger trigger, String type) {
    return Conditions.find(trigger.getStatus(), type).orElseThrow();
  }
}
