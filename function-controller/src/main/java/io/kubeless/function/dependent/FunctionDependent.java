package io.kubeless.function.dependent;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.function.spec.FunctionPlan;

/**
 * A child of a Function: named after it and owned by it as its controller, so that the garbage
 * collector deletes it with the Function and {@code kubectl} shows who manages it.
 */
abstract class FunctionDependent<R extends HasMetadata>
    extends CRUDKubernetesDependentResource<R, Function> {

  /** Selects the children the controller manages; the informers cache nothing else. */
  static final String MANAGED = "created-by=kubeless";

  FunctionDependent(Class<R> type) {
    super(type);
  }

  /** Children are named after their Function; no need to compute the desired state to know. */
  @Override
  protected ResourceID targetSecondaryResourceID(Function primary, Context<Function> context) {
    return ResourceID.fromResource(primary);
  }

  /**
   * Every child follows the operator's server-side apply setting (on in production), the ConfigMap
   * included, which JOSDK leaves to plain creates and updates by default: all of a Function's
   * children are then owned by one field manager, and taking over what Kubeless wrote ({@code
   * ChildOwnership}) works for each of them.
   */
  @Override
  protected boolean useSSA(Context<Function> context) {
    return context
        .getControllerConfiguration()
        .getConfigurationService()
        .ssaBasedCreateUpdateMatchForDependentResources();
  }

  @Override
  protected void addReferenceHandlingMetadata(R desired, Function primary) {
    desired.addOwnerReference(FunctionPlan.controllerReference(primary));
  }
}
