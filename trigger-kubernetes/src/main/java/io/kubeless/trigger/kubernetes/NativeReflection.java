package io.kubeless.trigger.kubernetes;

import io.kubeless.api.v1beta1.BoundFunctionStatus;
import io.kubeless.api.v1beta1.CronJobTrigger;
import io.kubeless.api.v1beta1.CronJobTriggerSpec;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionSpec;
import io.kubeless.api.v1beta1.FunctionStatus;
import io.kubeless.api.v1beta1.HTTPTrigger;
import io.kubeless.api.v1beta1.HTTPTriggerSpec;
import io.kubeless.api.v1beta1.KafkaTrigger;
import io.kubeless.api.v1beta1.KafkaTriggerSpec;
import io.kubeless.api.v1beta1.KinesisTrigger;
import io.kubeless.api.v1beta1.KinesisTriggerSpec;
import io.kubeless.api.v1beta1.KubelessStatus;
import io.kubeless.api.v1beta1.NATSTrigger;
import io.kubeless.api.v1beta1.NATSTriggerSpec;
import io.kubeless.api.v1beta1.ShardStatus;
import io.kubeless.api.v1beta1.TriggerStatus;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The model classes a trigger application binds with Jackson by reflection, kept in a native image
 * with the types of their fields (NativeReflectionTest checks that every model type they reach is
 * listed).
 */
@RegisterForReflection(
    registerFullHierarchy = true,
    targets = {
      Function.class,
      FunctionSpec.class,
      FunctionStatus.class,
      KubelessStatus.class,
      TriggerStatus.class,
      BoundFunctionStatus.class,
      ShardStatus.class,
      KafkaTrigger.class,
      KafkaTriggerSpec.class,
      NATSTrigger.class,
      NATSTriggerSpec.class,
      KinesisTrigger.class,
      KinesisTriggerSpec.class,
      HTTPTrigger.class,
      HTTPTriggerSpec.class,
      CronJobTrigger.class,
      CronJobTriggerSpec.class
    })
final class NativeReflection {
  private NativeReflection() {}
}
