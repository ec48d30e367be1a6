package io.kubeless.kafka;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.status.WarningEvents;
import io.kubeless.api.v1beta1.BoundFunctionStatus;
import io.kubeless.api.v1beta1.KafkaTrigger;
import io.kubeless.api.v1beta1.KafkaTriggerStatus;
import io.kubeless.kafka.source.BindingState;
import io.kubeless.kafka.source.BindingState.Phase;
import io.kubeless.trigger.function.LabelSelectors;
import io.kubeless.trigger.leader.StatusLeadership;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Computes a KafkaTrigger's status from what the engine reports, and writes it only when it
 * changed. {@code Ready} is true when every bound function consumes; otherwise its reason says why,
 * in this order: {@code InvalidSpec}, {@code NoFunctionsMatch}, {@code BrokerUnavailable}, {@code
 * TopicNotFound}, {@code FunctionUnavailable}, {@code Starting}. The {@code FunctionUnavailable}
 * condition names the functions whose consumption is paused. A Warning Event marks each new
 * problem. Only the holder of the status Lease writes either.
 */
@Singleton
public class KafkaTriggerStatuses {

  static final String FUNCTION_UNAVAILABLE = "FunctionUnavailable";
  private static final Logger LOG = Logger.getLogger(KafkaTriggerStatuses.class);

  private final WarningEvents events;
  private final StatusLeadership leadership;

  public KafkaTriggerStatuses(KubernetesClient client, StatusLeadership leadership) {
    this.events = new WarningEvents(client, "kubeless-kafka-trigger");
    this.leadership = leadership;
  }

  UpdateControl<KafkaTrigger> invalid(KafkaTrigger trigger, String message) {
    KafkaTriggerStatus status = copy(trigger.getStatus());
    status.setFunctions(List.of());
    Conditions.set(status, trigger, Conditions.READY, false, "InvalidSpec", message);
    Conditions.remove(status, FUNCTION_UNAVAILABLE);
    return write(trigger, status);
  }

  UpdateControl<KafkaTrigger> observed(
      KafkaTrigger trigger, Optional<List<BindingState>> observed) {
    KafkaTriggerStatus status = copy(trigger.getStatus());
    List<BindingState> states = observed.orElse(List.of());
    status.setFunctions(
        states.stream()
            .map(s -> new BoundFunctionStatus(s.function(), s.ready(), s.phase().name(), s.lag()))
            .toList());
    String topic = trigger.getSpec().getTopic();
    List<String> unavailable = names(states, Phase.FunctionUnavailable);
    if (observed.isEmpty()) {
      ready(status, trigger, false, "Starting", "subscribing to topic " + topic);
    } else if (states.isEmpty()) {
      ready(
          status,
          trigger,
          false,
          "NoFunctionsMatch",
          "no Function in namespace "
              + trigger.getMetadata().getNamespace()
              + " matches "
              + LabelSelectors.describe(trigger.getSpec().getFunctionSelector()));
    } else if (first(states, Phase.BrokerUnavailable).isPresent()) {
      ready(
          status,
          trigger,
          false,
          "BrokerUnavailable",
          "cannot reach the Kafka brokers: " + first(states, Phase.BrokerUnavailable).get());
    } else if (first(states, Phase.TopicNotFound).isPresent()) {
      ready(
          status,
          trigger,
          false,
          "TopicNotFound",
          "topic " + topic + " does not exist; consumption starts when it is created");
    } else if (!unavailable.isEmpty()) {
      ready(
          status,
          trigger,
          false,
          FUNCTION_UNAVAILABLE,
          String.join(", ", unavailable) + " not ready; their records wait in the topic");
    } else if (first(states, Phase.Starting).isPresent()) {
      ready(status, trigger, false, "Starting", "joining the consumer groups of topic " + topic);
    } else {
      ready(
          status,
          trigger,
          true,
          "Consuming",
          states.size() + " function(s) receive every record of topic " + topic);
    }
    Conditions.set(
        status,
        trigger,
        FUNCTION_UNAVAILABLE,
        !unavailable.isEmpty(),
        unavailable.isEmpty() ? "AllFunctionsReady" : "NoReadyEndpoint",
        unavailable.isEmpty()
            ? ""
            : String.join(", ", unavailable) + " paused until they have a ready endpoint");
    return write(trigger, status);
  }

  private void ready(
      KafkaTriggerStatus status,
      KafkaTrigger trigger,
      boolean ready,
      String reason,
      String message) {
    Conditions.set(status, trigger, Conditions.READY, ready, reason, message);
  }

  private static List<String> names(List<BindingState> states, Phase phase) {
    return states.stream().filter(s -> s.phase() == phase).map(BindingState::function).toList();
  }

  private static Optional<String> first(List<BindingState> states, Phase phase) {
    return states.stream().filter(s -> s.phase() == phase).map(BindingState::message).findFirst();
  }

  private UpdateControl<KafkaTrigger> write(KafkaTrigger trigger, KafkaTriggerStatus status) {
    status.setObservedGeneration(trigger.getMetadata().getGeneration());
    KafkaTriggerStatus previous = trigger.getStatus();
    if (status.equals(previous) || !leadership.isLeader()) {
      return UpdateControl.noUpdate();
    }
    var before = Conditions.find(previous, Conditions.READY);
    var after = Conditions.find(status, Conditions.READY).orElseThrow();
    boolean newProblem =
        "False".equals(after.getStatus())
            && !"Starting".equals(after.getReason())
            && before.map(c -> !after.getReason().equals(c.getReason())).orElse(true);
    if (newProblem) {
      LOG.warnf(
          "KafkaTrigger %s/%s: %s: %s",
          trigger.getMetadata().getNamespace(),
          trigger.getMetadata().getName(),
          after.getReason(),
          after.getMessage());
      events.warn(trigger, after.getReason(), after.getMessage());
    }
    trigger.setStatus(status);
    return UpdateControl.patchStatus(trigger);
  }

  private static KafkaTriggerStatus copy(KafkaTriggerStatus status) {
    KafkaTriggerStatus copy = new KafkaTriggerStatus();
    if (status != null) {
      copy.setConditions(status.getConditions());
      copy.setObservedGeneration(status.getObservedGeneration());
      copy.setFunctions(status.getFunctions());
    }
    return copy;
  }
}
