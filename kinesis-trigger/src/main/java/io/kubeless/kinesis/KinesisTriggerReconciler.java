package io.kubeless.kinesis;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.kubeless.api.v1beta1.KinesisTrigger;
import io.kubeless.api.v1beta1.KinesisTriggerSpec;
import io.kubeless.kinesis.source.KinesisSubscription;
import io.kubeless.trigger.engine.Bindings;
import io.kubeless.trigger.kubernetes.StatusLeadership;
import io.kubeless.trigger.kubernetes.TriggerConfig;
import io.kubeless.trigger.kubernetes.TriggerReconciler;
import io.kubeless.trigger.kubernetes.TriggerStatusWriter;

/**
 * KinesisTriggers in all namespaces, fed to the Kinesis engine; validation and defaulting are the
 * engine's ({@link io.kubeless.kinesis.source.KinesisSource}), status (with {@code
 * status.shards[]}) the base reconciler's.
 */
// comparableResourceVersions = false: see FunctionReconciler (java-operator-sdk#3398)
@ControllerConfiguration(
    name = "kinesistrigger",
    triggerReconcilerOnAllEvents = true,
    informer = @Informer(comparableResourceVersions = false))
public class KinesisTriggerReconciler
    extends TriggerReconciler<KinesisTrigger, KinesisTriggerSpec> {

  public KinesisTriggerReconciler(
      Bindings<KinesisTriggerSpec, KinesisSubscription> bindings,
      KubernetesClient client,
      StatusLeadership leadership,
      TriggerConfig config) {
    super(
        bindings,
        new TriggerStatusWriter(client, leadership, "kubeless-kinesis-trigger"),
        leadership,
        config);
  }
}
