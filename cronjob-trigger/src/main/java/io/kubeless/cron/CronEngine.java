package io.kubeless.cron;

import io.kubeless.api.v1beta1.CronJobTriggerSpec;
import io.kubeless.cron.config.CronTriggerConfig;
import io.kubeless.cron.source.CronSource;
import io.kubeless.cron.source.CronSubscription;
import io.kubeless.trigger.engine.Bindings;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.kubernetes.StatusLeadership;
import io.kubeless.trigger.kubernetes.TriggerConfig;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import jakarta.interceptor.Interceptor;

/**
 * Cron schedules as the engine's source. Every replica runs every schedule; only the holder of the
 * status Lease fires, so each tick fires once across the replicas, and the one that writes status
 * is the one that knows it.
 */
@Singleton
public class CronEngine {

  @Produces
  @Singleton
  CronSource source(
      TriggerEngine engine,
      StatusLeadership leadership,
      CronTriggerRecords records,
      CronTriggerConfig config) {
    return new CronSource(
        engine,
        leadership::isLeader,
        records,
        new CronSource.Settings(config.maxLateness(), config.stopTimeout()));
  }

  @Produces
  @Singleton
  Bindings<CronJobTriggerSpec, CronSubscription> bindings(
      TriggerEngine engine, CronSource source, TriggerConfig config) {
    return new Bindings<>(engine, source, config.sweepInterval());
  }

  /**
   * Calls in flight end before the HTTP clients go; no tick fires after this. Then the Lease is
   * given up, so the standby fires the next ticks at once instead of after the Lease expires: it
   * runs before the operator SDK's own shutdown observer, which closes the Kubernetes client that
   * releasing needs (when the beans are destroyed it is too late), and before any other observer
   * that gives the status Lease up: the ticks stop first.
   */
  void stop(
      @Observes @Priority(Interceptor.Priority.LIBRARY_BEFORE - 100) ShutdownEvent event,
      Bindings<CronJobTriggerSpec, CronSubscription> bindings,
      CronSource source,
      StatusLeadership leadership)
      throws Exception {
    bindings.close();
    source.close();
    leadership.close();
  }
}
