package io.kubeless.kafka;

import static io.kubeless.testing.TestFunctions.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.KafkaTrigger;
import io.kubeless.testing.KubeCluster;
import io.kubeless.testing.PackagedApp;
import io.kubeless.testing.RecordingFunction;
import io.kubeless.testing.TestFunctions;
import io.kubeless.testing.TriggerStatuses;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.coordination.BindingKey;
import io.kubeless.trigger.kubernetes.LeaseShardCoordinator;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packaged Kafka trigger on a real API server, installed with {@code kubectl apply -k
 * k8s/kafka-trigger} and running as its ServiceAccount under the manifests' RBAC, with its shipped
 * configuration (server-side apply on, the shipped status Lease timings), against the KRaft broker
 * of the test JVM.
 */
class KafkaTriggerClusterIT {

  private static final String ACCOUNT = "kubeless-kafka-trigger";
  private static final String LEASE = "kubeless-kafka-trigger";
  private static final int MAX_POLL_RECORDS = 100;
  private static final int PARTITIONS = 3;

  private static KubeCluster cluster;
  private static KubernetesClient admin;

  @BeforeAll
  static void install() {
    cluster = KubeCluster.shared();
    admin = cluster.admin();
    // the Function CRD comes with the function controller, installed first (README)
    cluster.install("function-controller");
    cluster.install("kafka-trigger");
  }

  @Test
  void deliversRecordsAndWritesItsStatusByServerSideApplyUnderTheManifestsPermissions()
      throws Exception {
    String ns = cluster.newNamespace("kafka-ssa");
    String topic = TestFunctions.unique("ssa");
    TestingKafka.createTopic(topic, PARTITIONS);
    try (RecordingFunction orders = new RecordingFunction("orders");
        PackagedApp trigger = replica("kafka-ssa-0")) {
      TestFunctions.create(admin, ns, orders, Map.of("app", "orders"), true);
      admin.resource(TestingKafka.trigger(ns, "orders", topic, Map.of("app", "orders"))).create();
      admin.resource(TestingKafka.trigger(ns, "nobody", topic, Map.of("app", "nobody"))).create();

      produce(topic, 0, 30);
      await().atMost(TIMEOUT).until(() -> orders.distinct() == 30);
      assertThat(orders.duplicates()).isEmpty();

      KafkaTrigger ready =
          TriggerStatuses.awaitReady(admin, KafkaTrigger.class, ns, "orders", "True", "Consuming");
      assertThat(ready.getStatus().getObservedGeneration())
          .isEqualTo(ready.getMetadata().getGeneration());
      assertThat(ready.getStatus().getFunctions())
          .singleElement()
          .satisfies(f -> assertThat(f.getName()).isEqualTo("orders"));
      assertThat(statusManagers(ready)).contains("Apply");

      KafkaTrigger invalid =
          TriggerStatuses.awaitReady(
              admin, KafkaTrigger.class, ns, "nobody", "False", "NoFunctionsMatch");
      assertThat(Conditions.find(invalid.getStatus(), Conditions.READY).orElseThrow().getMessage())
          .contains(ns);
      TriggerStatuses.awaitWarningEvent(admin, ns, "nobody", "NoFunctionsMatch");

      String table = cluster.kubectl("get", "kafkatriggers", "-n", ns);
      assertThat(table.lines().findFirst().orElseThrow().split("\\s+"))
          .containsExactly("NAME", "AGE", "TOPIC", "READY", "FUNCTIONS");
      assertThat(KubeCluster.row(table, "orders"))
          .containsSubsequence("orders", topic, "True", "orders");
      assertThat(KubeCluster.row(table, "nobody")).containsSubsequence("nobody", topic, "False");

      // a deleted trigger leaves no Lease behind
      assertThat(partitionLeases(ns, "orders")).hasSize(PARTITIONS);
      admin.resources(KafkaTrigger.class).inNamespace(ns).withName("orders").delete();
      await().atMost(TIMEOUT).until(() -> partitionLeases(ns, "orders").isEmpty());

      assertThat(trigger.terminate(Duration.ofSeconds(15))).as("ended within 15 s").isTrue();
    }
  }

