package io.kubeless.kafka;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.v1beta1.KafkaTrigger;
import io.kubeless.api.v1beta1.KafkaTriggerSpec;
import io.kubeless.kafka.config.KafkaTriggerConfig;
import io.kubeless.kafka.config.KafkaTriggerProperties;
import io.kubeless.kafka.source.ConsumerSettings;
import io.kubeless.kafka.source.KafkaSource;
import io.kubeless.kafka.source.KafkaSubscription;
import io.kubeless.trigger.engine.Bindings;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.kubernetes.LeaseShardCoordinator;
import io.kubeless.trigger.kubernetes.StatusLeadership;
import io.kubeless.trigger.kubernetes.TriggerConfig;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import jakarta.interceptor.Interceptor;
import org.jboss.logging.Logger;

/**
 * Kafka as the engine's source, from the configuration: partition Leases and checkpoints in the
 * controller's namespace; stopped gracefully on shutdown.
 */
@Singleton
public class KafkaEngine {

  private static final Logger LOG = Logger.getLogger(KafkaEngine.class);

  /** The source name in the Leases' names and labels ({@code kafka-<hash>}). */
  public static final String LEASES = "kafka";

  /**
   * Partition Leases under the status Lease's namespace and identity, unless configured; those of
   * KafkaTriggers deleted while no replica ran are swept every ten minutes.
   */
  @Produces
  @Singleton
  LeaseShardCoordinator coordinator(
      KubernetesClient client,
      KafkaTriggerConfig config,
      TriggerConfig trigger,
      StatusLeadership leadership) {
    return new LeaseShardCoordinator(
        client,
        config.leases(LEASES, trigger.leaderElection().namespace(), leadership.identity()),
        LeaseShardCoordinator.existing(client, KafkaTrigger.class, KafkaSource::selection));
  }

  @Produces
  @Singleton
  KafkaSource source(
      TriggerEngine engine, KafkaTriggerConfig config, LeaseShardCoordinator coordinator) {
    var consumer = config.consumer();
    var properties = KafkaTriggerProperties.of(config);
    KafkaTriggerProperties.insecurityWarning(properties).ifPresent(LOG::warn);
    return new KafkaSource(
        engine,
        new ConsumerSettings(
            properties,
            consumer.initialOffset(),
            consumer.commitTimeout(),
            consumer.stopTimeout(),
            consumer.probeInterval(),
            consumer.idlePollInterval(),
            consumer.positionsTopic().orElse(""),
            config.renewInterval().dividedBy(2)),
        coordinator);
  }

  @Produces
  @Singleton
  Bindings<KafkaTriggerSpec, KafkaSubscription> bindings(
      TriggerEngine engine, KafkaSource source, TriggerConfig config) {
    return new Bindings<>(engine, source, config.sweepInterval());
  }

  /**
   * Before the HTTP client goes: requests in flight complete, the unsent records are checkpointed
   * and every partition released, so a rolling update loses nothing and another replica takes them
   * over at once. It runs before the operator SDK's own shutdown observer, which closes the
   * Kubernetes client that releasing needs.
   */
  void stop(
      @Observes @Priority(Interceptor.Priority.LIBRARY_BEFORE) ShutdownEvent event,
      Bindings<KafkaTriggerSpec, KafkaSubscription> bindings,
      LeaseShardCoordinator coordinator,
      KafkaSource source)
      throws Exception {
    bindings.close();
    coordinator.close();
    source.close();
  }
}
