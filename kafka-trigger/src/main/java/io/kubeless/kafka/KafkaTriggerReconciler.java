package io.kubeless.kafka;

import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.kubeless.api.v1beta1.KafkaTrigger;
import io.kubeless.api.v1beta1.KafkaTriggerSpec;
import io.kubeless.kafka.config.KafkaTriggerConfig;
import io.kubeless.kafka.source.KafkaSubscription;
import io.kubeless.kafka.source.KafkaSubscriptions;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.leader.StatusLeadership;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Maps every KafkaTrigger onto the engine's subscriptions and reports what the engine does in the
 * trigger's status. It carries no events. Every replica reconciles, since every replica consumes;
 * only the holder of the status Lease writes status and Events.
 *
 * <p>Deletion needs no finalizer: consumers are in-process state, and with {@code
 * triggerReconcilerOnAllEvents} the delete event itself reaches {@link #reconcile}.
 */
// comparableResourceVersions = false: see FunctionReconciler (java-operator-sdk#3398)
@ControllerConfiguration(
    name = "kafkatrigger",
    triggerReconcilerOnAllEvents = true,
    informer = @Informer(comparableResourceVersions = false))
public class KafkaTriggerReconciler implements Reconciler<KafkaTrigger> {

  private final KafkaSubscriptions subscriptions;
  private final KafkaTriggerStatuses statuses;
  private final StatusLeadership leadership;
  private final Duration statusInterval;
  private final String defaultInitialOffset;
  private final ScheduledExecutorService sweeper =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("kafkatrigger-sweeper").unstarted(r));

  public KafkaTriggerReconciler(
      KafkaSubscriptions subscriptions,
      KafkaTriggerStatuses statuses,
      StatusLeadership leadership,
      KafkaTriggerConfig config) {
    this.subscriptions = subscriptions;
    this.statuses = statuses;
    this.leadership = leadership;
    this.statusInterval = config.statusInterval();
    this.defaultInitialOffset = config.consumer().initialOffset();
  }

  @Override
  public UpdateControl<KafkaTrigger> reconcile(
      KafkaTrigger trigger, Context<KafkaTrigger> context) {
    TriggerId id =
        new TriggerId(trigger.getMetadata().getNamespace(), trigger.getMetadata().getName());
    if (context.isPrimaryResourceDeleted()) {
      subscriptions.unsubscribe(id);
      return UpdateControl.noUpdate();
    }
    KafkaTriggerSpec spec = trigger.getSpec();
    String problem = TriggerSpecs.problem(spec);
    UpdateControl<KafkaTrigger> update;
    if (problem != null) {
      subscriptions.unsubscribe(id);
      update = statuses.invalid(trigger, problem);
    } else {
      String initialOffset =
          spec.getInitialOffset() == null ? defaultInitialOffset : spec.getInitialOffset();
      subscriptions.subscribe(
          id, new KafkaSubscription(spec.getTopic(), spec.getFunctionSelector(), initialOffset));
      update = statuses.observed(trigger, subscriptions.state(id));
    }
    return update.rescheduleAfter(statusInterval);
  }

  /**
   * The engine tells when a trigger's consumers change state, and the Lease when this replica
   * starts writing status: both reconcile the triggers concerned.
   */
  @Override
  public List<EventSource<?, KafkaTrigger>> prepareEventSources(
      EventSourceContext<KafkaTrigger> context) {
    SimpleInboundEventSource<KafkaTrigger> engine = new SimpleInboundEventSource<>("engine");
    subscriptions.onStateChange(
        id -> {
          if (engine.isRunning()) {
            engine.propagateEvent(new ResourceID(id.name(), id.namespace()));
          }
        });
    // A delete event can be missed (e.g. while a status patch of the same trigger fails): once
    // per status interval, consumers of triggers that no longer exist are stopped.
    sweeper.scheduleWithFixedDelay(
        () -> {
          if (engine.isRunning()) {
            for (TriggerId id : subscriptions.triggers()) {
              if (context
                  .getPrimaryCache()
                  .get(new ResourceID(id.name(), id.namespace()))
                  .isEmpty()) {
                subscriptions.unsubscribe(id);
              }
            }
          }
        },
        statusInterval.toMillis(),
        statusInterval.toMillis(),
        TimeUnit.MILLISECONDS);
    leadership.onChange(
        () -> {
          if (engine.isRunning()) {
            context
                .getPrimaryCache()
                .list()
                .map(ResourceID::fromResource)
                .forEach(engine::propagateEvent);
          }
        });
    return List.of(engine);
  }
}
