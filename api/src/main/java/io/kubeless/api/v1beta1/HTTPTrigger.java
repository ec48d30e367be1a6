package io.kubeless.api.v1beta1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Version;

/** Exposes a function over HTTP: an Ingress or Gateway API route, or the built-in gateway. */
@Group(Function.GROUP)
@Version(Function.VERSION)
@AdditionalPrinterColumn(
    name = "Function",
    jsonPath = ".spec.function-name",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Host",
    jsonPath = ".spec.host-name",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Path",
    jsonPath = ".spec.path",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Gateway",
    jsonPath = ".spec.gateway",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "URL",
    jsonPath = ".status.url",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Ready",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class HTTPTrigger extends CustomResource<HTTPTriggerSpec, TriggerStatus>
    implements Namespaced {

  @Override
  protected HTTPTriggerSpec initSpec() {
    return new HTTPTriggerSpec();
  }
}
