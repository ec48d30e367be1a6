package io.kubeless.function;

import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionSpec;
import io.kubeless.api.v1beta1.FunctionStatus;
import io.kubeless.api.v1beta1.KubelessStatus;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The model classes Jackson binds by reflection, kept in a native image with the types of their
 * fields (the Kubernetes model classes they hold are registered by the Kubernetes client's
 * extension).
 */
@RegisterForReflection(
    registerFullHierarchy = true,
    targets = {Function.class, FunctionSpec.class, FunctionStatus.class, KubelessStatus.class})
final class NativeReflection {
  private NativeReflection() {}
}
