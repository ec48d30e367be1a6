package io.kubeless.kinesis;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.v1beta1.KinesisTrigger;
import io.kubeless.api.v1beta1.KinesisTriggerSpec;
import io.kubeless.kinesis.config.KinesisTriggerConfig;
import io.kubeless.kinesis.config.KinesisTriggerSettings;
import io.kubeless.kinesis.kubernetes.SecretCredentialsResolver;
import io.kubeless.kinesis.source.KinesisSource;
import io.kubeless.kinesis.source.KinesisSubscription;
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

/**
 * Kinesis as the engine's source: shard Leases and checkpoints in the controller's namespace, AWS
 * keys from the triggers' Secrets; stopped gracefully on shutdown.
 */
@Singleton
public class KinesisEngine {

  /**
   * Shard Leases under the status Lease's namespace and identity, unless configured otherwise;
   * those of KinesisTriggers deleted while no replica ran are swept every ten minutes.
   */
  @Produces
  @Singleton
  LeaseShardCoordinator coordinator(
      KubernetesClient client,
      KinesisTriggerConfig config,
      TriggerConfig trigger,
      StatusLeadership leadership) {
    return new LeaseShardCoordinator(
        client,
        KinesisTriggerSettings.leases(
            config, trigger.leaderElection().namespace(), leadership.identity()),
        LeaseShardCoordinator.existing(client, KinesisTrigger.class, KinesisSource::selection));
  }

  @Produces
  @Singleton
  KinesisSource source(
      TriggerEngine engine,
      KinesisTriggerConfig config,
      LeaseShardCoordinator coordinator,
      KubernetesClient client) {
    return new KinesisSource(
        engine,
        KinesisTriggerSettings.of(config),
        coordinator,
        new SecretCredentialsResolver(client));
  }

  @Produces
  @Singleton
  Bindings<KinesisTriggerSpec, KinesisSubscription> bindings(
      TriggerEngine engine, KinesisSource source, TriggerConfig config) {
    return new Bindings<>(engine, source, config.sweepInterval());
  }

  /**
   * Before the HTTP client goes: every reader sends the read it already checkpointed and releases
   * its shards, so a rolling update loses nothing and another replica takes them over at once,
   * without waiting for the Leases to expire. The membership Lease and the Kinesis clients go after
   * them. The status Lease goes first: a replica whose bindings are closing would otherwise write
   * them as gone ({@code NoFunctionsMatch}, with a Warning Event) just before leaving; another
   * replica writes status instead, at once. It runs before the operator SDK's own shutdown
   * observer, which closes the Kubernetes client that releasing needs.
   */
  void stop(
      @Observes @Priority(Interceptor.Priority.LIBRARY_BEFORE) ShutdownEvent event,
      Bindings<KinesisTriggerSpec, KinesisSubscription> bindings,
      LeaseShardCoordinator coordinator,
      KinesisSource source,
      StatusLeadership leadership)
      throws Exception {
    leadership.close();
    bindings.close();
    coordinator.close();
    source.close();
  }
}
