package io.kubeless.function.dependent;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.function.runtime.Runtime;
import io.kubeless.function.spec.FunctionPlan;
import java.util.Map;
import java.util.TreeMap;

/** The function's code, handler and dependency file, mounted into the pod at {@code /src}. */
@KubernetesDependent(informer = @Informer(labelSelector = FunctionDependent.MANAGED))
public class ConfigMapDependent extends FunctionDependent<ConfigMap> {

  public ConfigMapDependent() {
    super(ConfigMap.class);
  }

  @Override
  protected ConfigMap desired(Function primary, Context<Function> context) {
    return build(FunctionPlan.of(context));
  }

  static ConfigMap build(FunctionPlan plan) {
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withName(plan.name())
        .withNamespace(plan.namespace())
        .withLabels(plan.labels())
        .endMetadata()
        .withData(data(plan))
        .build();
  }

  /** Keys as Kubeless wrote them: {@code handler}, the code file, and the deps file. */
  static Map<String, String> data(FunctionPlan plan) {
    Map<String, String> data = new TreeMap<>();
    plan.handler().ifPresent(h -> data.put("handler", h.toString()));
    data.put(plan.codeKey(), plan.code());
    plan.runtime().flatMap(Runtime::depsFile).ifPresent(deps -> data.put(deps, plan.deps()));
    return data;
  }
}
