package io.kubeless.kafka;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.kubeless.api.v1beta1.KafkaTrigger;
import io.kubeless.api.v1beta1.KafkaTriggerSpec;
import io.kubeless.kafka.config.KafkaTriggerConfig;
import io.kubeless.kafka.policy.TopicPolicy;
import io.kubeless.kafka.source.KafkaSource;
import io.kubeless.kafka.source.KafkaSubscription;
import io.kubeless.trigger.engine.Bindings;
import io.kubeless.trigger.engine.InvalidTriggerException;
import io.kubeless.trigger.kubernetes.StatusLeadership;
import io.kubeless.trigger.kubernetes.TriggerConfig;
import io.kubeless.trigger.kubernetes.TriggerReconciler;
import io.kubeless.trigger.kubernetes.TriggerStatusWriter;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * KafkaTriggers in all namespaces, fed to the Kafka engine; validation and defaulting are the
 * engine's ({@link KafkaSource}), status the base reconciler's. With the topic policy on, a trigger
 * whose topic its namespace does not allow ({@link TopicPolicy}) never reaches the engine; the
 * namespaces are watched, so a changed annotation applies at once.
 */
// comparableResourceVersions = false: see FunctionReconciler (java-operator-sdk#3398)
@ControllerConfiguration(
    name = "kafkatrigger",
    triggerReconcilerOnAllEvents = true,
    informer = @Informer(comparableResourceVersions = false))
public class KafkaTriggerReconciler extends TriggerReconciler<KafkaTrigger, KafkaTriggerSpec> {

  private final KafkaSource source;
  private final boolean topicPolicy;

  /** For the client proxy of the application-scoped reconciler bean only. */
  protected KafkaTriggerReconciler() {
    this.source = null;
    this.topicPolicy = false;
  }

  @Inject
  public KafkaTriggerReconciler(
      Bindings<KafkaTriggerSpec, KafkaSubscription> bindings,
      KafkaSource source,
      KubernetesClient client,
      StatusLeadership leadership,
      TriggerConfig config,
      KafkaTriggerConfig kafka) {
    super(
        bindings,
        new TriggerStatusWriter(client, leadership, "kubeless-kafka-trigger"),
        leadership,
        config);
    this.source = source;
    this.topicPolicy = kafka.topicPolicy().enabled();
  }

  /** With the topic policy on, a namespace's change reconciles its triggers. */
  @Override
  public List<EventSource<?, KafkaTrigger>> prepareEventSources(
      EventSourceContext<KafkaTrigger> context) {
    List<EventSource<?, KafkaTrigger>> sources =
        new ArrayList<>(super.prepareEventSources(context));
    if (topicPolicy) {
      var triggers = context.getPrimaryCache();
      var namespaces =
          InformerEventSourceConfiguration.from(Namespace.class, KafkaTrigger.class)
              .withName("namespaces")
              .withSecondaryToPrimaryMapper(
                  ns ->
                      triggers
                          .list(ns.getMetadata().getName())
                          .map(ResourceID::fromResource)
                          .collect(Collectors.toSet()))
              .withPrimaryToSecondaryMapper(
                  (KafkaTrigger t) -> Set.of(new ResourceID(t.getMetadata().getNamespace())))
              .build();
      sources.add(new InformerEventSource<>(namespaces, context));
    }
    return sources;
  }

  /**
   * The topic policy's refusal. A spec the engine would refuse anyway is left to it, so that it is
   * reported as {@code InvalidSpec}.
   */
  @Override
  protected Optional<Refusal> refusal(KafkaTrigger trigger, Context<KafkaTrigger> context) {
    if (!topicPolicy) {
      return Optional.empty();
    }
    KafkaSubscription subscription;
    try {
      subscription = source.subscription(trigger.getSpec());
    } catch (InvalidTriggerException e) {
      return Optional.empty();
    }
    return TopicPolicy.refusal(
            trigger.getMetadata().getNamespace(),
            context.getSecondaryResource(Namespace.class),
            subscription.topic())
        .map(message -> new Refusal(TopicPolicy.TOPIC_NOT_ALLOWED, message));
  }
}
