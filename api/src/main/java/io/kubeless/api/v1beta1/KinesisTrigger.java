package io.kubeless.api.v1beta1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Version;

/** Invokes a function for every record of a Kinesis stream shard. */
@Group(Function.GROUP)
@Version(Function.VERSION)
@AdditionalPrinterColumn(
    name = "Stream",
    jsonPath = ".spec.stream",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Function",
    jsonPath = ".spec.function-name",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Ready",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class KinesisTrigger extends CustomResource<KinesisTriggerSpec, TriggerStatus>
    implements Namespaced {

  @Override
  protected KinesisTriggerSpec initSpec() {
    return new KinesisTriggerSpec();
  }
}
