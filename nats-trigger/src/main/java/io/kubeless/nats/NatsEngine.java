package io.kubeless.nats;

import io.kubeless.api.v1beta1.NATSTriggerSpec;
import io.kubeless.nats.config.NatsTriggerConfig;
import io.kubeless.nats.config.NatsTriggerSettings;
import io.kubeless.nats.source.NatsSource;
import io.kubeless.nats.source.NatsSubscription;
import io.kubeless.trigger.engine.Bindings;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.kubernetes.TriggerConfig;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** NATS as the engine's source, from the configuration; stopped gracefully on shutdown. */
@Singleton
public class NatsEngine {

  @Produces
  @Singleton
  NatsSource source(TriggerEngine engine, NatsTriggerConfig config) {
    return new NatsSource(engine, NatsTriggerSettings.of(config));
  }

  @Produces
  @Singleton
  Bindings<NATSTriggerSpec, NatsSubscription> bindings(
      TriggerEngine engine, NatsSource source, TriggerConfig config) {
    return new Bindings<>(engine, source, config.sweepInterval());
  }

  /**
   * Before the HTTP client and the connection go: core subscriptions leave their queue groups and
   * send what they already received, JetStream bindings send the batch they acknowledged, so a
   * rolling update loses nothing. The connection closes after them.
   */
  void stop(
      @Observes ShutdownEvent event,
      Bindings<NATSTriggerSpec, NatsSubscription> bindings,
      NatsSource source)
      throws Exception {
    bindings.close();
    source.close();
  }
}
