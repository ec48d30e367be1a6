package io.kubeless.nats;

import static io.kubeless.testing.TestFunctions.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.v1beta1.NATSTrigger;
import io.kubeless.api.v1beta1.NATSTriggerSpec;
import io.kubeless.testing.KubeCluster;
import io.kubeless.testing.NatsServer;
import io.kubeless.testing.PackagedApp;
import io.kubeless.testing.RecordingFunction;
import io.kubeless.testing.Repository;
import io.kubeless.testing.TestFunctions;
import io.kubeless.testing.TriggerStatuses;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packaged NATS trigger on a real API server, installed with {@code kubectl apply -k
 * k8s/nats-trigger} and running as its ServiceAccount under the manifests' RBAC, with its shipped
 * configuration (server-side apply on, the shipped status Lease timings), against a real {@code
 * nats-server}.
 */
class NatsTriggerClusterIT {

  private static final String ACCOUNT = "kubeless-nats-trigger";
  private static final String LEASE = "kubeless-nats-trigger";
  private static final Pattern RECEIVED =
      Pattern.compile("(?m)^kubeless_trigger_events_received_total\\{[^}]*} (?<n>[0-9.E]+)$");
  private static final Pattern FAILED =
      Pattern.compile("(?m)^operator_sdk_reconciliations_failed_total(\\{[^}]*})? (?<n>[0-9.E]+)$");

  private static KubeCluster cluster;
  private static KubernetesClient admin;
  private static NatsServer server;
  private static Connection publisher;

  @BeforeAll
  static void install() throws Exception {
    cluster = KubeCluster.shared();
    admin = cluster.admin();
    // the Function CRD comes with the function controller, installed first (README)
    cluster.install("function-controller");
    cluster.install("nats-trigger");
    server = NatsServer.start();
    publisher = Nats.connect(server.url());
  }

