package io.kubeless.trigger.kubernetes;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.kubeless.api.v1beta1.TriggerStatus;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.engine.Bindings;
import io.kubeless.trigger.engine.TriggerSpec;
import io.kubeless.trigger.engine.TriggerSpecSource;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The reconciler of every trigger kind: it feeds the kind's {@link Bindings} with the triggers of
 * the cluster (it is their {@link TriggerSpecSource}) and writes what the engine reports into their
 * status. It carries no events. Every replica reconciles, since every replica delivers; only the
 * holder of the status Lease writes status and Events.
 *
 * <p>Deletion needs no finalizer: bindings are in-process state. The engine sweeps bindings of
 * triggers no longer in the informer's cache every {@link TriggerConfig#sweepInterval()}: that is
 * what stops a deleted trigger, since quarkus-operator-sdk 7.7.0 does not pass {@code
 * triggerReconcilerOnAllEvents} on to the framework and the delete event never reaches {@link
 * #reconcile} (the branch below serves the day it does).
 *
 * @param <R> the trigger resource
 * @param <S> its spec
 */
public abstract class TriggerReconciler<R extends CustomResource<S, TriggerStatus> & Namespaced, S>
    implements Reconciler<R>, TriggerSpecSource<S> {

  private final Bindings<S, ?> bindings;
  private final TriggerStatusWriter statuses;
  private final StatusLeadership leadership;
  private final Duration statusInterval;
  private volatile Listener<S> specs;
  private volatile IndexedResourceCache<R> cache;

  /** For the client proxy of the application-scoped reconciler bean only. */
  protected TriggerReconciler() {
    this.bindings = null;
    this.statuses = null;
    this.leadership = null;
    this.statusInterval = null;
  }

  protected TriggerReconciler(
      Bindings<S, ?> bindings,
      TriggerStatusWriter statuses,
      StatusLeadership leadership,
      TriggerConfig config) {
    this.bindings = bindings;
    this.statuses = statuses;
    this.leadership = leadership;
    this.statusInterval = config.statusInterval();
    bindings.open(this);
  }

  @Override
  public UpdateControl<R> reconcile(R trigger, Context<R> context) {
    TriggerId id =
        new TriggerId(trigger.getMetadata().getNamespace(), trigger.getMetadata().getName());
    if (context.isPrimaryResourceDeleted()) {
      specs.deleted(id);
      return UpdateControl.noUpdate();
    }
    Optional<Refusal> refused = refusal(trigger, context);
    if (refused.isPresent()) {
      // nothing may be consumed for it: the engine lets go of it, and the status says why
      specs.deleted(id);
      return statuses.refuse(trigger, refused.get()).rescheduleAfter(statusInterval);
    }
    specs.applied(new TriggerSpec<>(id, created(trigger), trigger.getSpec()));
    return statuses.write(trigger, bindings.state(id)).rescheduleAfter(statusInterval);
  }

  /**
   * Why the operator's policy does not let this trigger be subscribed at all, checked before its
   * spec reaches the engine; empty (the default) to subscribe it. A refused trigger consumes
   * nothing, and its status is {@code Ready=False} with the refusal's reason and a Warning Event.
   */
  protected Optional<Refusal> refusal(R trigger, Context<R> context) {
    return Optional.empty();
  }

  /**
   * A trigger the operator's policy refuses.
   *
   * @param reason the {@code Ready} condition's reason, CamelCase ({@code TopicNotAllowed})
   * @param message what a person can do about it; never anything secret
   */
  public record Refusal(String reason, String message) {}

  private static Instant created(CustomResource<?, ?> trigger) {
    try {
      String created = trigger.getMetadata().getCreationTimestamp();
      return created == null ? null : Instant.parse(created);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /**
   * The engine tells when a trigger's bindings change state, and the Lease when this replica starts
   * writing status: both reconcile the triggers concerned.
   */
  @Override
  public List<EventSource<?, R>> prepareEventSources(EventSourceContext<R> context) {
    cache = context.getPrimaryCache();
    SimpleInboundEventSource<R> engine = new SimpleInboundEventSource<>("engine");
    bindings.onStateChange(
        id -> {
          if (engine.isRunning()) {
            engine.propagateEvent(new ResourceID(id.name(), id.namespace()));
          }
        });
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

  @Override
  public void open(Listener<S> listener) {
    this.specs = listener;
  }

  @Override
  public Optional<Set<TriggerId>> existing() {
    IndexedResourceCache<R> primary = cache;
    if (primary == null) {
      return Optional.empty();
    }
    return Optional.of(
        primary
            .list()
            .map(t -> new TriggerId(t.getMetadata().getNamespace(), t.getMetadata().getName()))
            .collect(Collectors.toSet()));
  }
}
