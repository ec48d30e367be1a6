package io.kubeless.function;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.AggregatedOperatorException;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.kubeless.api.function.InvalidFunctionException;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.status.WarningEvents;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionStatus;
import io.kubeless.function.dependent.DeploymentDependent;
import io.kubeless.function.spec.FunctionPlan;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Computes a Function's status and writes it only when it changed. {@code Ready} is true when the
 * Deployment carries the current spec, has rolled it out to every replica and is available; an
 * invalid spec makes it {@code False} with the problem's reason and records a Warning Event once
 * per new problem.
 */
final class FunctionStatuses {

  /** The reason when the controller's RBAC does not allow a call it needs. */
  static final String FORBIDDEN = "Forbidden";

  private static final Logger LOG = Logger.getLogger(FunctionStatuses.class);

  private final WarningEvents events;

  /** The integrity warning last recorded per Function uid, so it is recorded once. */
  private final Map<String, String> integrityWarned = new ConcurrentHashMap<>();

  FunctionStatuses(WarningEvents events) {
    this.events = events;
  }

  UpdateControl<Function> deployed(Function function, FunctionPlan plan, Optional<Deployment> d) {
    FunctionStatus status = copy(function.getStatus());
    Optional<DeploymentStatus> observed = d.map(Deployment::getStatus);
    int ready = observed.map(DeploymentStatus::getReadyReplicas).orElse(0);
    int updated = observed.map(DeploymentStatus::getUpdatedReplicas).orElse(0);
    int wanted = d.map(x -> x.getSpec().getReplicas()).orElse(1);
    boolean available =
        condition(observed, "Available").map(c -> "True".equals(c.getStatus())).orElse(false);
    Optional<DeploymentCondition> stuck =
        condition(observed, "Progressing")
            .filter(c -> "False".equals(c.getStatus()))
            .filter(c -> "ProgressDeadlineExceeded".equals(c.getReason()));
    // the Deployment carries this spec and its controller has acted on it for every replica
    boolean rolledOut =
        d.flatMap(DeploymentDependent::templateHash)
                .filter(DeploymentDependent.templateHash(plan)::equals)
                .isPresent()
            && observedGeneration(d) >= generation(d)
            && updated >= wanted;
    status.setReadyReplicas(ready);
    status.setUrl(plan.url());
    String replicas = ready + "/" + wanted + " replicas ready";
    if (available && ready > 0 && rolledOut) {
      Conditions.set(status, function, Conditions.READY, true, "DeploymentAvailable", replicas);
    } else if (wanted == 0) {
      Conditions.set(status, function, Conditions.READY, false, "ScaledToZero", replicas);
    } else if (stuck.isPresent()) {
      Conditions.set(
          status,
          function,
          Conditions.READY,
          false,
          "RolloutFailed",
          "the pods of the current spec do not become ready ("
              + stuck.get().getMessage()
              + "); "
              + replicas
              + ": see kubectl describe pods -l function="
              + plan.name());
    } else if (available && ready > 0) {
      Conditions.set(
          status,
          function,
          Conditions.READY,
          false,
          "RollingOut",
          updated + "/" + wanted + " replicas run the current spec; " + replicas);
    } else {
      Conditions.set(status, function, Conditions.READY, false, "DeploymentNotAvailable", replicas);
    }
    integrity(function, plan, status);
    return write(function, status);
  }

  /** The {@code CodeIntegrity} condition of code from a URL; a Warning Event when it turns bad. */
  private void integrity(Function function, FunctionPlan plan, FunctionStatus status) {
    Optional<CodeIntegrity.Verdict> verdict = CodeIntegrity.of(plan);
    String uid = function.getMetadata().getUid();
    if (verdict.isEmpty()) {
      Conditions.remove(status, CodeIntegrity.TYPE);
      integrityWarned.remove(uid);
      return;
    }
    CodeIntegrity.Verdict v = verdict.get();
    Conditions.set(status, function, CodeIntegrity.TYPE, v.trusted(), v.reason(), v.message());
    // the cached Function may not show our last status write yet: remember what was warned
    if (v.trusted()) {
      integrityWarned.remove(uid);
    } else if (!v.reason().equals(integrityWarned.put(uid, v.reason()))) {
      LOG.warnf(
          "Function %s/%s: %s: %s",
          function.getMetadata().getNamespace(),
          function.getMetadata().getName(),
          v.reason(),
          v.message());
      events.warn(function, v.reason(), v.message());
    }
  }

  private static Optional<DeploymentCondition> condition(
      Optional<DeploymentStatus> status, String type) {
    return status.stream()
        .flatMap(s -> s.getConditions().stream())
        .filter(c -> type.equals(c.getType()))
        .findFirst();
  }

  private static long generation(Optional<Deployment> d) {
    return d.map(x -> x.getMetadata().getGeneration()).orElse(0L);
  }

  private static long observedGeneration(Optional<Deployment> d) {
    return d.map(Deployment::getStatus).map(DeploymentStatus::getObservedGeneration).orElse(0L);
  }

  UpdateControl<Function> invalid(Function function, InvalidFunctionException problem) {
    FunctionStatus status = copy(function.getStatus());
    String message = Redaction.scrub(problem.getMessage(), function);
    boolean changed =
        Conditions.set(status, function, Conditions.READY, false, problem.reason(), message);
    if (changed) {
      LOG.warnf(
          "Function %s/%s: %s: %s",
          function.getMetadata().getNamespace(),
          function.getMetadata().getName(),
          problem.reason(),
          message);
      events.warn(function, problem.reason(), message);
    }
    return write(function, status);
  }

  /**
   * For failures that are not the user's: shown on the Function while the framework retries. A call
   * the controller's RBAC does not allow is {@code Forbidden}, named by the API server's message,
   * with a Warning Event, since only an administrator can fix it.
   */
  FunctionStatus failed(Function function, Exception error) {
    FunctionStatus status = copy(function.getStatus());
    Optional<KubernetesClientException> forbidden = forbidden(error);
    if (forbidden.isPresent()) {
      String message =
          forbidden.get().getStatus().getMessage()
              + ": grant it to the controller's ServiceAccount (k8s/function-controller/rbac.yaml)";
      if (Conditions.set(status, function, Conditions.READY, false, FORBIDDEN, message)) {
        LOG.errorf(
            "Function %s/%s: %s",
            function.getMetadata().getNamespace(), function.getMetadata().getName(), message);
        events.warn(function, FORBIDDEN, message);
      }
    } else {
      Conditions.set(
          status,
          function,
          Conditions.READY,
          false,
          "ReconcileFailed",
          error.getMessage() == null
              ? error.getClass().getSimpleName()
              : Redaction.scrub(error.getMessage(), function));
    }
    status.setObservedGeneration(function.getMetadata().getGeneration());
    return status;
  }

  /** The first 403 among the causes of a failure, the workflow's aggregated ones included. */
  private static Optional<KubernetesClientException> forbidden(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof KubernetesClientException k
          && k.getCode() == 403
          && k.getStatus() != null
          && k.getStatus().getMessage() != null) {
        return Optional.of(k);
      }
      if (t instanceof AggregatedOperatorException aggregated) {
        for (Exception e : aggregated.getAggregatedExceptions().values()) {
          Optional<KubernetesClientException> found = forbidden(e);
          if (found.isPresent()) {
            return found;
          }
        }
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return Optional.empty();
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
