package io.kubeless.function.dependent;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.function.spec.FunctionPlan;

/** The Service triggers call: {@code spec.service} when it has ports, else port 8080. */
@KubernetesDependent(informer = @Informer(labelSelector = FunctionDependent.MANAGED))
public class ServiceDependent extends FunctionDependent<Service> {

  public ServiceDependent() {
    super(Service.class);
  }

  @Override
  protected Service desired(Function primary, Context<Function> context) {
    return build(FunctionPlan.of(context));
  }

  static Service build(FunctionPlan plan) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(plan.name())
        .withNamespace(plan.namespace())
        .withLabels(plan.labels())
        .endMetadata()
        .withSpec(plan.service())
        .build();
  }
}
