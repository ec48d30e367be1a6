package io.kubeless.kafka.source;

import java.time.Duration;
import java.util.Map;

/**
 * How the engine consumes.
 *
 * @param properties Kafka client properties shared by every consumer (brokers, security, batch
 *     size); the engine adds group id, deserializers and the start offset
 * @param defaultInitialOffset where a new group starts when the trigger does not say
 * @param commitTimeout bound of the synchronous commit of a polled batch
 * @param stopTimeout how long stopping waits for the requests in flight
 * @param probeInterval how often topic existence and lag are checked
 * @param idlePollInterval the longest pause between two polls of an idle consumer
 * @param positionsTopic the compacted topic keeping each group's last position beyond the brokers'
 *     offset retention; empty to keep none
 * @param claimInterval how often a binding claims its partitions again (renewing its Leases, taking
 *     its share of free ones): well within the coordinator's lease duration
 */
public record ConsumerSettings(
    Map<String, Object> properties,
    String defaultInitialOffset,
    Duration commitTimeout,
    Duration stopTimeout,
    Duration probeInterval,
    Duration idlePollInterval,
    String positionsTopic,
    Duration claimInterval) {

  /** How often partitions are claimed unless configured: a Lease is renewed every 5 s. */
  public static final Duration CLAIM_INTERVAL = Duration.ofMillis(2500);

  /** Bound of a metadata request: partitions, committed and log-end offsets, topic checks. */
  public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

  /** Bound of the hand-back commit and of closing the consumer when it stops. */
  public static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

  public ConsumerSettings {
    properties = Map.copyOf(properties);
  }

  /** The longest a consumer takes to stop: requests in flight, hand-back, closing. */
  public Duration shutdownTimeout() {
    return stopTimeout.plus(CLOSE_TIMEOUT).plus(CLOSE_TIMEOUT);
  }
}
