package io.kubeless.kafka;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.kubeless.api.v1beta1.KafkaTrigger;
import io.kubeless.api.v1beta1.KafkaTriggerSpec;
import io.kubeless.kafka.source.KafkaSubscription;
import io.kubeless.trigger.engine.Bindings;
import io.kubeless.trigger.kubernetes.StatusLeadership;
import io.kubeless.trigger.kubernetes.TriggerConfig;
import io.kubeless.trigger.kubernetes.TriggerReconciler;
import io.kubeless.trigger.kubernetes.TriggerStatusWriter;

/**
 * KafkaTriggers in all namespaces, fed to the Kafka engine; validation and defaulting are the
 * engine's ({@link io.kubeless.kafka.source.KafkaSource}), status the base reconciler's.
 */
// comparableResourceVersions = false: see FunctionReconciler (java-operator-sdk#3398)
@ControllerConfiguration(
    name = "kafkatrigger",
    triggerReconcilerOnAllEvents = true,
    informer = @Informer(comparableResourceVersions = false))
public class KafkaTriggerReconciler extends TriggerReconciler<KafkaTrigger, KafkaTriggerSpec> {

  public KafkaTriggerReconciler(
      Bindings<KafkaTriggerSpec, KafkaSubscription> bindings,
      KubernetesClient client,
      StatusLeadership leadership,
      TriggerConfig config) {
    super(
        bindings,
        new TriggerStatusWriter(client, leadership, "kubeless-kafka-trigger"),
        leadership,
        config);
  }
}
