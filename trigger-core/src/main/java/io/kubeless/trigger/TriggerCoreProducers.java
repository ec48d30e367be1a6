package io.kubeless.trigger;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.trigger.config.TriggerConfig;
import io.kubeless.trigger.function.FunctionDirectory;
import io.kubeless.trigger.function.FunctionEndpoints;
import io.kubeless.trigger.function.KubernetesFunctionDirectory;
import io.kubeless.trigger.invoke.Invoker;
import io.kubeless.trigger.leader.StatusLeadership;
import io.kubeless.trigger.metrics.TriggerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.Objects;
import java.util.UUID;

/** The Kubernetes wiring of trigger-core for a Quarkus trigger application. */
@Singleton
public class TriggerCoreProducers {

  @Produces
  @Singleton
  Invoker invoker(Vertx vertx, TriggerConfig config) {
    var invoker = config.invoker();
    return new Invoker(
        vertx,
        new Invoker.Options(
            invoker.connectTimeout(),
            invoker.keepAliveTimeout(),
            invoker.maxConnectionsPerFunction()));
  }

  void closeInvoker(@Disposes Invoker invoker) {
    invoker.close();
  }

  @Produces
  @Singleton
  FunctionDirectory directory(KubernetesClient client, TriggerConfig config) {
    var functions = config.functions();
    return new KubernetesFunctionDirectory(
        client,
        new FunctionEndpoints.Defaults(
            functions.defaultTimeout(), functions.defaultPort(), functions.clusterDomain()),
        functions.syncTimeout());
  }

  void closeDirectory(@Disposes FunctionDirectory directory) throws Exception {
    if (directory instanceof AutoCloseable closeable) {
      closeable.close();
    }
  }

  @Produces
  @Singleton
  TriggerMetrics metrics(MeterRegistry registry) {
    return new TriggerMetrics(registry);
  }

  @Produces
  @Singleton
  StatusLeadership leadership(KubernetesClient client, TriggerConfig config) {
    var election = config.leaderElection();
    String identity =
        election
            .identity()
            .orElseGet(
                () ->
                    Objects.requireNonNullElseGet(
                        System.getenv("HOSTNAME"), () -> UUID.randomUUID().toString()));
    StatusLeadership leadership =
        new StatusLeadership(
            client,
            new StatusLeadership.Settings(
                election.namespace(),
                election.leaseName(),
                identity,
                election.leaseDuration(),
                election.renewDeadline(),
                election.retryPeriod()));
    leadership.start();
    return leadership;
  }

  void closeLeadership(@Disposes StatusLeadership leadership) {
    leadership.close();
  }
}
