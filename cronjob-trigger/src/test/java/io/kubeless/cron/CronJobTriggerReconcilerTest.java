package io.kubeless.cron;

import static io.kubeless.testing.TestFunctions.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.CronJobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.BoundFunctionStatus;
import io.kubeless.api.v1beta1.CronJobTrigger;
import io.kubeless.api.v1beta1.CronJobTriggerSpec;
import io.kubeless.api.v1beta1.TriggerStatus;
import io.kubeless.testing.RecordingFunction;
import io.kubeless.testing.TestFunctions;
import io.kubeless.testing.TriggerStatuses;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The cronjob trigger application on the mock API server: a per-second trigger reaches its function
 * with the trigger's uid in the event ids and reports its schedule in status, a bad schedule is
 * refused with a Warning Event, and Kubeless's CronJob of a trigger is deleted.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class CronJobTriggerReconcilerTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Inject KubernetesClient client;

  private final List<RecordingFunction> functions = new ArrayList<>();

  @AfterEach
  void stopFunctions() {
    functions.forEach(RecordingFunction::close);
  }

  @Test
  void aPerSecondTriggerFiresAndReportsItsSchedule() throws Exception {
    String ns = TestFunctions.unique("fires");
    RecordingFunction f = function(ns, "report");

    CronJobTrigger created =
        client.resource(trigger(ns, "every-second", "@every 1s", "report", "{\"a\":1}")).create();
    String uid = created.getMetadata().getUid();

    await().atMost(TIMEOUT).until(() -> f.received() >= 3);
    assertThat(f.requests())
        .allSatisfy(r -> assertThat(r.eventId()).matches(uid + "-\\d{10}"))
        .allSatisfy(r -> assertThat(JSON.readTree(r.body())).isEqualTo(JSON.readTree("{\"a\":1}")));
    assertThat(f.duplicates()).isEmpty();
    CronJobTrigger ready = awaitReady(ns, "every-second", "True", "Scheduled");
    assertThat(Conditions.find(ready.getStatus(), Conditions.READY).orElseThrow().getMessage())
        .contains("schedule @every 1s");
    assertThat(ready.getStatus().getFunctions())
        .extracting(BoundFunctionStatus::getName, BoundFunctionStatus::getReady)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("report", true));
    TriggerStatus status =
        await()
            .atMost(TIMEOUT)
            .until(
                () -> trigger(ns, "every-second").getStatus(),
                s -> s.getLastScheduleTime() != null && s.getLastSuccessfulTime() != null);
    Instant last = Instant.parse(status.getLastScheduleTime());
    assertThat(Instant.parse(status.getNextScheduleTime())).isAfter(last);
    assertThat(f.requests())
        .anySatisfy(r -> assertThat(r.eventId()).isEqualTo(uid + "-" + last.getEpochSecond()));
    assertThat(status.getMissedTicks()).isZero();
  }

  @Test
  void statusIsWrittenAtTheStatusIntervalNotAtEveryReconcile() throws Exception {
    String ns = TestFunctions.unique("coalesced");
    function(ns, "often");
    client.resource(trigger(ns, "often", "@every 1s", "often", null)).create();
    Instant first = await().atMost(TIMEOUT).until(() -> lastSchedule(ns, "often"), t -> t != null);

    // a status write is an update event, which must not cause another write at once (a loop
    // would write as fast as the API server answers); with a 1 s interval, about one a second
    AtomicInteger writes = new AtomicInteger();
    try (Watch watch =
        client
            .resources(CronJobTrigger.class)
            .inNamespace(ns)
            .withName("often")
            .watch(
                new Watcher<>() {
                  @Override
                  public void eventReceived(Action action, CronJobTrigger resource) {
                    if (action == Action.MODIFIED) {
                      writes.incrementAndGet();
                    }
                  }

                  @Override
                  public void onClose(WatcherException cause) {}
                })) {
      await()
          .atMost(TIMEOUT)
          .until(
              () -> lastSchedule(ns, "often"), t -> t != null && !t.isBefore(first.plusSeconds(6)));
    }
    assertThat(writes.get()).isPositive().isLessThanOrEqualTo(16);
  }

  private Instant lastSchedule(String ns, String name) {
    TriggerStatus status = trigger(ns, name).getStatus();
    return status == null || status.getLastScheduleTime() == null
        ? null
        : Instant.parse(status.getLastScheduleTime());
  }

  @Test
  void aBadScheduleIsReadyFalseWithTheReasonAndAWarningEvent() throws Exception {
    String ns = TestFunctions.unique("bad");
    function(ns, "fn");

    client.resource(trigger(ns, "bad", "*/5 * * *", "fn", null)).create();

    CronJobTrigger rejected = awaitReady(ns, "bad", "False", "InvalidSpec");
    assertThat(Conditions.find(rejected.getStatus(), Conditions.READY).orElseThrow().getMessage())
        .contains("spec.schedule '*/5 * * *'", "4 field(s)");
    TriggerStatuses.awaitWarningEvent(client, ns, "bad", "InvalidSpec");
    assertThat(rejected.getStatus().getLastScheduleTime()).isNull();
  }

  @Test
  void theCronJobKubelessCreatedForATriggerIsDeleted() throws Exception {
    String ns = TestFunctions.unique("migrate");
    function(ns, "nightly");
    // as Kubeless's cronjob-trigger created it: trigger-<function>, created-by=kubeless, owned by
    // the trigger (kind Trigger); and a CronJob of the user's own, which must stay
    client
        .resource(
            cronJob(
                ns,
                "trigger-nightly",
                Map.of("created-by", "kubeless", "function", "nightly"),
                "nightly"))
        .create();
    client.resource(cronJob(ns, "backup", Map.of("app", "backup"), null)).create();

    client.resource(trigger(ns, "nightly", "@daily", "nightly", null)).create();

    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                client.batch().v1().cronjobs().inNamespace(ns).list().getItems().stream()
                    .map(j -> j.getMetadata().getName())
                    .toList()
                    .equals(List.of("backup")));
    awaitReady(ns, "nightly", "True", "Scheduled");
  }

  // --- helpers ---------------------------------------------------------------------------

  private RecordingFunction function(String ns, String name) throws Exception {
    RecordingFunction f = new RecordingFunction(name);
    functions.add(f);
    TestFunctions.create(client, ns, f, Map.of("function", name), true);
    return f;
  }

  static CronJobTrigger trigger(
      String ns, String name, String schedule, String function, String payload) throws Exception {
    CronJobTriggerSpec spec = new CronJobTriggerSpec();
    spec.setSchedule(schedule);
    spec.setFunctionName(function);
    spec.setPayload(payload == null ? null : JSON.readTree(payload));
    CronJobTrigger trigger = new CronJobTrigger();
    trigger.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
    trigger.setSpec(spec);
    return trigger;
  }

  private static CronJob cronJob(String ns, String name, Map<String, String> labels, String owner) {
    var builder =
        new CronJobBuilder().withNewMetadata().withName(name).withNamespace(ns).withLabels(labels);
    if (owner != null) {
      builder =
          builder
              .addNewOwnerReference()
              .withApiVersion("kubeless.io/v1beta1")
              .withKind("Trigger")
              .withName(owner)
              .withUid("uid-of-the-kubeless-era")
              .endOwnerReference();
    }
    return builder
        .endMetadata()
        .withNewSpec()
        .withSchedule("@daily")
        .withNewJobTemplate()
        .withNewSpec()
        .withNewTemplate()
        .withNewSpec()
        .addNewContainer()
        .withName("trigger")
        .withImage("kubeless/unzip")
        .withCommand("/bin/sh", "-c", "curl -Lv http://example")
        .endContainer()
        .withRestartPolicy("Never")
        .endSpec()
        .endTemplate()
        .endSpec()
        .endJobTemplate()
        .endSpec()
        .build();
  }

  private CronJobTrigger trigger(String ns, String name) {
    return client.resources(CronJobTrigger.class).inNamespace(ns).withName(name).get();
  }

  private CronJobTrigger awaitReady(String ns, String name, String status, String reason) {
    return TriggerStatuses.awaitReady(client, CronJobTrigger.class, ns, name, status, reason);
  }
}
