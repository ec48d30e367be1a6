package io.kubeless.kafka;

import static io.kubeless.testing.TestFunctions.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.BoundFunctionStatus;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.KafkaTrigger;
import io.kubeless.testing.BrokerTest;
import io.kubeless.testing.RecordingFunction;
import io.kubeless.testing.TestFunctions;
import io.kubeless.testing.TriggerStatuses;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Kafka trigger application on the mock API server and a real broker: KafkaTriggers and
 * Functions become consumers, and what the consumers do becomes the triggers' status.
 */
@QuarkusTest
@BrokerTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(TestingKafkaResource.class)
class KafkaTriggerReconcilerTest {

  @Inject KubernetesClient client;
  @Inject MeterRegistry registry;

  private final List<RecordingFunction> functions = new ArrayList<>();

  @AfterEach
  void stopFunctions() {
    functions.forEach(RecordingFunction::close);
  }

  @Test
  void oneTopicReachesThreeFunctionsByLabelOnceEachInPartitionOrder() throws Exception {
    String ns = TestFunctions.unique("fanout");
    String topic = TestFunctions.unique("orders");
    TestingKafka.createTopic(topic, 3);
    List<RecordingFunction> bound = new ArrayList<>();
    for (String name : List.of("audit", "billing", "shipping")) {
      bound.add(function(ns, name, Map.of("topic", "orders"), true));
    }
    RecordingFunction unrelated = function(ns, "unrelated", Map.of("topic", "other"), true);
    client.resource(TestingKafka.trigger(ns, "orders", topic, Map.of("topic", "orders"))).create();
    KafkaTrigger ready = awaitReady(ns, "orders", "True", "Consuming");
    assertThat(ready.getStatus().getFunctions())
        .extracting(BoundFunctionStatus::getName, BoundFunctionStatus::getReady)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("audit", true),
            org.assertj.core.groups.Tuple.tuple("billing", true),
            org.assertj.core.groups.Tuple.tuple("shipping", true));

    produce(topic, 3, 300);

