package io.kubeless.trigger.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.function.FunctionDirectory;
import io.kubeless.trigger.invoke.Invoker;
import io.kubeless.trigger.metrics.TriggerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.arc.DefaultBean;
import io.vertx.core.Vertx;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.Objects;
import java.util.UUID;

/**
 * The engine of a trigger application on Kubernetes: a function directory backed by an informer,
 * the shared HTTP invoker, metrics, and the status Lease. Each is a default bean, so another
 * adapter (or a test) can replace one by producing its own.
 */
@Singleton
public class TriggerProducers {

  @Produces
  @Singleton
  @DefaultBean
  Invoker invoker(Vertx vertx, TriggerConfig config) {
    var invoker = config.invoker();
    return new Invoker(
        vertx,
        new Invoker.Options(
            invoker.connectTimeout(),
            invoker.keepAliveTimeout(),
            invoker.maxConnectionsPerFunction(),
            invoker.timeoutGrace()));
  }

  void closeInvoker(@Disposes Invoker invoker) {
    invoker.close();
  }

  @Produces
  @Singleton
  @DefaultBean
  FunctionDirectory directory(KubernetesClient client, TriggerConfig config) {
    var functions = config.functions();
    return new KubernetesFunctionDirectory(
        client,
        new FunctionEndpoints(functions.urlTemplate(), functions.clusterDomain()),
        functions.syncTimeout());
  }

  void closeDirectory(@Disposes FunctionDirectory directory) throws Exception {
    if (directory instanceof AutoCloseable closeable) {
      closeable.close();
    }
  }

  @Produces
  @Singleton
  @DefaultBean
  TriggerMetrics metrics(MeterRegistry registry) {
    return new TriggerMetrics(registry);
  }

  @Produces
  @Singleton
  @DefaultBean
  TriggerEngine engine(FunctionDirectory directory, Invoker invoker, TriggerMetrics metrics) {
    return new TriggerEngine(directory, invoker, metrics);
  }

  void closeEngine(@Disposes TriggerEngine engine) throws InterruptedException {
    engine.close();
  }

  @Produces
  @Singleton
  @DefaultBean
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