  /**
   * Three replicas share the partitions of each (trigger, function) through Leases; the status
   * Lease elects which one writes status. A SIGTERM releases the Lease, so the other one writes at
   * once; a SIGKILL leaves it to expire. Across both, no record reaches the function twice, and
   * losses stay within one poll per partition of the killed replica.
   */
  @Test
  void theStatusLeaseMovesOnSigtermAndSigkillWhileEveryReplicaDeliversWithoutDuplicates()
      throws Exception {
    String ns = cluster.newNamespace("kafka-lease");
    String topic = TestFunctions.unique("lease");
    TestingKafka.createTopic(topic, PARTITIONS);
    String group = ns + "_orders_orders_" + topic;
    int produced = 0;
    try (RecordingFunction orders = new RecordingFunction("orders");
        PackagedApp a = replica("kafka-lease-a");
        PackagedApp b = replica("kafka-lease-b");
        PackagedApp c = replica("kafka-lease-c")) {
      Map<String, PackagedApp> replicas =
          Map.of("kafka-lease-a", a, "kafka-lease-b", b, "kafka-lease-c", c);
      TestFunctions.create(admin, ns, orders, Map.of("app", "orders"), true);
      admin.resource(TestingKafka.trigger(ns, "orders", topic, Map.of("app", "orders"))).create();
      TriggerStatuses.awaitReady(admin, KafkaTrigger.class, ns, "orders", "True", "Consuming");
      // every replica consumes: the data plane is not leader-elected
      await()
          .atMost(TIMEOUT)
          .until(() -> TestingKafka.readers(admin, ns).getOrDefault(group, Set.of()).size() == 3);

      produced += produce(topic, produced, 90);
      int sent = produced;
      await().atMost(TIMEOUT).until(() -> orders.distinct() == sent);

      // SIGTERM the status writer: it releases the Lease on its way out
      String first = awaitHolder(without());
      assertThat(replicas.get(first).terminate(Duration.ofSeconds(15)))
          .as("ended within 15 s")
          .isTrue();
      assertThat(holder()).as("released by " + first).isNotEqualTo(first);
      produced += produce(topic, produced, 90);
      long generation = changeTrigger(ns, 8);
      String second = awaitHolder(without(first));
      awaitObservedGeneration(ns, generation);
      int afterSigterm = produced;
      await().atMost(TIMEOUT).until(() -> orders.distinct() == afterSigterm);
      assertThat(orders.duplicates()).as("duplicates after SIGTERM").isEmpty();

      // SIGKILL the next writer: the last replica takes the Lease once it expires
      produced += produce(topic, produced, 90);
      replicas.get(second).kill();
      produced += produce(topic, produced, 90);
      String third = awaitHolder(without(first, second));
      long next = changeTrigger(ns, 16);
      awaitObservedGeneration(ns, next);

      int total = produced;
      int bound = MAX_POLL_RECORDS * PARTITIONS;
      await()
          .atMost(TIMEOUT)
          .until(
              () ->
                  TestingKafka.committed(group).equals(TestingKafka.endOffsets(topic, PARTITIONS)));
      await().atMost(TIMEOUT).until(() -> orders.distinct() >= total - bound);
      assertThat(orders.duplicates()).as("duplicates").isEmpty();
      int lost = total - orders.distinct();
      assertThat(lost).as("lost of " + total).isBetween(0, bound);

      // deleted, the trigger leaves no Lease behind: neither the live replica's nor the killed
      // one's, expired
      admin.resources(KafkaTrigger.class).inNamespace(ns).withName("orders").delete();
      await().atMost(TIMEOUT).until(() -> partitionLeases(ns, "orders").isEmpty());
    }
  }

  private static PackagedApp replica(String identity) {
    return PackagedApp.of("kubeless.trigger.jar")
        .cluster(cluster, ACCOUNT)
        .env("KAFKA_BROKERS", TestingKafka.bootstrap())
        // kubeless.trigger.functions.url-template, as an environment variable: no property of
        // that name in a build that still reads the URL from the Function's status
        .env("KUBELESS_TRIGGER_FUNCTIONS_URL_TEMPLATE", "http://127.0.0.1:{port}")
        .property("kubeless.kafka.consumer.max-poll-records", String.valueOf(MAX_POLL_RECORDS))
        .property("kubeless.kafka.consumer.probe-interval", "1s")
        // a killed replica's partitions are taken over once its Leases expire
        .property("kubeless.kafka.lease-duration", "3s")
        .property("kubeless.kafka.renew-interval", "1s")
        .start(identity);
  }

  /** Produces {@code count} records numbered from {@code from}, round robin over partitions. */
  private static int produce(String topic, int from, int count) {
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int i = from; i < from + count; i++) {
      records.add(
          TestingKafka.record(
              topic, i % PARTITIONS, ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8)));
    }
    TestingKafka.produce(records);
    return count;
  }

  /** A spec change (maxInFlight), so that the status must follow a new generation. */
  private static long changeTrigger(String ns, int maxInFlight) {
    KafkaTrigger changed =
        admin
            .resources(KafkaTrigger.class)
            .inNamespace(ns)
            .withName("orders")
            .edit(
                t -> {
                  t.getSpec().setMaxInFlight(maxInFlight);
                  return t;
                });
    return changed.getMetadata().getGeneration();
  }

  private static void awaitObservedGeneration(String ns, long generation) {
    await()
        .atMost(TIMEOUT)
        .until(
            () -> admin.resources(KafkaTrigger.class).inNamespace(ns).withName("orders").get(),
            t ->
                t.getStatus() != null
                    && Long.valueOf(generation).equals(t.getStatus().getObservedGeneration()));
  }

  /** The partition Leases of the binding of {@code trigger} to the function "orders". */
  private static List<Lease> partitionLeases(String ns, String trigger) {
    BindingKey binding = new BindingKey(new TriggerId(ns, trigger), "orders");
    return admin
        .leases()
        .inNamespace("kubeless")
        .withLabel(
            LeaseShardCoordinator.bindingLabelKey("kafka"),
            LeaseShardCoordinator.bindingLabel(binding))
        .list()
        .getItems();
  }

  private static String holder() {
    Lease lease = admin.leases().inNamespace("kubeless").withName(LEASE).get();
    return lease == null || lease.getSpec().getHolderIdentity() == null
        ? ""
        : lease.getSpec().getHolderIdentity();
  }

  private static String awaitHolder(Set<String> candidates) {
    return await().atMost(TIMEOUT).until(KafkaTriggerClusterIT::holder, candidates::contains);
  }

  private static Set<String> without(String... gone) {
    Set<String> candidates =
        new HashSet<>(Set.of("kafka-lease-a", "kafka-lease-b", "kafka-lease-c"));
    List.of(gone).forEach(candidates::remove);
    return candidates;
  }

  /** The operations of the field managers that own the trigger's status. */
  private static Set<String> statusManagers(KafkaTrigger trigger) {
    Set<String> operations = new HashSet<>();
    for (ManagedFieldsEntry entry : trigger.getMetadata().getManagedFields()) {
      if ("status".equals(entry.getSubresource())) {
        operations.add(entry.getOperation());
      }
    }
    return operations;
  }
}
