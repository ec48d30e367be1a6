package io.kubeless.cron;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.kubeless.api.v1beta1.CronJobTrigger;
import io.kubeless.api.v1beta1.CronJobTriggerSpec;
import io.kubeless.api.v1beta1.TriggerStatus;
import io.kubeless.cron.config.CronTriggerConfig;
import io.kubeless.cron.source.CronSource;
import io.kubeless.cron.source.CronStatus;
import io.kubeless.cron.source.CronSubscription;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.engine.Bindings;
import io.kubeless.trigger.kubernetes.StatusLeadership;
import io.kubeless.trigger.kubernetes.TriggerConfig;
import io.kubeless.trigger.kubernetes.TriggerReconciler;
import io.kubeless.trigger.kubernetes.TriggerStatusWriter;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * CronJobTriggers in all namespaces, fed to the cron engine; validation is the engine's ({@link
 * CronSource}), conditions the base reconciler's. It adds the schedule's fields to status ({@code
 * lastScheduleTime}, {@code lastSuccessfulTime}, {@code nextScheduleTime}, {@code missedTicks}) as
 * the firing replica knows them, at the status interval rather than at every tick, and deletes the
 * CronJobs Kubeless created for the triggers it now serves.
 */
// comparableResourceVersions = false: see FunctionReconciler (java-operator-sdk#3398)
@ControllerConfiguration(
    name = "cronjobtrigger",
    triggerReconcilerOnAllEvents = true,
    informer = @Informer(comparableResourceVersions = false))
public class CronJobTriggerReconciler
    extends TriggerReconciler<CronJobTrigger, CronJobTriggerSpec> {

  private final CronSource source;
  private final CronTriggerRecords records;
  private final StatusLeadership leadership;
  private final KubelessCronJobs kubelessCronJobs;
  private final Duration statusInterval;

  /** For the client proxy of the application-scoped reconciler bean only. */
  protected CronJobTriggerReconciler() {
    this.source = null;
    this.records = null;
    this.leadership = null;
    this.kubelessCronJobs = null;
    this.statusInterval = null;
  }

  @Inject
  public CronJobTriggerReconciler(
      Bindings<CronJobTriggerSpec, CronSubscription> bindings,
      CronSource source,
      CronTriggerRecords records,
      KubernetesClient client,
      StatusLeadership leadership,
      TriggerConfig config,
      CronTriggerConfig cron) {
    super(
        bindings,
        new TriggerStatusWriter(client, leadership, "kubeless-cronjob-trigger"),
        leadership,
        config);
    this.source = source;
    this.records = records;
    this.leadership = leadership;
    this.kubelessCronJobs = cron.removeKubelessCronJobs() ? new KubelessCronJobs(client) : null;
    this.statusInterval = config.statusInterval();
  }

  @Override
  public UpdateControl<CronJobTrigger> reconcile(
      CronJobTrigger trigger, Context<CronJobTrigger> context) {
    TriggerId id =
        new TriggerId(trigger.getMetadata().getNamespace(), trigger.getMetadata().getName());
    if (context.isPrimaryResourceDeleted()) {
      source.forget(id);
      if (kubelessCronJobs != null) {
        kubelessCronJobs.forget(trigger.getMetadata().getUid());
      }
      return super.reconcile(trigger, context);
    }
    if (kubelessCronJobs != null && leadership.isLeader()) {
      kubelessCronJobs.remove(trigger);
    }
    UpdateControl<CronJobTrigger> control = super.reconcile(trigger, context);
    var schedule = source.status(id);
    if (schedule.isEmpty() || !leadership.isLeader()) {
      return control;
    }
    if (control.isPatchStatus()) {
      // the status the writer computed: the schedule's fields go along
      set(trigger.getStatus(), schedule.get());
      return control;
    }
    TriggerStatus current = trigger.getStatus();
    if (current == null) {
      return control;
    }
    TriggerStatus next = context.getClient().getKubernetesSerialization().clone(current);
    set(next, schedule.get());
    if (next.equals(current)) {
      return control;
    }
    trigger.setStatus(next);
    return UpdateControl.patchStatus(trigger).rescheduleAfter(statusInterval);
  }

  private static void set(TriggerStatus status, CronStatus schedule) {
    status.setLastScheduleTime(text(schedule.lastScheduleTime()));
    status.setLastSuccessfulTime(text(schedule.lastSuccessfulTime()));
    status.setNextScheduleTime(text(schedule.nextScheduleTime()));
    status.setMissedTicks(schedule.missedTicks());
  }

  private static String text(Instant time) {
    return Objects.toString(time, null);
  }

  /** The informer's cache is where uids and recorded schedules are read from. */
  @Override
  public List<EventSource<?, CronJobTrigger>> prepareEventSources(
      EventSourceContext<CronJobTrigger> context) {
    records.use(context.getPrimaryCache());
    return super.prepareEventSources(context);
  }
}
