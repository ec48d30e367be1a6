package io.kubeless.cron;

import static io.kubeless.testing.TestFunctions.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.v1beta1.CronJobTrigger;
import io.kubeless.api.v1beta1.TriggerStatus;
import io.kubeless.testing.MockApiServer;
import io.kubeless.testing.PackagedApp;
import io.kubeless.testing.RecordingFunction;
import io.kubeless.testing.TestFunctions;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Two packaged replicas of the cronjob trigger on one API server: only the Lease holder fires, so
 * each tick of a per-second trigger reaches the function once; SIGKILLed, the leader is replaced by
 * the other replica once the Lease expires, with no tick fired twice and the ticks nobody fired
 * counted in status.
 */
class CronFailoverIT {

  private static final String LEASE = "kubeless-cronjob-trigger";

  @Test
  void eachTickFiresOnceAndTheSurvivorTakesOverAfterTheLeaderIsKilled() throws Exception {
    MockApiServer api = MockApiServer.withCrds("cronjobtriggers", "functions");
    KubernetesClient client = api.client();
    String ns = TestFunctions.unique("failover");
    RecordingFunction f = new RecordingFunction("tick");
    TestFunctions.create(client, ns, f, Map.of("function", "tick"), true);
    CronJobTrigger trigger =
        client
            .resource(
                CronJobTriggerReconcilerTest.trigger(ns, "every-second", "@every 1s", "tick", "{}"))
            .create();
    String uid = trigger.getMetadata().getUid();
    try (f;
        PackagedApp a = replica(api, "cron-a");
        PackagedApp b = replica(api, "cron-b")) {
      // two replicas run the schedule: every tick arrives once
      await().atMost(TIMEOUT).until(() -> f.received() >= 8);
      assertThat(f.duplicates()).as("fired twice by two replicas").isEmpty();
      assertThat(f.requests()).allSatisfy(r -> assertThat(r.eventId()).startsWith(uid + "-"));
      await()
          .atMost(TIMEOUT)
          .until(
              () -> status(client, ns) != null && status(client, ns).getLastScheduleTime() != null);

      String leader = holder(client);
      PackagedApp killed = leader.equals("cron-a") ? a : b;
      killed.kill();
      long killedAt = System.currentTimeMillis() / 1000;
      int before = f.received();

      // the other one takes the Lease once it expires and fires again
      await().atMost(TIMEOUT).until(() -> !leader.equals(holder(client)) && holder(client) != null);
      await().atMost(TIMEOUT).until(() -> f.received() >= before + 5);
      assertThat(f.duplicates()).as("fired twice across the failover").isEmpty();

      TreeSet<Long> ticks = new TreeSet<>(f.requests().stream().map(CronFailoverIT::tick).toList());
      long gaps = 0;
      Long previous = null;
      for (long tick : ticks) {
        if (previous != null) {
          gaps += tick - previous - 1;
        }
        previous = tick;
      }
      long unfired = gaps;
      assertThat(unfired).as("the Lease expiry leaves ticks nobody fired").isPositive();
      TriggerStatus after =
          await()
              .atMost(TIMEOUT)
              .until(
                  () -> status(client, ns),
                  s ->
                      s != null
                          && s.getMissedTicks() != null
                          && s.getLastScheduleTime() != null
                          && java.time.Instant.parse(s.getLastScheduleTime()).getEpochSecond()
                              > killedAt);
      System.out.printf(
          "CronFailoverIT: %d ticks received, %d distinct, duplicates %d, unfired %d, missedTicks"
              + " %d%n",
          f.received(), f.distinct(), f.duplicates().size(), unfired, after.getMissedTicks());
      // every tick nobody fired is counted; at most the ticks of one status interval the old
      // leader fired after its last status write are counted too
      assertThat(after.getMissedTicks()).isGreaterThanOrEqualTo(unfired);
    } finally {
      api.close();
    }
  }

  private static long tick(RecordingFunction.Request request) {
    String id = request.eventId();
    return Long.parseLong(id.substring(id.lastIndexOf('-') + 1));
  }

  private static TriggerStatus status(KubernetesClient client, String ns) {
    CronJobTrigger t =
        client.resources(CronJobTrigger.class).inNamespace(ns).withName("every-second").get();
    return t == null ? null : t.getStatus();
  }

  private static String holder(KubernetesClient client) {
    List<Lease> leases =
        client.leases().inAnyNamespace().list().getItems().stream()
            .filter(l -> LEASE.equals(l.getMetadata().getName()))
            .toList();
    return leases.isEmpty() ? null : leases.getFirst().getSpec().getHolderIdentity();
  }

  private static PackagedApp replica(MockApiServer api, String identity) {
    return PackagedApp.of("kubeless.trigger.jar")
        .apiServer(api, "kubeless")
        // the recording function listens on 127.0.0.1, on its Function's Service port
        .property("kubeless.trigger.functions.url-template", "http://127.0.0.1:{port}")
        .property("kubeless.trigger.status-interval", "1s")
        .property("kubeless.trigger.leader-election.lease-duration", "4s")
        .property("kubeless.trigger.leader-election.renew-deadline", "3s")
        .property("kubeless.trigger.leader-election.retry-period", "500ms")
        .start(identity);
  }
}