  @AfterAll
  static void stopServer() throws InterruptedException {
    if (publisher != null) {
      publisher.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void deliversMessagesAndWritesItsStatusByServerSideApplyUnderTheManifestsPermissions()
      throws Exception {
    String ns = cluster.newNamespace("nats-ssa");
    String subject = TestFunctions.unique("ssa");
    try (RecordingFunction orders = new RecordingFunction("orders");
        PackagedApp trigger = replica("nats-ssa-0")) {
      TestFunctions.create(admin, ns, orders, Map.of("app", "orders"), true);
      admin.resource(trigger(ns, "orders", subject, "orders")).create();
      admin.resource(trigger(ns, "nobody", subject, "nobody")).create();

      NATSTrigger ready =
          TriggerStatuses.awaitReady(admin, NATSTrigger.class, ns, "orders", "True", "Subscribed");
      awaitSubscribed(subject, orders);
      publish(subject, 0, 30);
      await().atMost(TIMEOUT).until(() -> numbered(orders) == 30);
      assertThat(orders.duplicates()).isEmpty();
      assertThat(orders.requests().getFirst().headers()).containsEntry("event-topic", subject);

      assertThat(ready.getStatus().getObservedGeneration())
          .isEqualTo(ready.getMetadata().getGeneration());
      assertThat(ready.getStatus().getFunctions())
          .singleElement()
          .satisfies(f -> assertThat(f.getName()).isEqualTo("orders"));
      assertThat(KubeCluster.statusOperations(ready)).contains("Apply");

      TriggerStatuses.awaitReady(
          admin, NATSTrigger.class, ns, "nobody", "False", "NoFunctionsMatch");
      TriggerStatuses.awaitWarningEvent(admin, ns, "nobody", "NoFunctionsMatch");

      String table = cluster.kubectl("get", "natstriggers", "-n", ns);
      assertThat(table.lines().findFirst().orElseThrow().split("\\s+"))
          .containsExactly("NAME", "AGE", "TOPIC", "READY", "FUNCTIONS");
      assertThat(KubeCluster.row(table, "orders"))
          .containsSubsequence("orders", subject, "True", "orders");
      assertThat(KubeCluster.row(table, "nobody")).containsSubsequence("nobody", subject, "False");

      assertThat(trigger.terminate(Duration.ofSeconds(15))).as("ended within 15 s").isTrue();
    }
  }

  /**
   * Three replicas share the (trigger, function) queue group; the status Lease elects which one
   * writes status. A SIGTERM releases the Lease and leaves the queue group, so another replica
   * writes at once and nothing is lost; a SIGKILL leaves the Lease to expire. No message reaches
   * the function twice.
   */
  @Test
  void theStatusLeaseMovesOnSigtermAndSigkillWhileEveryReplicaDeliversWithoutDuplicates()
      throws Exception {
    String ns = cluster.newNamespace("nats-lease");
    String subject = TestFunctions.unique("lease");
    int sent = 0;
    try (RecordingFunction orders = new RecordingFunction("orders");
        PackagedApp a = replica("nats-lease-a");
        PackagedApp b = replica("nats-lease-b");
        PackagedApp c = replica("nats-lease-c")) {
      Map<String, PackagedApp> replicas =
          Map.of("nats-lease-a", a, "nats-lease-b", b, "nats-lease-c", c);
      TestFunctions.create(admin, ns, orders, Map.of("app", "orders"), true);
      admin.resource(trigger(ns, "orders", subject, "orders")).create();
      TriggerStatuses.awaitReady(admin, NATSTrigger.class, ns, "orders", "True", "Subscribed");
      // every replica subscribes and delivers: the data plane is not leader-elected
      await()
          .atMost(TIMEOUT)
          .until(
              () -> {
                probe(subject);
                for (PackagedApp r : replicas.values()) {
                  if (received(r) == 0) {
                    return false;
                  }
                }
                return true;
              });

      sent += publish(subject, sent, 90);
      int first = sent;
      await().atMost(TIMEOUT).until(() -> numbered(orders) == first);

      String leader = awaitHolder(replicas.keySet());
      assertThat(replicas.get(leader).terminate(Duration.ofSeconds(15)))
          .as("ended within 15 s")
          .isTrue();
      assertThat(holder()).as("released by " + leader).isNotEqualTo(leader);
      sent += publish(subject, sent, 90);
      long generation = changeTrigger(ns, 8);
      String next = awaitHolder(without(replicas.keySet(), leader));
      awaitObservedGeneration(ns, generation);
      int second = sent;
      await().atMost(TIMEOUT).until(() -> numbered(orders) == second);
      assertThat(orders.duplicates()).as("duplicates after SIGTERM").isEmpty();

      replicas.get(next).kill();
      String last = awaitHolder(without(replicas.keySet(), leader, next));
      long nextGeneration = changeTrigger(ns, 16);
      awaitObservedGeneration(ns, nextGeneration);
      sent += publish(subject, sent, 90);
      int total = sent;
      await().atMost(TIMEOUT).until(() -> numbered(orders) == total);
      assertThat(orders.duplicates()).as("duplicates").isEmpty();
      assertThat(replicas.get(last).terminate(Duration.ofSeconds(15))).isTrue();
    }
  }

  /**
   * The manifests' permission to patch {@code natstriggers/status} is what status writing rests on:
   * without it the trigger keeps delivering, says why it cannot write status (its log and the
   * failed-reconciliation metric), and writes it once the permission is back.
   */
  @Test
  void withoutThePermissionToPatchStatusTheTriggerDeliversSaysSoAndRecoversWhenItIsBack()
      throws Exception {
    String ns = cluster.newNamespace("nats-rbac");
    String subject = TestFunctions.unique("rbac");
    Path rbac = Repository.root().resolve("k8s/nats-trigger/rbac.yaml");
    String rule =
        """
        - apiGroups: [kubeless.io]
          resources: [natstriggers/status]
          verbs: [get, update, patch]
        """;
    String shipped = Files.readString(rbac);
    assertThat(shipped).contains(rule);
    Path reduced = Files.createTempFile("rbac", ".yaml");
    Files.writeString(reduced, shipped.replace(rule, ""));
    cluster.kubectl(
        "apply", "--server-side", "--force-conflicts", "-n", "kubeless", "-f", reduced.toString());
    try (RecordingFunction orders = new RecordingFunction("orders");
        PackagedApp trigger = replica("nats-rbac-0")) {
      TestFunctions.create(admin, ns, orders, Map.of("app", "orders"), true);
      admin.resource(trigger(ns, "orders", subject, "orders")).create();
      await().atMost(TIMEOUT).until(() -> holder().equals("nats-rbac-0"));

      awaitSubscribed(subject, orders);
      publish(subject, 0, 20);
      await().atMost(TIMEOUT).until(() -> numbered(orders) == 20);

      Path log = Path.of("target", "nats-rbac-0.log");
      await()
          .atMost(TIMEOUT)
          .until(
              () ->
                  Files.readString(log).contains("cannot patch resource \"natstriggers/status\""));
      await().atMost(TIMEOUT).until(() -> failedReconciliations(trigger) > 0);
      assertThat(
              admin
                  .resources(NATSTrigger.class)
                  .inNamespace(ns)
                  .withName("orders")
                  .get()
                  .getStatus())
          .as("status written without the permission")
          .isNull();

      cluster.install("nats-trigger");
      TriggerStatuses.awaitReady(admin, NATSTrigger.class, ns, "orders", "True", "Subscribed");
      publish(subject, 20, 20);
      await().atMost(TIMEOUT).until(() -> numbered(orders) == 40);
      assertThat(orders.duplicates()).isEmpty();
      assertThat(trigger.terminate(Duration.ofSeconds(15))).isTrue();
    } finally {
      cluster.install("nats-trigger");
    }
  }

  private static PackagedApp replica(String identity) {
    return PackagedApp.of("kubeless.trigger.jar")
        .cluster(cluster, ACCOUNT)
        .env("NATS_URL", server.url())
        // kubeless.trigger.functions.url-template, as an environment variable: no property of
        // that name in a build that still reads the URL from the Function's status
        .env("KUBELESS_TRIGGER_FUNCTIONS_URL_TEMPLATE", "http://127.0.0.1:{port}")
        .property("kubeless.nats.batch-size", String.valueOf(NatsContract.BATCH))
        .start(identity);
  }

  private static NATSTrigger trigger(String ns, String name, String subject, String app) {
    NATSTriggerSpec spec = new NATSTriggerSpec();
    spec.setTopic(subject);
    spec.setFunctionSelector(
        new LabelSelectorBuilder().withMatchLabels(Map.of("app", app)).build());
    NATSTrigger trigger = new NATSTrigger();
    trigger.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
    trigger.setSpec(spec);
    return trigger;
  }

  /** Publishes {@code count} messages numbered from {@code from}, each with its own id. */
  private static int publish(String subject, int from, int count) throws Exception {
    for (int i = from; i < from + count; i++) {
      Headers headers = new Headers();
      headers.put("Nats-Msg-Id", subject + "-" + i);
      publisher.publish(
          NatsMessage.builder()
              .subject(subject)
              .headers(headers)
              .data(("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8))
              .build());
    }
    publisher.flush(Duration.ofSeconds(10));
    return count;
  }

  /**
   * Core NATS keeps nothing for a subscriber that is not there yet: probes until one arrives, so
   * that the numbered messages after it all have a subscriber.
   */
  private static void awaitSubscribed(String subject, RecordingFunction function) {
    await()
        .atMost(TIMEOUT)
        .until(
            () -> {
              probe(subject);
              return function.received() > 0;
            });
  }

  private static void probe(String subject) throws Exception {
    Headers headers = new Headers();
    headers.put("Nats-Msg-Id", subject + "-probe-" + UUID.randomUUID());
    publisher.publish(NatsMessage.builder().subject(subject).headers(headers).data("{}").build());
    publisher.flush(Duration.ofSeconds(10));
  }

  /** The distinct numbered messages the function received (probes aside). */
  private static long numbered(RecordingFunction function) {
    return function.requests().stream()
        .map(RecordingFunction.Request::eventId)
        .filter(id -> !id.contains("-probe-"))
        .distinct()
        .count();
  }

  /** A spec change (maxInFlight), so that the status must follow a new generation. */
  private static long changeTrigger(String ns, int maxInFlight) {
    return admin
        .resources(NATSTrigger.class)
        .inNamespace(ns)
        .withName("orders")
        .edit(
            t -> {
              t.getSpec().setMaxInFlight(maxInFlight);
              return t;
            })
        .getMetadata()
        .getGeneration();
  }

  private static void awaitObservedGeneration(String ns, long generation) {
    await()
        .atMost(TIMEOUT)
        .until(
            () -> admin.resources(NATSTrigger.class).inNamespace(ns).withName("orders").get(),
            t ->
                t.getStatus() != null
                    && Long.valueOf(generation).equals(t.getStatus().getObservedGeneration()));
  }

  private static String holder() {
    Lease lease = admin.leases().inNamespace("kubeless").withName(LEASE).get();
    return lease == null || lease.getSpec().getHolderIdentity() == null
        ? ""
        : lease.getSpec().getHolderIdentity();
  }

  private static String awaitHolder(Set<String> candidates) {
    return await().atMost(TIMEOUT).until(NatsTriggerClusterIT::holder, candidates::contains);
  }

  private static Set<String> without(Set<String> all, String... gone) {
    Set<String> candidates = new HashSet<>(all);
    List.of(gone).forEach(candidates::remove);
    return candidates;
  }

  /** The events this replica took from NATS, over all its bindings. */
  private static double received(PackagedApp replica) throws Exception {
    return sum(RECEIVED, replica.get("/q/metrics"));
  }

  private static double failedReconciliations(PackagedApp replica) throws Exception {
    return sum(FAILED, replica.get("/q/metrics"));
  }

  private static double sum(Pattern pattern, String metrics) {
    double sum = 0;
    Matcher m = pattern.matcher(metrics);
    while (m.find()) {
      sum += Double.parseDouble(m.group("n"));
    }
    return sum;
  }
}
