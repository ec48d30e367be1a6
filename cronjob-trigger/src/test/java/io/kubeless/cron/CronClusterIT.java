package io.kubeless.cron;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.CronJobTrigger;
import io.kubeless.api.v1beta1.TriggerStatus;
import io.kubeless.testing.KubeCluster;
import io.kubeless.testing.PackagedApp;
import io.kubeless.testing.RecordingFunction;
import io.kubeless.testing.TestFunctions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packaged cronjob trigger on a real API server, installed with {@code kubectl apply -k
 * k8s/cronjob-trigger} and running as its ServiceAccount under the manifests' RBAC, with its
 * shipped configuration (only the status interval is shortened): status, written by server-side
 * apply, and Warning Events of valid and invalid triggers, and the firing Lease across a graceful
 * stop and a SIGKILL, each tick fired at most once and the ticks nobody fired counted in {@code
 * missedTicks}.
 */
class CronClusterIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(90);
  private static final String ACCOUNT = "kubeless-cronjob-trigger";
  private static final String LEASE = "kubeless-cronjob-trigger";

  private static KubeCluster cluster;
  private static KubernetesClient admin;

  @BeforeAll
  static void install() {
    cluster = KubeCluster.shared();
    admin = cluster.admin();
    cluster.install("cronjob-trigger");
    // the Functions' CRD, which the function controller's installation brings
    cluster.install("crds/functions");
  }

  @Test
  void aTriggerFiresAndItsStatusIsWrittenUnderTheManifestsPermissions() throws Exception {
    String ns = cluster.newNamespace("cron-status");
    try (RecordingFunction f = new RecordingFunction("tick");
        PackagedApp trigger = replica("cron-status-0")) {
      TestFunctions.create(admin, ns, f, Map.of("function", "tick"), true);
      admin
          .resource(CronJobTriggerReconcilerTest.trigger(ns, "every", "@every 2s", "tick", "{}"))
          .create();
      admin
          .resource(
              CronJobTriggerReconcilerTest.trigger(ns, "broken", "not a schedule", "tick", "{}"))
          .create();

      await().atMost(TIMEOUT).until(() -> f.received() >= 2);
      String uid = get(ns, "every").getMetadata().getUid();
      assertThat(f.requests()).allSatisfy(r -> assertThat(r.eventId()).startsWith(uid + "-"));
      assertThat(f.duplicates()).isEmpty();

      TriggerStatus status =
          await()
              .atMost(TIMEOUT)
              .until(
                  () -> status(ns, "every"),
                  s ->
                      s != null
                          && isTrue(ready(s))
                          && s.getLastScheduleTime() != null
                          && s.getNextScheduleTime() != null);
      assertThat(Instant.parse(status.getNextScheduleTime()))
          .isAfter(Instant.parse(status.getLastScheduleTime()));
      assertThat(status.getObservedGeneration())
          .isEqualTo(get(ns, "every").getMetadata().getGeneration());
      assertThat(status.getFunctions())
          .singleElement()
          .satisfies(b -> assertThat(b.getName()).isEqualTo("tick"));

      assertThat(get(ns, "every").getMetadata().getManagedFields())
          .as("status written by server-side apply")
          .filteredOn(m -> "status".equals(m.getSubresource()))
          .isNotEmpty()
          .allSatisfy(m -> assertThat(m.getOperation()).isEqualTo("Apply"));

      String table = cluster.kubectl("get", "cronjobtriggers", "-n", ns);
      assertThat(table.lines().findFirst().orElseThrow().split("\\s+"))
          .containsExactly(
              "NAME", "AGE", "FUNCTION", "SCHEDULE", "READY", "LAST", "SCHEDULE", "NEXT");
      String every = table.lines().filter(l -> l.startsWith("every ")).findFirst().orElseThrow();
      assertThat(every).contains("tick").contains("@every 2s").contains("True");
      assertThat(every).as("last and next schedule shown").doesNotContain("<none>");

      // an invalid schedule: Ready=False with the reason, a Warning Event, and no crash
      Condition broken =
          await()
              .atMost(TIMEOUT)
              .until(
                  () -> ready(status(ns, "broken")),
                  c -> c != null && "False".equals(c.getStatus()));
      assertThat(broken.getReason()).isEqualTo("InvalidSpec");
      assertThat(broken.getMessage()).isNotBlank();
      Event event =
          await()
              .atMost(TIMEOUT)
              .until(() -> warning(ns, "broken", "InvalidSpec"), Optional::isPresent)
              .orElseThrow();
      assertThat(event.getInvolvedObject().getKind()).isEqualTo("CronJobTrigger");
      assertThat(trigger.isAlive()).isTrue();
      int before = f.received();
      await().atMost(TIMEOUT).until(() -> f.received() > before);
      assertThat(f.duplicates()).isEmpty();
      assertThat(trigger.terminate(Duration.ofSeconds(15))).isTrue();
    } finally {
      admin.resources(CronJobTrigger.class).inNamespace(ns).delete();
    }
  }

  @Test
  void onlyTheLeaseHolderFiresAndTheStandbyTakesOverAfterAStopAndAfterAKill() throws Exception {
    String ns = cluster.newNamespace("cron-lease");
    try (RecordingFunction f = new RecordingFunction("tick");
        PackagedApp a = replica("cron-lease-a");
        PackagedApp b = replica("cron-lease-b")) {
      TestFunctions.create(admin, ns, f, Map.of("function", "tick"), true);
      admin
          .resource(CronJobTriggerReconcilerTest.trigger(ns, "every", "@every 1s", "tick", "{}"))
          .create();
      await().atMost(TIMEOUT).until(() -> f.received() >= 5);
      assertThat(f.duplicates()).as("fired twice by two replicas").isEmpty();

      // SIGTERM the holder: it releases the Lease, and the standby takes it before it expires
      Lease held =
          await()
              .atMost(TIMEOUT)
              .until(
                  CronClusterIT::lease,
                  l -> List.of("cron-lease-a", "cron-lease-b").contains(holder(l)));
      String first = holder(held);
      PackagedApp stopped = first.equals("cron-lease-a") ? a : b;
      String standby = first.equals("cron-lease-a") ? "cron-lease-b" : "cron-lease-a";
      assertThat(stopped.terminate(Duration.ofSeconds(15))).as("stopped within 15 s").isTrue();
      Instant stoppedAt = Instant.now();
      Lease released = lease();
      assertThat(holder(released)).as("released when the process exited").isNotEqualTo(first);
      Lease taken =
          await().atMost(TIMEOUT).until(CronClusterIT::lease, l -> standby.equals(holder(l)));
      Instant expiry =
          held.getSpec()
              .getRenewTime()
              .toInstant()
              .plusSeconds(held.getSpec().getLeaseDurationSeconds());
      assertThat(taken.getSpec().getAcquireTime().toInstant())
          .as("taken over at once, not after the Lease's expiry")
          .isBefore(expiry);
      int afterStop = f.received();
      await().atMost(TIMEOUT).until(() -> f.received() >= afterStop + 5);
      assertThat(f.duplicates()).as("fired twice across the stop").isEmpty();
      awaitStatusWrittenAfter(ns, stoppedAt);

      // SIGKILL the new holder, with a third replica on standby: it fires after the expiry
      try (PackagedApp c = replica("cron-lease-c")) {
        int beforeKill = f.received();
        await().atMost(TIMEOUT).until(() -> f.received() >= beforeKill + 3);
        assertThat(holder(lease())).isEqualTo(standby);
        Lease last = lease();
        (standby.equals("cron-lease-a") ? a : b).kill();
        Instant killedAt = Instant.now();
        Lease takenOver =
            await()
                .atMost(TIMEOUT)
                .until(CronClusterIT::lease, l -> "cron-lease-c".equals(holder(l)));
        assertThat(takenOver.getSpec().getAcquireTime().toInstant())
            .as("taken over only once the killed holder's Lease expired")
            .isAfterOrEqualTo(
                last.getSpec()
                    .getRenewTime()
                    .toInstant()
                    .plusSeconds(last.getSpec().getLeaseDurationSeconds())
                    .minusSeconds(1));
        int afterKill = f.received();
        await().atMost(TIMEOUT).until(() -> f.received() >= afterKill + 5);
        assertThat(f.duplicates()).as("fired twice across the kill").isEmpty();
        awaitStatusWrittenAfter(ns, killedAt);

        // the ticks nobody fired (the Lease expiry after the kill) are counted in missedTicks
        long unfired = unfired(f);
        assertThat(unfired).as("the Lease expiry leaves ticks nobody fired").isPositive();
        TriggerStatus counted =
            await()
                .atMost(TIMEOUT)
                .until(
                    () -> status(ns, "every"),
                    s -> s.getMissedTicks() != null && s.getMissedTicks() >= unfired);
        System.out.printf(
            "CronClusterIT: %d ticks received, %d distinct, duplicates %d, unfired %d,"
                + " missedTicks %d%n",
            f.received(), f.distinct(), f.duplicates().size(), unfired, counted.getMissedTicks());
        assertThat(c.terminate(Duration.ofSeconds(15))).isTrue();
      }
    } finally {
      admin.resources(CronJobTrigger.class).inNamespace(ns).delete();
    }
  }

  /** The ticks between the first and the last one received that nobody fired. */
  private static long unfired(RecordingFunction f) {
    TreeSet<Long> ticks =
        f.requests().stream()
            .map(RecordingFunction.Request::eventId)
            .map(id -> Long.parseLong(id.substring(id.lastIndexOf('-') + 1)))
            .collect(Collectors.toCollection(TreeSet::new));
    return ticks.last() - ticks.first() + 1 - ticks.size();
  }

  /** The status keeps being written by whoever holds the Lease now: a later last schedule. */
  private static void awaitStatusWrittenAfter(String ns, Instant when) {
    await()
        .atMost(TIMEOUT)
        .until(
            () -> status(ns, "every"),
            s ->
                s != null
                    && s.getLastScheduleTime() != null
                    && Instant.parse(s.getLastScheduleTime()).isAfter(when)
                    && isTrue(ready(s)));
  }

  private static PackagedApp replica(String identity) {
    return PackagedApp.of("kubeless.trigger.jar")
        .cluster(cluster, ACCOUNT)
        .property("kubeless.trigger.status-interval", "1s")
        .property("quarkus.log.category.\"io.fabric8.kubernetes.client.extended\".level", "DEBUG")
        .property(
            "quarkus.log.category.\"io.fabric8.kubernetes.client.extended\".min-level", "DEBUG")
        // kubeless.trigger.functions.url-template: recording functions listen on 127.0.0.1, on
        // their Function's Service port
        .env("KUBELESS_TRIGGER_FUNCTIONS_URL_TEMPLATE", "http://127.0.0.1:{port}")
        .start(identity);
  }

  private static CronJobTrigger get(String ns, String name) {
    return admin.resources(CronJobTrigger.class).inNamespace(ns).withName(name).get();
  }

  private static TriggerStatus status(String ns, String name) {
    CronJobTrigger t = get(ns, name);
    return t == null ? null : t.getStatus();
  }

  private static Condition ready(TriggerStatus status) {
    return Conditions.find(status, Conditions.READY).orElse(null);
  }

  private static boolean isTrue(Condition condition) {
    return condition != null && "True".equals(condition.getStatus());
  }

  private static Optional<Event> warning(String ns, String name, String reason) {
    Predicate<Event> matches =
        e ->
            "Warning".equals(e.getType())
                && reason.equals(e.getReason())
                && name.equals(e.getInvolvedObject().getName());
    List<Event> events = admin.v1().events().inNamespace(ns).list().getItems();
    return events.stream().filter(matches).findFirst();
  }

  private static Lease lease() {
    return admin.leases().inNamespace("kubeless").withName(LEASE).get();
  }

  private static String holder(Lease lease) {
    if (lease == null || lease.getSpec() == null) {
      return null;
    }
    String holder = lease.getSpec().getHolderIdentity();
    return holder == null || holder.isEmpty() ? null : holder;
  }
}
