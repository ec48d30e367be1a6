/**
 * The trigger engine: the data plane every trigger shares, with no Kubernetes dependency (the build
 * forbids one). A {@link io.kubeless.trigger.engine.TriggerSpecSource} says which triggers exist, a
 * {@link io.kubeless.trigger.function.FunctionDirectory} where their functions are and whether they
 * are ready; {@link io.kubeless.trigger.engine.Bindings} keeps one worker per (trigger, function),
 * which a {@link io.kubeless.trigger.engine.TriggerSource} (Kafka, NATS, ...) supplies; {@link
 * io.kubeless.trigger.delivery.Delivery} sends committed events in order, at most once, through the
 * {@link io.kubeless.trigger.invoke.Invoker}; {@link io.kubeless.trigger.metrics.TriggerMetrics}
 * counts what happened. The Kubernetes adapter lives in trigger-kubernetes, the local one in the
 * CLI.
 */
package io.kubeless.trigger;
