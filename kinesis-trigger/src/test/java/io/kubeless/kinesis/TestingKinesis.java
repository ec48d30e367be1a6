package io.kubeless.kinesis;

import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.kubeless.api.v1beta1.KinesisTrigger;
import io.kubeless.api.v1beta1.KinesisTriggerSpec;
import java.util.Map;

/** KinesisTriggers for tests. */
final class TestingKinesis {

  private TestingKinesis() {}

  /** A trigger of {@code stream} in us-east-1 for the functions labelled {@code selector}. */
  static KinesisTrigger trigger(
      String namespace, String name, String stream, Map<String, String> selector) {
    KinesisTriggerSpec spec = new KinesisTriggerSpec();
    spec.setStream(stream);
    spec.setRegion("us-east-1");
    spec.setFunctionSelector(new LabelSelectorBuilder().withMatchLabels(selector).build());
    KinesisTrigger trigger = new KinesisTrigger();
    trigger.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    trigger.setSpec(spec);
    return trigger;
  }

  /** Kubeless's form: {@code function-name}, {@code aws-region}, {@code secret}, {@code shard}. */
  static KinesisTrigger kubeless(
      String namespace, String name, String stream, String function, String secret) {
    KinesisTriggerSpec spec = new KinesisTriggerSpec();
    spec.setStream(stream);
    spec.setRegion("us-east-1");
    spec.setFunctionName(function);
    spec.setSecret(secret);
    spec.setShard("shardId-000000000000");
    KinesisTrigger trigger = new KinesisTrigger();
    trigger.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    trigger.setSpec(spec);
    return trigger;
  }
}
