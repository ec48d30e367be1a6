package io.kubeless.kafka;

import static io.kubeless.kafka.KafkaTriggerReconcilerTest.produce;
import static io.kubeless.testing.TestFunctions.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.KafkaTrigger;
import io.kubeless.kafka.policy.TopicPolicy;
import io.kubeless.testing.BrokerTest;
import io.kubeless.testing.RecordingFunction;
import io.kubeless.testing.TestFunctions;
import io.kubeless.testing.TriggerStatuses;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The per-namespace topic policy on the mock API server and a real broker: a namespace's annotation
 * decides which topics its KafkaTriggers read, a refused trigger consumes nothing and says why, and
 * a changed annotation applies without touching the triggers.
 */
@QuarkusTest
@BrokerTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(TestingKafkaResource.class)
@TestProfile(TopicPolicyOnTest.PolicyOn.class)
class TopicPolicyOnTest {

  /** The policy switched on. */
  public static class PolicyOn implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("kubeless.kafka.topic-policy.enabled", "true");
    }
  }

  @Inject KubernetesClient client;

  private final List<RecordingFunction> functions = new ArrayList<>();

  @AfterEach
  void stopFunctions() {
    functions.forEach(RecordingFunction::close);
  }

  @Test
  void anAllowedTopicIsConsumedAndDelivered() throws Exception {
    String ns = TestFunctions.unique("allowed");
    String topic = TestFunctions.unique("orders");
    TestingKafka.createTopic(topic, 1);
    namespace(ns, "payments, " + topic.substring(0, 3) + "*");
    RecordingFunction f = function(ns, "fn");
    client.resource(TestingKafka.trigger(ns, "t", topic, Map.of("app", "fn"))).create();

    awaitReady(ns, "t", "True", "Consuming");
    produce(topic, 1, 10);

    await().atMost(TIMEOUT).until(() -> f.distinct() == 10);
  }

  @Test
  void aTopicTheNamespaceDoesNotAllowIsReportedAndNothingIsConsumed() throws Exception {
    String ns = TestFunctions.unique("refused");
    String topic = TestFunctions.unique("payroll");
    TestingKafka.createTopic(topic, 1);
    namespace(ns, "orders.*");
    RecordingFunction f = function(ns, "fn");
    client.resource(TestingKafka.trigger(ns, "t", topic, Map.of("app", "fn"))).create();
    // no annotation at all: nothing is allowed
    String bare = TestFunctions.unique("bare");
    namespace(bare, null);
    RecordingFunction g = function(bare, "fn");
    client.resource(TestingKafka.trigger(bare, "t", topic, Map.of("app", "fn"))).create();

    KafkaTrigger refused = awaitReady(ns, "t", "False", TopicPolicy.TOPIC_NOT_ALLOWED);
    String message =
        Conditions.find(refused.getStatus(), Conditions.READY).orElseThrow().getMessage();
    assertThat(message).contains(topic, TopicPolicy.ANNOTATION);
    assertThat(refused.getStatus().getFunctions()).isEmpty();
    awaitReady(bare, "t", "False", TopicPolicy.TOPIC_NOT_ALLOWED);
    await().atMost(TIMEOUT).until(() -> warned(ns, "t") && warned(bare, "t"));

    produce(topic, 1, 10);
    await()
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(6))
        .until(() -> f.received() == 0 && g.received() == 0);
    assertThat(TestingKafka.groups()).noneMatch(group -> group.startsWith(ns + "_"));
    assertThat(TestingKafka.groups()).noneMatch(group -> group.startsWith(bare + "_"));
  }

  @Test
  void aChangedAnnotationAppliesToTheNamespaceTriggers() throws Exception {
    String ns = TestFunctions.unique("change");
    String topic = TestFunctions.unique("events");
    TestingKafka.createTopic(topic, 1);
    namespace(ns, "nothing-else");
    RecordingFunction f = function(ns, "fn");
    client.resource(TestingKafka.trigger(ns, "t", topic, Map.of("app", "fn"))).create();
    awaitReady(ns, "t", "False", TopicPolicy.TOPIC_NOT_ALLOWED);

    annotate(ns, "nothing-else," + topic);
    awaitReady(ns, "t", "True", "Consuming");
    produce(topic, 1, 5);
    await().atMost(TIMEOUT).until(() -> f.distinct() == 5);

    annotate(ns, null);
    awaitReady(ns, "t", "False", TopicPolicy.TOPIC_NOT_ALLOWED);
    String group = ns + "_t_fn_" + topic;
    await().atMost(TIMEOUT).until(() -> !TestingKafka.readers(client, ns).containsKey(group));
    produce(topic, 1, 5);
    await()
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(6))
        .until(() -> f.received() == 5);
  }

  // --- helpers ---------------------------------------------------------------------------

  private void namespace(String name, String allowedTopics) {
    Map<String, String> annotations = new HashMap<>();
    if (allowedTopics != null) {
      annotations.put(TopicPolicy.ANNOTATION, allowedTopics);
    }
    client
        .namespaces()
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(name)
                .withAnnotations(annotations)
                .endMetadata()
                .build())
        .create();
  }

  private void annotate(String name, String allowedTopics) {
    client
        .namespaces()
        .withName(name)
        .edit(
            n -> {
              Map<String, String> annotations = new HashMap<>();
              if (allowedTopics != null) {
                annotations.put(TopicPolicy.ANNOTATION, allowedTopics);
              }
              n.getMetadata().setAnnotations(annotations);
              return n;
            });
  }

  private RecordingFunction function(String ns, String name) throws Exception {
    RecordingFunction f = new RecordingFunction(name);
    functions.add(f);
    TestFunctions.create(client, ns, f, Map.of("app", name), true);
    return f;
  }

  private boolean warned(String ns, String trigger) {
    return client.v1().events().inNamespace(ns).list().getItems().stream()
        .anyMatch(
            e ->
                TopicPolicy.TOPIC_NOT_ALLOWED.equals(e.getReason())
                    && "Warning".equals(e.getType())
                    && trigger.equals(e.getInvolvedObject().getName()));
  }

  private KafkaTrigger awaitReady(String ns, String name, String status, String reason) {
    return TriggerStatuses.awaitReady(client, KafkaTrigger.class, ns, name, status, reason);
  }
}
