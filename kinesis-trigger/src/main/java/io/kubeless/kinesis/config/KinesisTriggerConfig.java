package io.kubeless.kinesis.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/**
 * Configuration of the Kinesis trigger ({@code kubeless.kinesis.*}): how shards are read, and how
 * their Leases are kept. Kubeless's Kinesis controller had no settings of its own (the AWS keys
 * come from each trigger's Secret), so no Kubeless variable maps onto it.
 */
@ConfigMapping(prefix = "kubeless.kinesis")
public interface KinesisTriggerConfig {

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

  /**
   * How long a shard Lease (and a replica's membership Lease) that is not renewed keeps the other
   * replicas away: after a crash, its shards wait this long for a new owner.
   */
  @WithDefault("15s")
  Duration leaseDuration();

  /** How often a replica renews its Leases; well below {@code lease-duration}. */
  @WithDefault("5s")
  Duration renewInterval();

  /**
   * The namespace of the shard and membership Leases; the controller's own (that of the status
   * Lease, {@code KUBELESS_NAMESPACE}) when unset. The controller needs rights on Leases there
   * only.
   */
  Optional<String> leaseNamespace();

  /**
   * This replica's name in the Leases and in {@code status.shards[].owner}; the status Lease's
   * identity (the pod name, {@code HOSTNAME}) when unset.
   */
  Optional<String> identity();
}
