package io.kubeless.http;

import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.HTTPTrigger;
import io.kubeless.trigger.kubernetes.StatusLeadership;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What re-reconciles HTTPTriggers besides their own changes: their Function (its Service port and
 * readiness; an index of the triggers by function name maps a Function to the triggers naming it),
 * and the status Lease (a replica that becomes leader writes every status).
 */
final class TriggerEvents {

  private static final String BY_FUNCTION = "function";

  private TriggerEvents() {}

  static List<EventSource<?, HTTPTrigger>> of(
      EventSourceContext<HTTPTrigger> context, StatusLeadership leadership) {
    var triggers = context.getPrimaryCache();
    triggers.addIndexer(
        BY_FUNCTION, t -> List.of(key(t.getMetadata().getNamespace(), functionName(t))));
    var functions =
        InformerEventSourceConfiguration.from(Function.class, HTTPTrigger.class)
            .withName("functions")
            .withSecondaryToPrimaryMapper(
                f ->
                    triggers
                        .byIndex(
                            BY_FUNCTION,
                            key(f.getMetadata().getNamespace(), f.getMetadata().getName()))
                        .stream()
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
            .withPrimaryToSecondaryMapper(
                (HTTPTrigger t) ->
                    functionName(t).isEmpty()
                        ? Set.of()
                        : Set.of(new ResourceID(functionName(t), t.getMetadata().getNamespace())))
            .build();
    SimpleInboundEventSource<HTTPTrigger> lease = new SimpleInboundEventSource<>("leadership");
    leadership.onChange(
        () -> {
          if (lease.isRunning()) {
            triggers.list().map(ResourceID::fromResource).forEach(lease::propagateEvent);
          }
        });
    return List.of(new InformerEventSource<>(functions, context), lease);
  }

  private static String functionName(HTTPTrigger trigger) {
    String name = trigger.getSpec() == null ? null : trigger.getSpec().getFunctionName();
    return name == null ? "" : name.trim();
  }

  private static String key(String namespace, String name) {
    return namespace + "/" + name;
  }
}
