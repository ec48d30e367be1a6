package io.kubeless.nats;

import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.kubeless.api.v1beta1.NATSTrigger;
import io.kubeless.api.v1beta1.NATSTriggerSpec;
import java.util.Map;

/** NATSTriggers for tests. */
final class TestingNats {

  private TestingNats() {}

  /** A core NATS trigger of {@code topic} for the functions labelled {@code selector}. */
  static NATSTrigger trigger(
      String namespace, String name, String topic, Map<String, String> selector) {
    NATSTriggerSpec spec = new NATSTriggerSpec();
    spec.setTopic(topic);
    spec.setFunctionSelector(new LabelSelectorBuilder().withMatchLabels(selector).build());
    NATSTrigger trigger = new NATSTrigger();
    trigger.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    trigger.setSpec(spec);
    return trigger;
  }

  /** The same trigger reading through JetStream stream {@code stream}. */
  static NATSTrigger jetStream(
      String namespace, String name, String stream, String topic, Map<String, String> selector) {
    NATSTrigger trigger = trigger(namespace, name, topic, selector);
    trigger.getSpec().setStream(stream);
    return trigger;
  }
}
