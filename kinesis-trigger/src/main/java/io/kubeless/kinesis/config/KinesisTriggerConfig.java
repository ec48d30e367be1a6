package io.kubeless.kinesis.config;

import io.kubeless.trigger.kubernetes.ShardLeaseConfig;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/**
 * Configuration of the Kinesis trigger ({@code kubeless.kinesis.*}): how shards are read, and how
 * their Leases are kept. Kubeless's Kinesis controller had no settings of its own (the AWS keys
 * come from each trigger's Secret), so no Kubeless variable maps onto it.
 */
@ConfigMapping(prefix = "kubeless.kinesis")
public interface KinesisTriggerConfig extends ShardLeaseConfig {

  /**
   * Most records one GetRecords returns (1 to 10,000), each read checkpointed before any of it is
   * sent: what a SIGKILL can lose is at most one read per shard the replica owned.
   */
  @WithDefault("1000")
  int recordsPerRead();

  /**
   * The shortest time between two GetRecords of one shard; Kinesis allows 5 reads per second per
   * shard, shared by every reader of the stream.
   */
  @WithDefault("200ms")
  Duration readInterval();

  /** How often a stream's shards are listed again, to follow resharding. */
  @WithDefault("10s")
  Duration discoveryInterval();

  /** The longest pause after Kinesis throttles a read ({@code ProvisionedThroughputExceeded}). */
  @WithDefault("5s")
  Duration throttleBackoff();

  /**
   * How long a stopping binding (a changed trigger, a rebalance, shutdown) may take to send the
   * read it already checkpointed; what is left then is dropped and counted.
   */
  @WithDefault("20s")
  Duration stopTimeout();

  /**
   * The longest pause between two rounds of a reader that took nothing: what an idle shard adds to
   * the latency of its next record. Once a second, as AWS Lambda polls a shard: a shard serves 5
   * reads a second to all its consumers together, and each read of an idle shard is a signed HTTPS
   * call, so 1,000 idle bindings cost 1,000 calls a second rather than 5,000.
   */
  @WithDefault("1s")
  Duration idleInterval();
}
