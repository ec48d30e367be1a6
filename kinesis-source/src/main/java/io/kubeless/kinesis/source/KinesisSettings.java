package io.kubeless.kinesis.source;

import java.time.Duration;

/**
 * How the Kinesis source reads; the trigger builds it from its configuration, local mode from the
 * defaults.
 *
 * @param recordsPerRead the {@code Limit} of one GetRecords (at most 10,000): what a SIGKILL can
 *     lose is at most one read per shard the process owned
 * @param readInterval the shortest time between two GetRecords of one shard (Kinesis allows 5 per
 *     second per shard, shared by every reader of the stream)
 * @param discoveryInterval how often the stream's shards are listed again (resharding)
 * @param throttleBackoff the longest pause after {@code ProvisionedThroughputExceededException}
 * @param stopTimeout how long a stopping binding may take to send what it took
 * @param idleInterval the longest pause between two rounds that took nothing
 */
public record KinesisSettings(
    int recordsPerRead,
    Duration readInterval,
    Duration discoveryInterval,
    Duration throttleBackoff,
    Duration stopTimeout,
    Duration idleInterval) {

  public KinesisSettings {
    if (recordsPerRead < 1 || recordsPerRead > 10_000) {
      throw new IllegalArgumentException("recordsPerRead must be between 1 and 10000");
    }
  }

  public static KinesisSettings defaults() {
    return new KinesisSettings(
        1000,
        Duration.ofMillis(200),
        Duration.ofSeconds(10),
        Duration.ofSeconds(5),
        Duration.ofSeconds(20),
        Duration.ofSeconds(1));
  }
}
