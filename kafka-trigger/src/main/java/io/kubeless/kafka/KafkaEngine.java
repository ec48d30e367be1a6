package io.kubeless.kafka;

import io.kubeless.api.v1beta1.KafkaTriggerSpec;
import io.kubeless.kafka.config.KafkaTriggerConfig;
import io.kubeless.kafka.config.KafkaTriggerProperties;
import io.kubeless.kafka.source.ConsumerSettings;
import io.kubeless.kafka.source.KafkaSource;
import io.kubeless.kafka.source.KafkaSubscription;
import io.kubeless.trigger.engine.Bindings;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.kubernetes.TriggerConfig;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/** Kafka as the engine's source, from the configuration; stopped gracefully on shutdown. */
@Singleton
public class KafkaEngine {

  private static final Logger LOG = Logger.getLogger(KafkaEngine.class);

  @Produces
  @Singleton
  KafkaSource source(TriggerEngine engine, KafkaTriggerConfig config) {
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
            consumer.positionsTopic().orElse("")));
  }

  void closeSource(@Disposes KafkaSource source) {
    source.close();
  }

  @Produces
  @Singleton
  Bindings<KafkaTriggerSpec, KafkaSubscription> bindings(
      TriggerEngine engine, KafkaSource source, TriggerConfig config) {
    return new Bindings<>(engine, source, config.sweepInterval());
  }

  /**
   * Before the HTTP client goes: requests in flight complete and unsent records go back to their
   * groups, so a rolling update loses nothing.
   */
  void stop(@Observes ShutdownEvent event, Bindings<KafkaTriggerSpec, KafkaSubscription> bindings)
      throws Exception {
    bindings.close();
  }
}
