package io.kubeless.function;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.status.WarningEvents;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionStatus;
import io.kubeless.function.spec.FunctionPlan;
import io.kubeless.function.spec.InvalidFunctionException;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Computes a Function's status and writes it only when it changed. {@code Ready} follows the
 * Deployment's availability; an invalid spec makes it {@code False} with the problem's reason and
 * records a Warning Event once per new problem.
 */
final class FunctionStatuses {

  private static final Logger LOG = Logger.getLogger(FunctionStatuses.class);

  private final WarningEvents events;

  FunctionStatuses(WarningEvents events) {
    this.events = events;
  }

  UpdateControl<Function> deployed(Function function, FunctionPlan plan, Optional<Deployment> d) {
    FunctionStatus status = copy(function.getStatus());
    int ready = d.map(Deployment::getStatus).map(s -> s.getReadyReplicas()).orElse(0);
    boolean available =
        d.map(Deployment::getStatus).stream()
            .flatMap(s -> s.getConditions().stream())
            .filter(c -> "Available".equals(c.getType()))
            .map(DeploymentCondition::getStatus)
            .anyMatch("True"::equals);
    int wanted = d.map(x -> x.getSpec().getReplicas()).orElse(1);
    status.setReadyReplicas(ready);
    status.setUrl(plan.url());
    if (available && ready > 0) {
      Conditions.set(
          status,
          function,
          Conditions.READY,
          true,
          "DeploymentAvailable",
          ready + "/" + wanted + " replicas ready");
    } else {
      Conditions.set(
          status,
          function,
          Conditions.READY,
          false,
          wanted == 0 ? "ScaledToZero" : "DeploymentNotAvailable",
          ready + "/" + wanted + " replicas ready");
    }
    return write(function, status);
  }

  UpdateControl<Function> invalid(Function function, InvalidFunctionException problem) {
    FunctionStatus status = copy(function.getStatus());
    boolean changed =
        Conditions.set(
            status, function, Conditions.READY, false, problem.reason(), problem.getMessage());
    if (changed) {
      LOG.warnf(
          "Function %s/%s: %s: %s",
          function.getMetadata().getNamespace(),
          function.getMetadata().getName(),
          problem.reason(),
          problem.getMessage());
      events.warn(function, problem.reason(), problem.getMessage());
    }
    return write(function, status);
  }

  /** For failures that are not the user's: shown on the Function while the framework retries. */
  FunctionStatus failed(Function function, Exception error) {
    FunctionStatus status = copy(function.getStatus());
    Conditions.set(
        status,
        function,
        Conditions.READY,
        false,
        "ReconcileFailed",
        error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage());
    status.setObservedGeneration(function.getMetadata().getGeneration());
    return status;
  }

  private static UpdateControl<Function> write(Function function, FunctionStatus status) {
    status.setObservedGeneration(function.getMetadata().getGeneration());
    if (status.equals(function.getStatus())) {
      return UpdateControl.noUpdate();
    }
    function.setStatus(status);
    return UpdateControl.patchStatus(function);
  }

  private static FunctionStatus copy(FunctionStatus status) {
    FunctionStatus copy = new FunctionStatus();
    if (status != null) {
      copy.setConditions(status.getConditions());
      copy.setObservedGeneration(status.getObservedGeneration());
      copy.setReadyReplicas(status.getReadyReplicas());
      copy.setUrl(status.getUrl());
    }
    return copy;
  }
}
