package io.kubeless.trigger.kubernetes;

import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/**
 * How a trigger keeps its shard Leases ({@link LeaseShardCoordinator}; a shard is a Kinesis shard
 * or a Kafka partition), part of its {@code kubeless.<source>.*} configuration.
 */
public interface ShardLeaseConfig {

  /**
   * How long a replica's membership Lease that is not renewed keeps the other replicas away from
   * its shards: after a crash, its shards wait this long for a new owner. While the replica lives,
   * its shard Leases last ten times as long, and an idle one is written only when a third of that
   * has passed (a stuck reader's shards move after that).
   */
  @WithDefault("15s")
  Duration leaseDuration();

  /**
   * How often a replica renews its membership Lease, and claims its shards; well below {@code
   * lease-duration}.
   */
  @WithDefault("5s")
  Duration renewInterval();

  /**
   * The namespace of the shard and membership Leases; the controller's own (that of the status
   * Lease, {@code KUBELESS_NAMESPACE}) when unset. The controller needs rights on Leases there
   * only.
   */
  Optional<String> leaseNamespace();

  /** This replica's name in the Leases; the status Lease's identity (the pod name) when unset. */
  Optional<String> identity();

  /**
   * The coordinator's settings for {@code source} ({@code kinesis}, {@code kafka}).
   *
   * @param namespace the controller's namespace, when {@code lease-namespace} is unset
   * @param identity this replica's identity (its pod name), when {@code identity} is unset
   * @throws IllegalArgumentException when the renew interval does not fit in the lease duration, so
   *     that the application stops at start-up with a message
   */
  default LeaseShardCoordinator.Settings leases(String source, String namespace, String identity) {
    if (renewInterval().isZero()
        || renewInterval().isNegative()
        || renewInterval().compareTo(leaseDuration()) >= 0) {
      throw new IllegalArgumentException(
          "kubeless."
              + source
              + ".renew-interval ("
              + renewInterval()
              + ") must be positive and shorter than kubeless."
              + source
              + ".lease-duration ("
              + leaseDuration()
              + "), or Leases expire between two renewals");
    }
    return new LeaseShardCoordinator.Settings(
        source,
        given(leaseNamespace()).orElse(namespace),
        given(identity()).orElse(identity),
        leaseDuration(),
        renewInterval());
  }

  private static Optional<String> given(Optional<String> value) {
    return value.map(String::trim).filter(v -> !v.isEmpty());
  }
}
