/**
 * What every trigger shares. The engine of a trigger (consume, map to functions, invoke, commit)
 * depends only on the types here and never on the Kubernetes API: a {@link
 * io.kubeless.trigger.function.FunctionDirectory} says where the bound functions are and whether
 * they are ready, the {@link io.kubeless.trigger.invoke.Invoker} sends one event to one function by
 * the wire contract, and {@link io.kubeless.trigger.metrics.TriggerMetrics} counts what happened.
 * The Kubernetes adapters ({@link io.kubeless.trigger.function.KubernetesFunctionDirectory}, {@link
 * io.kubeless.trigger.leader.StatusLeadership}) live beside them.
 */
package io.kubeless.trigger;