    for (RecordingFunction f : bound) {
      await().atMost(TIMEOUT).until(() -> f.distinct() == 300);
      assertThat(f.duplicates()).isEmpty();
      assertInPartitionOrder(f);
    }
    assertThat(unrelated.received()).isZero();
    for (String name : List.of("audit", "billing", "shipping")) {
      await().atMost(TIMEOUT).until(() -> lag(ns, name) == 0);
    }
  }

  @Test
  void aFunctionWithoutReadyEndpointIsPausedAndResumesWithNothingLostOrRepeated() throws Exception {
    String ns = TestFunctions.unique("pause");
    String topic = TestFunctions.unique("jobs");
    TestingKafka.createTopic(topic, 2);
    RecordingFunction worker = function(ns, "worker", Map.of("app", "jobs"), true);
    client.resource(TestingKafka.trigger(ns, "jobs", topic, Map.of("app", "jobs"))).create();
    awaitReady(ns, "jobs", "True", "Consuming");
    produce(topic, 2, 40);
    await().atMost(TIMEOUT).until(() -> worker.distinct() == 40);

    Function function = client.resources(Function.class).inNamespace(ns).withName("worker").get();
    TestFunctions.setReady(client, function, worker, false);
    KafkaTrigger paused = awaitReady(ns, "jobs", "False", "FunctionUnavailable");
    assertThat(condition(paused, "FunctionUnavailable").getStatus()).isEqualTo("True");
    assertThat(paused.getStatus().getFunctions().getFirst().getReady()).isFalse();
    produce(topic, 2, 60);
    // the records wait in the topic: the lag says so, the status does not change for it
    await().atMost(TIMEOUT).until(() -> lag(ns, "worker") == 60);
    assertThat(worker.distinct()).isEqualTo(40);

    TestFunctions.setReady(client, function, worker, true);

    await().atMost(TIMEOUT).until(() -> worker.distinct() == 100);
    KafkaTrigger resumed = awaitReady(ns, "jobs", "True", "Consuming");
    assertThat(condition(resumed, "FunctionUnavailable").getStatus()).isEqualTo("False");
    assertThat(worker.duplicates()).isEmpty();
    assertThat(worker.received()).isEqualTo(100);
  }

  @Test
  void consumersFollowSelectorTopicFunctionsAndDeletionWithoutLeaking() throws Exception {
    String ns = TestFunctions.unique("follow");
    String first = TestFunctions.unique("first");
    String second = TestFunctions.unique("second");
    TestingKafka.createTopic(first, 1);
    TestingKafka.createTopic(second, 1);
    function(ns, "a", Map.of("team", "red"), true);
    RecordingFunction b = function(ns, "b", Map.of("team", "blue"), true);
    client.resource(TestingKafka.trigger(ns, "t", first, Map.of("team", "red"))).create();
    awaitGroups(ns, Set.of(ns + "_t_a_" + first));

    edit(ns, "t", t -> t.getSpec().setFunctionSelector(selector("team", "blue")));
    awaitGroups(ns, Set.of(ns + "_t_b_" + first));

    RecordingFunction c = function(ns, "c", Map.of("team", "blue"), true);
    awaitGroups(ns, Set.of(ns + "_t_b_" + first, ns + "_t_c_" + first));

    edit(ns, "t", t -> t.getSpec().setTopic(second));
    awaitGroups(ns, Set.of(ns + "_t_b_" + second, ns + "_t_c_" + second));
    produce(second, 1, 10);
    await().atMost(TIMEOUT).until(() -> b.distinct() == 10 && c.distinct() == 10);

    client.resources(Function.class).inNamespace(ns).withName("c").delete();
    awaitGroups(ns, Set.of(ns + "_t_b_" + second));
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                trigger(ns, "t").getStatus().getFunctions().stream()
                    .map(BoundFunctionStatus::getName)
                    .toList()
                    .equals(List.of("b")));

    client.resources(KafkaTrigger.class).inNamespace(ns).withName("t").delete();
    awaitGroups(ns, Set.of());
  }

  @Test
  void problemsShowAsConditionsWithAReasonNotAsCrashes() throws Exception {
    String ns = TestFunctions.unique("problems");
    String topic = TestFunctions.unique("later");
    function(ns, "fn", Map.of("app", "fn"), true);

    client.resource(TestingKafka.trigger(ns, "nomatch", topic, Map.of("app", "nobody"))).create();
    KafkaTrigger noMatch = awaitReady(ns, "nomatch", "False", "NoFunctionsMatch");
    assertThat(condition(noMatch, Conditions.READY).getMessage()).contains("app=nobody");

    client.resource(TestingKafka.trigger(ns, "notopic", topic, Map.of("app", "fn"))).create();
    awaitReady(ns, "notopic", "False", "TopicNotFound");

    KafkaTrigger invalid = TestingKafka.trigger(ns, "invalid", "", Map.of("app", "fn"));
    client.resource(invalid).create();
    KafkaTrigger rejected = awaitReady(ns, "invalid", "False", "InvalidSpec");
    assertThat(condition(rejected, Conditions.READY).getMessage()).contains("spec.topic");
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                client.v1().events().inNamespace(ns).list().getItems().stream()
                    .anyMatch(
                        e ->
                            "InvalidSpec".equals(e.getReason())
                                && "invalid".equals(e.getInvolvedObject().getName())));

    // the topic appears: the waiting trigger starts by itself
    TestingKafka.createTopic(topic, 1);
    awaitReady(ns, "notopic", "True", "Consuming");
  }

  @Test
  void aSecondTriggerBindingAFunctionToTheSameTopicIsReportedAndDeliversNothingTwice()
      throws Exception {
    String ns = TestFunctions.unique("twice");
    String topic = TestFunctions.unique("twice");
    TestingKafka.createTopic(topic, 1);
    RecordingFunction f = function(ns, "target", Map.of("app", "target"), true);
    client.resource(TestingKafka.trigger(ns, "a-first", topic, Map.of("app", "target"))).create();
    awaitReady(ns, "a-first", "True", "Consuming");
    client.resource(TestingKafka.trigger(ns, "b-second", topic, Map.of("app", "target"))).create();

    KafkaTrigger second = awaitReady(ns, "b-second", "False", "DuplicateBinding");
    assertThat(condition(second, "DuplicateBinding").getStatus()).isEqualTo("True");
    assertThat(condition(second, "DuplicateBinding").getMessage()).contains("a-first");
    assertThat(second.getStatus().getFunctions())
        .extracting(BoundFunctionStatus::getName, BoundFunctionStatus::getReason)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("target", "DuplicateBinding"));
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                client.v1().events().inNamespace(ns).list().getItems().stream()
                    .anyMatch(
                        e ->
                            "DuplicateBinding".equals(e.getReason())
                                && "b-second".equals(e.getInvolvedObject().getName())));
    produce(topic, 1, 30);

    await().atMost(TIMEOUT).until(() -> f.distinct() == 30);
    await()
        .during(java.time.Duration.ofSeconds(1))
        .atMost(java.time.Duration.ofSeconds(3))
        .until(() -> f.received() == 30);
    assertThat(f.duplicates()).isEmpty();
    awaitGroups(ns, Set.of(ns + "_a-first_target_" + topic));
  }

  @Test
  void withTheTopicPolicyOffANamespaceAnnotationRestrictsNothing() throws Exception {
    String ns = TestFunctions.unique("nopolicy");
    String topic = TestFunctions.unique("anything");
    TestingKafka.createTopic(topic, 1);
    client
        .namespaces()
        .resource(
            new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                .withNewMetadata()
                .withName(ns)
                .withAnnotations(
                    Map.of(io.kubeless.kafka.policy.TopicPolicy.ANNOTATION, "something-else"))
                .endMetadata()
                .build())
        .create();
    RecordingFunction f = function(ns, "fn", Map.of("app", "fn"), true);
    client.resource(TestingKafka.trigger(ns, "t", topic, Map.of("app", "fn"))).create();

    awaitReady(ns, "t", "True", "Consuming");
    produce(topic, 1, 10);
    await().atMost(TIMEOUT).until(() -> f.distinct() == 10);
  }

  // --- helpers ---------------------------------------------------------------------------

  private RecordingFunction function(
      String ns, String name, Map<String, String> labels, boolean ready) throws Exception {
    RecordingFunction f = new RecordingFunction(name);
    functions.add(f);
    TestFunctions.create(client, ns, f, labels, ready);
    return f;
  }

  private KafkaTrigger trigger(String ns, String name) {
    return client.resources(KafkaTrigger.class).inNamespace(ns).withName(name).get();
  }

  private KafkaTrigger awaitReady(String ns, String name, String status, String reason) {
    return TriggerStatuses.awaitReady(client, KafkaTrigger.class, ns, name, status, reason);
  }

  /**
   * Waits until the bindings of namespace {@code ns} that read their partitions (hold their Leases)
   * are exactly these consumer groups.
   */
  private void awaitGroups(String ns, Set<String> groups) {
    await().atMost(TIMEOUT).until(() -> TestingKafka.readers(client, ns).keySet().equals(groups));
  }

  private double lag(String ns, String function) {
    var gauge =
        registry
            .find("kubeless.trigger.lag")
            .tag("namespace", ns)
            .tag("function", function)
            .gauge();
    return gauge == null ? Double.NaN : gauge.value();
  }

  private void edit(String ns, String name, java.util.function.Consumer<KafkaTrigger> change) {
    client
        .resources(KafkaTrigger.class)
        .inNamespace(ns)
        .withName(name)
        .edit(
            t -> {
              change.accept(t);
              return t;
            });
  }

  private static io.fabric8.kubernetes.api.model.LabelSelector selector(String key, String value) {
    return new LabelSelectorBuilder().withMatchLabels(Map.of(key, value)).build();
  }

  private static Condition condition(KafkaTrigger trigger, String type) {
    return Conditions.find(trigger.getStatus(), type).orElseThrow();
  }

  static void produce(String topic, int partitions, int count) {
    TestingKafka.produce(
        IntStream.range(0, count)
            .mapToObj(
                i ->
                    TestingKafka.record(
                        topic, i % partitions, ("event " + i).getBytes(StandardCharsets.UTF_8)))
            .toList());
  }

  static void assertInPartitionOrder(RecordingFunction f) {
    Map<Integer, Long> last = new java.util.HashMap<>();
    for (RecordingFunction.Request r : f.requests()) {
      Long previous = last.put(r.partition(), r.offset());
      assertThat(previous == null || previous < r.offset()).as(r.eventId()).isTrue();
    }
  }
}
