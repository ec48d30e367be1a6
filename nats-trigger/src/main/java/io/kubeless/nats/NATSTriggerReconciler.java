package io.kubeless.nats;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.kubeless.api.v1beta1.NATSTrigger;
import io.kubeless.api.v1beta1.NATSTriggerSpec;
import io.kubeless.nats.source.NatsSubscription;
import io.kubeless.trigger.engine.Bindings;
import io.kubeless.trigger.kubernetes.StatusLeadership;
import io.kubeless.trigger.kubernetes.TriggerConfig;
import io.kubeless.trigger.kubernetes.TriggerReconciler;
import io.kubeless.trigger.kubernetes.TriggerStatusWriter;

/**
 * NATSTriggers in all namespaces, fed to the NATS engine; validation and defaulting are the
 * engine's ({@link io.kubeless.nats.source.NatsSource}), status the base reconciler's.
 */
// comparableResourceVersions = false: see FunctionReconciler (java-operator-sdk#3398)
@ControllerConfiguration(
    name = "natstrigger",
    triggerReconcilerOnAllEvents = true,
    informer = @Informer(comparableResourceVersions = false))
public class NATSTriggerReconciler extends TriggerReconciler<NATSTrigger, NATSTriggerSpec> {

  public NATSTriggerReconciler(
      Bindings<NATSTriggerSpec, NatsSubscription> bindings,
      KubernetesClient client,
      StatusLeadership leadership,
      TriggerConfig config) {
    super(
        bindings,
        new TriggerStatusWriter(client, leadership, "kubeless-nats-trigger"),
        leadership,
        config);
  }
}
