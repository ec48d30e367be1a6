package io.kubeless.kafka;

import io.kubeless.api.v1beta1.BoundFunctionStatus;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionSpec;
import io.kubeless.api.v1beta1.FunctionStatus;
import io.kubeless.api.v1beta1.KafkaTrigger;
import io.kubeless.api.v1beta1.KafkaTriggerSpec;
import io.kubeless.api.v1beta1.KafkaTriggerStatus;
import io.kubeless.api.v1beta1.KubelessStatus;
import io.kubeless.api.v1beta1.TriggerStatus;
import io.quarkus.runtime.annotations.RegisterForReflection;

/** The model classes Jackson binds by reflection, kept in a native image. */
@RegisterForReflection(
    targets = {
      KafkaTrigger.class,
      KafkaTriggerSpec.class,
      KafkaTriggerStatus.class,
      TriggerStatus.class,
      BoundFunctionStatus.class,
      KubelessStatus.class,
      Function.class,
      FunctionSpec.class,
      FunctionStatus.class
    })
final class NativeReflection {
  private NativeReflection() {}
}
