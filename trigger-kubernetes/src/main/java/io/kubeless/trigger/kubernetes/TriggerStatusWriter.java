package io.kubeless.trigger.kubernetes;

import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.status.WarningEvents;
import io.kubeless.api.v1beta1.BoundFunctionStatus;
import io.kubeless.api.v1beta1.TriggerStatus;
import io.kubeless.trigger.engine.BindingState;
import io.kubeless.trigger.engine.BindingState.Phase;
import io.kubeless.trigger.engine.TriggerState;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Turns what the engine reports of a trigger into its status, the same way for all five kinds, and
 * writes it only when it changed and only on the replica holding the status Lease.
 *
 * <p>{@code Ready} is true when every bound function receives events; otherwise its reason says
 * why, in this order: a policy's refusal (e.g. {@code TopicNotAllowed}), {@code InvalidSpec},
 * {@code NoFunctionsMatch}, the source's own reason when it cannot be reached or does not exist
 * (e.g. {@code BrokerUnavailable}, {@code TopicNotFound}), {@code DuplicateBinding}, {@code
 * FunctionUnavailable}, {@code Starting}. The conditions {@code FunctionUnavailable} and {@code
 * DuplicateBinding} name the functions concerned. A Warning Event marks each new problem.
 */
public final class TriggerStatusWriter {

  public static final String FUNCTION_UNAVAILABLE = BindingState.FUNCTION_UNAVAILABLE;
  public static final String DUPLICATE_BINDING = BindingState.DUPLICATE_BINDING;
  private static final Logger LOG = Logger.getLogger(TriggerStatusWriter.class);

  private final KubernetesClient client;
  private final WarningEvents events;
  private final StatusLeadership leadership;

  /**
   * @param component the reporting component of the Events, e.g. {@code kubeless-kafka-trigger}
   */
  public TriggerStatusWriter(
      KubernetesClient client, StatusLeadership leadership, String component) {
    this.client = client;
    this.events = new WarningEvents(client, component);
    this.leadership = leadership;
  }

  /** The status {@code observed} calls for, written if it differs from the trigger's. */
  public <R extends CustomResource<?, TriggerStatus>> UpdateControl<R> write(
      R trigger, Optional<TriggerState> observed) {
    return write(trigger, status -> compute(status, trigger, observed));
  }

  /** The status of a trigger the operator's policy refuses, written if it differs. */
  public <R extends CustomResource<?, TriggerStatus>> UpdateControl<R> refuse(
      R trigger, TriggerReconciler.Refusal refusal) {
    return write(
        trigger,
        status -> {
          status.setFunctions(List.of());
          ready(status, trigger, false, refusal.reason(), refusal.message());
          Conditions.remove(status, FUNCTION_UNAVAILABLE);
          Conditions.remove(status, DUPLICATE_BINDING);
        });
  }

  private <R extends CustomResource<?, TriggerStatus>> UpdateControl<R> write(
      R trigger, java.util.function.Consumer<TriggerStatus> compute) {
    TriggerStatus previous = trigger.getStatus();
    TriggerStatus status =
        previous == null
            ? new TriggerStatus()
            : client.getKubernetesSerialization().clone(previous);
    compute.accept(status);
    status.setObservedGeneration(trigger.getMetadata().getGeneration());
    if (status.equals(previous) || !leadership.isLeader()) {
      return UpdateControl.noUpdate();
    }
    var before = Conditions.find(previous, Conditions.READY);
    var after = Conditions.find(status, Conditions.READY).orElseThrow();
    boolean newProblem =
        Conditions.FALSE.equals(after.getStatus())
            && !BindingState.STARTING.equals(after.getReason())
            && before.map(c -> !after.getReason().equals(c.getReason())).orElse(true);
    if (newProblem) {
      LOG.warnf(
          "%s %s/%s: %s: %s",
          trigger.getKind(),
          trigger.getMetadata().getNamespace(),
          trigger.getMetadata().getName(),
          after.getReason(),
          after.getMessage());
      events.warn(trigger, after.getReason(), after.getMessage());
    }
    trigger.setStatus(status);
    return UpdateControl.patchStatus(trigger);
  }

  private static void compute(
      TriggerStatus status,
      CustomResource<?, TriggerStatus> trigger,
      Optional<TriggerState> observed) {
    if (observed.isEmpty()) {
      status.setFunctions(List.of());
      ready(status, trigger, false, BindingState.STARTING, "subscribing");
      conditions(status, trigger, List.of());
      return;
    }
    TriggerState state = observed.get();
    if (state.problem() != null) {
      status.setFunctions(List.of());
      ready(status, trigger, false, "InvalidSpec", state.problem());
      Conditions.remove(status, FUNCTION_UNAVAILABLE);
      Conditions.remove(status, DUPLICATE_BINDING);
      return;
    }
    List<BindingState> functions = state.functions();
    status.setFunctions(
        functions.stream()
            .map(
                s -> {
                  var bound = new BoundFunctionStatus(s.function(), s.ready(), s.reason());
                  bound.setDropped(s.dropped() == 0 ? null : s.dropped());
                  return bound;
                })
            .toList());
    status.setShards(
        functions.stream()
            .flatMap(
                s ->
                    s.units().stream()
                        .map(
                            u ->
                                new io.kubeless.api.v1beta1.ShardStatus(
                                    s.function(), u.id(), u.owner(), u.millisBehind(), u.state())))
            .toList());
    Optional<BindingState> worst =
        functions.stream().filter(s -> !s.ready()).min(Comparator.comparing(BindingState::phase));
    if (functions.isEmpty()) {
      ready(
          status,
          trigger,
          false,
          "NoFunctionsMatch",
          "the trigger binds "
              + state.selection()
              + ", and namespace "
              + trigger.getMetadata().getNamespace()
              + " has none");
    } else if (worst.isPresent()) {
      BindingState first = worst.get();
      List<BindingState> same = functions.stream().filter(s -> s.phase() == first.phase()).toList();
      ready(status, trigger, false, first.reason(), messages(same));
    } else {
      ready(
          status,
          trigger,
          true,
          functions.getFirst().reason(),
          functions.size() + " function(s) receive every event of " + state.source());
    }
    conditions(status, trigger, functions);
  }

  /** The per-function conditions, each True while some function is concerned. */
  private static void conditions(
      TriggerStatus status, CustomResource<?, TriggerStatus> trigger, List<BindingState> states) {
    List<BindingState> unavailable = only(states, Phase.FUNCTION_UNAVAILABLE);
    Conditions.set(
        status,
        trigger,
        FUNCTION_UNAVAILABLE,
        !unavailable.isEmpty(),
        unavailable.isEmpty() ? "AllFunctionsReady" : "NoReadyEndpoint",
        messages(unavailable));
    List<BindingState> duplicates = only(states, Phase.DUPLICATE);
    Conditions.set(
        status,
        trigger,
        DUPLICATE_BINDING,
        !duplicates.isEmpty(),
        duplicates.isEmpty() ? "NoDuplicates" : DUPLICATE_BINDING,
        messages(duplicates));
  }

  private static List<BindingState> only(List<BindingState> states, Phase phase) {
    return states.stream().filter(s -> s.phase() == phase).toList();
  }

  private static String messages(List<BindingState> states) {
    return states.stream().map(BindingState::message).distinct().collect(Collectors.joining("; "));
  }

  private static void ready(
      TriggerStatus status,
      CustomResource<?, TriggerStatus> trigger,
      boolean ready,
      String reason,
      String message) {
    Conditions.set(status, trigger, Conditions.READY, ready, reason, message);
  }
}
