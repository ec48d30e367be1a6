package io.kubeless.function.dependent;

import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.function.spec.FunctionPlan;

/**
 * The {@code autoscaling/v2} autoscaler of the function's Deployment, present only while {@code
 * spec.horizontalPodAutoscaler} asks for one: the workflow deletes it when the request goes away.
 */
@KubernetesDependent(informer = @Informer(labelSelector = FunctionDependent.MANAGED))
public class AutoscalerDependent extends FunctionDependent<HorizontalPodAutoscaler> {

  public AutoscalerDependent() {
    super(HorizontalPodAutoscaler.class);
  }

  @Override
  protected HorizontalPodAutoscaler desired(Function primary, Context<Function> context) {
    return build(FunctionPlan.of(context));
  }

  static HorizontalPodAutoscaler build(FunctionPlan plan) {
    return new HorizontalPodAutoscalerBuilder()
        .withNewMetadata()
        .withName(plan.name())
        .withNamespace(plan.namespace())
        .withLabels(plan.labels())
        .endMetadata()
        .withSpec(plan.autoscaler().orElseThrow())
        .build();
  }

  /** Reconcile precondition: the Function asks for an autoscaler. */
  public static class Requested implements Condition<HorizontalPodAutoscaler, Function> {
    @Override
    public boolean isMet(
        DependentResource<HorizontalPodAutoscaler, Function> dependentResource,
        Function primary,
        Context<Function> context) {
      return FunctionPlan.of(context).autoscaler().isPresent();
    }
  }
}
