package io.kubeless.function;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.kubeless.api.function.InvalidFunctionException;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.function.spec.FunctionPlan;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Makes sure the objects a Function's children would replace are the Function's own, before the
 * workflow writes anything. An object of another owner is never overwritten: it is reported as
 * {@code ResourceConflict}. An orphan labelled {@code created-by=kubeless} (left by Kubeless or by
 * a Function deleted with {@code --cascade=orphan}) is adopted. The fields of an owned child that
 * Kubeless or a plain update wrote are taken over ({@link FieldOwnership}) before it is applied.
 */
final class ChildOwnership {

  /** The reason when a child's name is taken by an object kubeless does not manage. */
  static final String CONFLICT = "ResourceConflict";

  private static final Logger LOG = Logger.getLogger(ChildOwnership.class);

  /** The children to check: event source name (the dependent's name) and type. */
  private static final Map<String, Class<? extends HasMetadata>> CHILDREN =
      Map.of(
          FunctionReconciler.CONFIG_MAP, ConfigMap.class,
          FunctionReconciler.SERVICE, Service.class,
          FunctionReconciler.DEPLOYMENT, Deployment.class,
          FunctionReconciler.AUTOSCALER, HorizontalPodAutoscaler.class);

  private ChildOwnership() {}

  /**
   * Checks every child this plan would write.
   *
   * @param adoptedManagers the field managers whose updates are taken over
   * @return whether an orphan was adopted or fields were taken over, in which case the child's
   *     informer event reconciles again
   * @throws InvalidFunctionException reason {@code ResourceConflict} when an object of the same
   *     name belongs to someone else
   */
  static boolean check(FunctionPlan plan, Context<Function> context, Set<String> adoptedManagers)
      throws InvalidFunctionException {
    Function function = plan.function();
    List<String> conflicts = new ArrayList<>();
    boolean adopted = false;
    var configuration = context.getControllerConfiguration();
    String manager = configuration.fieldManager();
    // taking fields over is for server-side apply; plain updates replace the whole object anyway
    Set<String> takenOver =
        configuration.getConfigurationService().ssaBasedCreateUpdateMatchForDependentResources()
            ? adoptedManagers
            : Set.of();
    for (var child : CHILDREN.entrySet()) {
      if (child.getValue() == HorizontalPodAutoscaler.class && plan.autoscaler().isEmpty()) {
        continue;
      }
      Optional<? extends HasMetadata> owned =
          context.getSecondaryResource(child.getValue(), child.getKey());
      if (owned.isPresent()) {
        // owned: the dependent's informer maps only owned objects
        adopted |= FieldOwnership.takeOver(owned.get(), manager, takenOver, context.getClient());
        continue;
      }
      HasMetadata existing =
          context
              .getClient()
              .resources(child.getValue())
              .inNamespace(plan.namespace())
              .withName(plan.name())
              .get();
      if (existing == null || existing.hasOwnerReferenceFor(function)) {
        continue;
      }
      OwnerReference controller = controllerOf(existing);
      boolean kubeless =
          FunctionPlan.KUBELESS.equals(labels(existing).get(FunctionPlan.CREATED_BY));
      if (controller != null && kubeless && "Function".equals(controller.getKind())) {
        // a deleted Function of the same name: the garbage collector is about to remove it
        throw new IllegalStateException(
            existing.getKind() + " " + plan.name() + " still belongs to a deleted Function");
      }
      if (controller == null && kubeless) {
        existing.addOwnerReference(FunctionPlan.controllerReference(function));
        context.getClient().resource(existing).update();
        LOG.infof(
            "Function %s/%s adopted its orphaned %s",
            plan.namespace(), plan.name(), existing.getKind());
        adopted = true;
        continue;
      }
      conflicts.add(existing.getKind());
    }
    if (!conflicts.isEmpty()) {
      conflicts.sort(null);
      throw new InvalidFunctionException(
          CONFLICT,
          String.join(", ", conflicts)
              + " "
              + plan.namespace()
              + "/"
              + plan.name()
              + " already exists and is not managed by kubeless; it was left untouched. Rename"
              + " the Function, or delete the existing object");
    }
    return adopted;
  }

  private static OwnerReference controllerOf(HasMetadata resource) {
    return resource.getMetadata().getOwnerReferences().stream()
        .filter(o -> Boolean.TRUE.equals(o.getController()))
        .findFirst()
        .orElse(null);
  }

  private static Map<String, String> labels(HasMetadata resource) {
    return Objects.requireNonNullElse(resource.getMetadata().getLabels(), Map.of());
  }
}
