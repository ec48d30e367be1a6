package io.kubeless.kafka;

import io.kubeless.kafka.config.KafkaTriggerConfig;
import io.kubeless.kafka.source.ConsumerSettings;
import io.kubeless.kafka.source.KafkaClientProperties;
import io.kubeless.kafka.source.KafkaSubscriptions;
import io.kubeless.trigger.function.FunctionDirectory;
import io.kubeless.trigger.invoke.Invoker;
import io.kubeless.trigger.metrics.TriggerMetrics;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** Builds the Kafka engine from the configuration, and stops it gracefully on shutdown. */
@Singleton
public class KafkaEngine {

  @Produces
  @Singleton
  KafkaSubscriptions subscriptions(
      FunctionDirectory directory,
      Invoker invoker,
      TriggerMetrics metrics,
      KafkaTriggerConfig config) {
    var consumer = config.consumer();
    return new KafkaSubscriptions(
        directory,
        invoker,
        metrics,
        new ConsumerSettings(
            KafkaClientProperties.of(config),
            consumer.initialOffset(),
            consumer.commitTimeout(),
            consumer.stopTimeout(),
            consumer.probeInterval()));
  }

  /**
   * Before the HTTP client goes: requests in flight complete and unsent records go back to their
   * groups, so a rolling update loses nothing.
   */
  void stop(@Observes ShutdownEvent event, KafkaSubscriptions subscriptions) throws Exception {
    subscriptions.close();
  }
}
