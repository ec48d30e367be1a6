package io.kubeless.http;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.status.WarningEvents;
import io.kubeless.api.v1beta1.BoundFunctionStatus;
import io.kubeless.api.v1beta1.HTTPTrigger;
import io.kubeless.api.v1beta1.TriggerStatus;
import io.kubeless.trigger.kubernetes.StatusLeadership;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Writes what a reconcile observed into an HTTPTrigger's status: {@code Ready} with its reason,
 * {@code url}, the bound function and {@code observedGeneration}; only when it changed and only on
 * the replica holding the status Lease, with a Warning Event for each new problem.
 */
final class HTTPTriggerStatuses {

  private static final Logger LOG = Logger.getLogger(HTTPTriggerStatuses.class);

  /**
   * What a reconcile found.
   *
   * @param ready whether the route answers
   * @param reason why (CamelCase)
   * @param message for a person
   * @param url where the route answers, or null when unknown
   * @param function the bound function, or null when the spec names none
   */
  record Observation(
      boolean ready, String reason, String message, String url, BoundFunctionStatus function) {}

  private final KubernetesClient client;
  private final WarningEvents events;
  private final StatusLeadership leadership;

  HTTPTriggerStatuses(KubernetesClient client, StatusLeadership leadership) {
    this.client = client;
    this.events = new WarningEvents(client, "kubeless-http-trigger");
    this.leadership = leadership;
  }

  /** The status {@code observed} calls for, patched if it differs from the trigger's. */
  UpdateControl<HTTPTrigger> write(HTTPTrigger trigger, Observation observed) {
    return update(trigger, observed)
        ? UpdateControl.patchStatus(trigger)
        : UpdateControl.noUpdate();
  }

  /** Like {@link #write}, after a failed reconcile. */
  ErrorStatusUpdateControl<HTTPTrigger> writeError(HTTPTrigger trigger, Observation observed) {
    return update(trigger, observed)
        ? ErrorStatusUpdateControl.patchStatus(trigger)
        : ErrorStatusUpdateControl.noStatusUpdate();
  }

  /** Sets the trigger's status to what was observed; whether it is to be written. */
  private boolean update(HTTPTrigger trigger, Observation observed) {
    TriggerStatus previous = trigger.getStatus();
    TriggerStatus status =
        previous == null
            ? new TriggerStatus()
            : client.getKubernetesSerialization().clone(previous);
    Conditions.set(
        status, trigger, Conditions.READY, observed.ready(), observed.reason(), observed.message());
    status.setUrl(observed.url());
    status.setFunctions(observed.function() == null ? List.of() : List.of(observed.function()));
    status.setObservedGeneration(trigger.getMetadata().getGeneration());
    if (status.equals(previous) || !leadership.isLeader()) {
      return false;
    }
    var before = Conditions.find(previous, Conditions.READY);
    boolean newProblem =
        !observed.ready()
            && before
                .map(
                    c ->
                        Conditions.TRUE.equals(c.getStatus())
                            || !observed.reason().equals(c.getReason()))
                .orElse(true);
    if (newProblem) {
      LOG.warnf(
          "HTTPTrigger %s/%s: %s: %s",
          trigger.getMetadata().getNamespace(),
          trigger.getMetadata().getName(),
          observed.reason(),
          observed.message());
      events.warn(trigger, observed.reason(), observed.message());
    }
    trigger.setStatus(status);
    return true;
  }
}
