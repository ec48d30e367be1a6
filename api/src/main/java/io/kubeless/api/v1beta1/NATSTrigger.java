package io.kubeless.api.v1beta1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * Invokes the functions matching a label selector for every message on a NATS subject, through core
 * NATS (as Kubeless) or, with {@code spec.stream}, a JetStream durable consumer.
 */
@Group(Function.GROUP)
@Version(Function.VERSION)
@AdditionalPrinterColumn(
    name = "Topic",
    jsonPath = ".spec.topic",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Stream",
    jsonPath = ".spec.stream",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(
    name = "Functions",
    jsonPath = ".status.functions[*].name",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Ready",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class NATSTrigger extends CustomResource<NATSTriggerSpec, TriggerStatus>
    implements Namespaced {

  @Override
  protected NATSTriggerSpec initSpec() {
    return new NATSTriggerSpec();
  }
}
