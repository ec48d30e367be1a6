package io.kubeless.kafka;

import static io.kubeless.kafka.KafkaTriggerReconcilerTest.produce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.KafkaTrigger;
import io.kubeless.kafka.policy.TopicPolicy;
import io.kubeless.testing.KubeCluster;
import io.kubeless.testing.PackagedApp;
import io.kubeless.testing.RecordingFunction;
import io.kubeless.testing.TestFunctions;
import io.kubeless.testing.TriggerStatuses;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two security guarantees of the packaged Kafka trigger on a real API server, run as its
 * ServiceAccount with the RBAC of {@code k8s/kafka-trigger}, against a real broker: a tenant who
 * may write its Functions' status cannot redirect their events by {@code status.url}; and the
 * per-namespace topic policy decides, from the namespace's annotation, which topics a namespace's
 * KafkaTriggers consume. Each test starts its own trigger, one at a time (two runs with different
 * settings would both serve every KafkaTrigger of the cluster), and stops it with SIGTERM, which
 * hands the status Lease to the next.
 */
class KafkaPolicyClusterIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final String ACCOUNT = "kubeless-kafka-trigger";
  private static final String LEASE = "kubeless-kafka-trigger";

  /** JOSDK's server-side apply field manager: the controller's name. */
  private static final String FIELD_MANAGER = "kafkatrigger";

  private static KubeCluster cluster;
  private static KubernetesClient admin;

  private final List<RecordingFunction> servers = new ArrayList<>();
  private final List<String> namespaces = new ArrayList<>();
  private PackagedApp trigger;
  private String identity;

  @BeforeAll
  static void install() {
    cluster = KubeCluster.shared();
    admin = cluster.admin();
    // Kubeless's core first, for the Function CRD; its controller is not run: Functions' status
    // is written by the tests (or the tenant) as the controller would
    cluster.install("function-controller");
    cluster.install("kafka-trigger");
  }

  @AfterEach
  void stop() throws InterruptedException {
    try {
      if (trigger != null && trigger.isAlive()) {
        boolean ended = trigger.terminate(TIMEOUT);
        if (!ended) {
          trigger.close();
        }
        assertThat(ended).as(identity + " ended on SIGTERM").isTrue();
        // a rolling update hands status over at once, not when the Lease expires (15 s)
        await(identity + " releases the Lease")
            .atMost(Duration.ofSeconds(5))
            .until(() -> !identity.equals(leaseHolder()));
      }
    } finally {
      // the next test's trigger would serve them too
      namespaces.forEach(ns -> admin.resources(KafkaTrigger.class).inNamespace(ns).delete());
      servers.forEach(RecordingFunction::close);
    }
  }

  /**
   * A trigger never invokes {@code status.url}, which whoever may write a Function's status sets:
   * events keep going to the address derived from the Function's name and Service port, none to the
   * attacker's server, and a malformed value breaks nothing.
   */
  @Test
  void aTenantCannotRedirectEventsByStatusUrlAndAMalformedOneBreaksNothing() throws Exception {
    String ns = namespace("tenant", null);
    KubernetesClient tenant = tenant(ns);
    String elsewhere = namespace("elsewhere", null);
    RecordingFunction fn = server("fn");
    RecordingFunction attacker = server("attacker");
    // the tenant may write Functions and their status in its own namespace, and only there
    TestFunctions.create(tenant, ns, fn, Map.of("app", "fn"), true);
    assertThatThrownBy(() -> TestFunctions.create(tenant, elsewhere, fn, Map.of(), true))
        .isInstanceOfSatisfying(
            KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403));
    String topic = TestFunctions.unique("tenant-events");
    TestingKafka.createTopic(topic, 1);
    admin.resource(TestingKafka.trigger(ns, "t", topic, Map.of("app", "fn"))).create();
    startTrigger("kafka-status-url", false);

    awaitReady(ns, "t", "True", "Consuming");
    produce(topic, 1, 5);
    await().atMost(TIMEOUT).until(() -> fn.distinct() == 5);

    setStatusUrl(tenant, ns, "fn", attacker.url().toString());
    produce(topic, 1, 5);
    await().atMost(TIMEOUT).until(() -> fn.distinct() == 10);

    setStatusUrl(tenant, ns, "fn", "http://[::1");
    produce(topic, 1, 5);
    await().atMost(TIMEOUT).until(() -> fn.distinct() == 15);
    // the trigger still reconciles: a trigger created now binds the same Function and delivers
    String other = TestFunctions.unique("tenant-more");
    TestingKafka.createTopic(other, 1);
    admin.resource(TestingKafka.trigger(ns, "t2", other, Map.of("app", "fn"))).create();
    awaitReady(ns, "t2", "True", "Consuming");
    produce(other, 1, 3);
    await().atMost(TIMEOUT).until(() -> fn.distinct() == 18);

    assertThat(events(ns, "t2")).extracting(Event::getReason).doesNotContain("NoFunctionsMatch");
    assertThat(attacker.received()).isZero();
    assertThat(fn.duplicates()).isEmpty();
    assertThat(trigger.isAlive()).isTrue();
    assertThat(trigger.get("/q/health/ready")).contains("\"UP\"");
    awaitReady(ns, "t", "True", "Consuming");
    assertThat(log()).doesNotContain(attacker.url().toString());
  }

  /**
   * With the policy on, a namespace's annotation lists the topics its KafkaTriggers read; a refused
   * trigger says why (status by server-side apply, a Warning Event) and consumes nothing; a
   * namespace without the annotation reads nothing; a changed annotation applies at once. The
   * trigger reads namespaces with the manifests' RBAC alone.
   */
  @Test
  void theTopicPolicyDecidesFromTheNamespaceAnnotationWhichTopicsAreConsumed() throws Exception {
    String shop = namespace("shop", "orders.*");
    String bare = namespace("bare", null);
    String orders = TestFunctions.unique("orders.eu");
    String payments = TestFunctions.unique("payments");
    TestingKafka.createTopic(orders, 1);
    TestingKafka.createTopic(payments, 1);
    RecordingFunction shopFn = function(shop, "fn");
    RecordingFunction bareFn = function(bare, "fn");
    admin.resource(TestingKafka.trigger(shop, "orders", orders, Map.of("app", "fn"))).create();
    admin.resource(TestingKafka.trigger(shop, "payments", payments, Map.of("app", "fn"))).create();
    admin.resource(TestingKafka.trigger(bare, "orders", orders, Map.of("app", "fn"))).create();
    startTrigger("kafka-topic-policy", true);

    awaitReady(shop, "orders", "True", "Consuming");
    produce(orders, 1, 5);
    await().atMost(TIMEOUT).until(() -> shopFn.distinct() == 5);

    KafkaTrigger refused = awaitReady(shop, "payments", "False", TopicPolicy.TOPIC_NOT_ALLOWED);
    assertThat(readyMessage(refused)).contains(payments, TopicPolicy.ANNOTATION, "orders.*");
    assertThat(refused.getStatus().getFunctions()).isEmpty();
    assertThat(statusApply(refused)).as("status written by server-side apply").isPresent();
    TriggerStatuses.awaitWarningEvent(admin, shop, "payments", TopicPolicy.TOPIC_NOT_ALLOWED);
    KafkaTrigger unannotated = awaitReady(bare, "orders", "False", TopicPolicy.TOPIC_NOT_ALLOWED);
    assertThat(readyMessage(unannotated)).contains(orders, "has no annotation");
    TriggerStatuses.awaitWarningEvent(admin, bare, "orders", TopicPolicy.TOPIC_NOT_ALLOWED);

    produce(payments, 1, 5);
    await()
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(10))
        .until(() -> shopFn.received() == 5 && bareFn.received() == 0);
    assertThat(shopFn.requests())
        .extracting(RecordingFunction.Request::eventId)
        .allMatch(id -> id.startsWith(orders + "-"));
    assertThat(TestingKafka.groups())
        .doesNotContain(group(shop, "payments", payments), group(bare, "orders", orders));

    annotate(shop, "orders.*, " + payments);
    awaitReady(shop, "payments", "True", "Consuming");
    await().atMost(TIMEOUT).until(() -> shopFn.distinct() == 10);
    assertThat(TestingKafka.groups()).contains(group(shop, "payments", payments));
    // the refused namespace is still refused
    assertThat(bareFn.received()).isZero();
    awaitReady(bare, "orders", "False", TopicPolicy.TOPIC_NOT_ALLOWED);
    assertThat(events(shop, "payments")).extracting(Event::getType).contains("Warning");
    assertThat(log()).doesNotContain("Forbidden");
  }

  /** With the policy off (the default, as in Kubeless) every namespace reads every topic. */
  @Test
  void withThePolicyOffEveryTopicIsConsumed() throws Exception {
    String ns = namespace("open", null);
    String other = namespace("open-orders", "orders.*");
    String payments = TestFunctions.unique("payments");
    TestingKafka.createTopic(payments, 1);
    RecordingFunction fn = function(ns, "fn");
    RecordingFunction otherFn = function(other, "fn");
    admin.resource(TestingKafka.trigger(ns, "payments", payments, Map.of("app", "fn"))).create();
    admin.resource(TestingKafka.trigger(other, "payments", payments, Map.of("app", "fn"))).create();
    startTrigger("kafka-no-policy", false);

    awaitReady(ns, "payments", "True", "Consuming");
    awaitReady(other, "payments", "True", "Consuming");
    produce(payments, 1, 5);
    await().atMost(TIMEOUT).until(() -> fn.distinct() == 5 && otherFn.distinct() == 5);
    // a trigger bound at once is never reported as bound to nothing on its way in
    assertThat(events(ns, "payments"))
        .extracting(Event::getReason)
        .doesNotContain(TopicPolicy.TOPIC_NOT_ALLOWED, "NoFunctionsMatch");
  }

  // --- helpers ---------------------------------------------------------------------------

  /**
   * Starts the packaged trigger as its ServiceAccount with its shipped configuration, the broker's
   * address and the recording functions' address, and waits until it holds the status Lease.
   */
  private void startTrigger(String identity, boolean topicPolicy) {
    PackagedApp.Builder builder =
        PackagedApp.of("kubeless.trigger.jar")
            .cluster(cluster, ACCOUNT)
            .env("KAFKA_BROKERS", TestingKafka.bootstrap())
            // the recording functions listen on 127.0.0.1, on their Function's Service port
            .property("kubeless.trigger.functions.url-template", "http://127.0.0.1:{port}");
    if (topicPolicy) {
      builder.property("kubeless.kafka.topic-policy.enabled", "true");
    }
    this.identity = identity;
    this.trigger = builder.start(identity);
    await("the Lease held by " + identity)
        .atMost(TIMEOUT)
        .until(() -> identity.equals(leaseHolder()));
  }

  /** The holder of the trigger's status Lease, or null. */
  private static String leaseHolder() {
    Lease lease = admin.leases().inNamespace("kubeless").withName(LEASE).get();
    return lease == null ? null : lease.getSpec().getHolderIdentity();
  }

  /** A namespace of this test, with the topic policy's annotation when {@code allowed} is set. */
  private String namespace(String prefix, String allowed) {
    String ns = cluster.newNamespace(prefix);
    namespaces.add(ns);
    if (allowed != null) {
      annotate(ns, allowed);
    }
    return ns;
  }

  /** Sets the namespace's allowed topics, as a cluster administrator does. */
  private static void annotate(String ns, String allowed) {
    admin
        .namespaces()
        .withName(ns)
        .edit(
            n -> {
              Map<String, String> annotations = new HashMap<>();
              if (n.getMetadata().getAnnotations() != null) {
                annotations.putAll(n.getMetadata().getAnnotations());
              }
              annotations.put(TopicPolicy.ANNOTATION, allowed);
              n.getMetadata().setAnnotations(annotations);
              return n;
            });
  }

  /**
   * A client of a tenant: a ServiceAccount of {@code ns} that may write Functions and their status
   * in {@code ns} only.
   */
  private static KubernetesClient tenant(String ns) {
    admin
        .serviceAccounts()
        .inNamespace(ns)
        .resource(
            new ServiceAccountBuilder().withNewMetadata().withName("tenant").endMetadata().build())
        .create();
    admin
        .rbac()
        .roles()
        .inNamespace(ns)
        .resource(
            new RoleBuilder()
                .withNewMetadata()
                .withName("function-writer")
                .endMetadata()
                .withRules(
                    new PolicyRuleBuilder()
                        .withApiGroups("kubeless.io")
                        .withResources("functions")
                        .withVerbs("get", "list", "watch", "create", "update", "patch", "delete")
                        .build(),
                    new PolicyRuleBuilder()
                        .withApiGroups("kubeless.io")
                        .withResources("functions/status")
                        .withVerbs("get", "update", "patch")
                        .build())
                .build())
        .create();
    admin
        .rbac()
        .roleBindings()
        .inNamespace(ns)
        .resource(
            new RoleBindingBuilder()
                .withNewMetadata()
                .withName("function-writer")
                .endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "Role", "function-writer")
                .addNewSubject()
                .withKind("ServiceAccount")
                .withName("tenant")
                .withNamespace(ns)
                .endSubject()
                .build())
        .create();
    return cluster.clientAs(ns, "tenant");
  }

  /** The tenant writes {@code url} as its Function's {@code status.url}. */
  private static void setStatusUrl(KubernetesClient tenant, String ns, String name, String url) {
    tenant
        .resources(Function.class)
        .inNamespace(ns)
        .withName(name)
        .editStatus(
            f -> {
              f.getStatus().setUrl(url);
              return f;
            });
    assertThat(admin.resources(Function.class).inNamespace(ns).withName(name).get())
        .extracting(f -> f.getStatus().getUrl())
        .isEqualTo(url);
  }

  private RecordingFunction server(String name) throws IOException {
    RecordingFunction server = new RecordingFunction(name);
    servers.add(server);
    return server;
  }

  /** A ready Function served by a new recording function, labelled {@code app=<name>}. */
  private RecordingFunction function(String ns, String name) throws IOException {
    RecordingFunction f = server(name);
    TestFunctions.create(admin, ns, f, Map.of("app", name), true);
    return f;
  }

  private static KafkaTrigger awaitReady(String ns, String name, String status, String reason) {
    return TriggerStatuses.awaitReady(admin, KafkaTrigger.class, ns, name, status, reason);
  }

  private static String readyMessage(KafkaTrigger trigger) {
    return Conditions.find(trigger.getStatus(), Conditions.READY).orElseThrow().getMessage();
  }

  /** The trigger's server-side apply of the status subresource, in the object's managed fields. */
  private static Optional<ManagedFieldsEntry> statusApply(KafkaTrigger trigger) {
    return trigger.getMetadata().getManagedFields().stream()
        .filter(e -> FIELD_MANAGER.equals(e.getManager()))
        .filter(e -> "Apply".equals(e.getOperation()) && "status".equals(e.getSubresource()))
        .findFirst();
  }

  /** The consumer group of one function of one trigger (FunctionConsumer's naming). */
  private static String group(String ns, String trigger, String topic) {
    return ns + "_" + trigger + "_fn_" + topic;
  }

  private static List<Event> events(String ns, String name) {
    return admin.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName()))
        .toList();
  }

  private String log() {
    try {
      return Files.readString(Path.of("target", identity + ".log"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
