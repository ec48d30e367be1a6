package io.kubeless.kafka.source;

import java.time.Duration;
import java.util.Map;

/**
 * How the engine consumes.
 *
 * @param properties Kafka consumer properties shared by every consumer (brokers, security, batch
 *     size); the engine adds group id, deserializers and the start offset
 * @param defaultInitialOffset where a new group starts when the trigger does not say
 * @param commitTimeout bound of one synchronous commit
 * @param stopTimeout how long stopping waits for a request in flight
 * @param probeInterval how often topic existence and lag are checked
 */
public record ConsumerSettings(
    Map<String, Object> properties,
    String defaultInitialOffset,
    Duration commitTimeout,
    Duration stopTimeout,
    Duration probeInterval) {

  public ConsumerSettings {
    properties = Map.copyOf(properties);
  }
}
