package io.kubeless.kinesis.config;

import io.kubeless.kinesis.source.KinesisSettings;
import io.kubeless.trigger.kubernetes.LeaseShardCoordinator;

/** Turns the trigger's configuration into the Kinesis source's and the Leases' settings. */
public final class KinesisTriggerSettings {

  private KinesisTriggerSettings() {}

  /**
   * How the source reads.
   *
   * @throws IllegalArgumentException when {@code records-per-read} is not between 1 and 10,000, so
   *     that the application stops at start-up with a message
   */
  public static KinesisSettings of(KinesisTriggerConfig config) {
    try {
      return new KinesisSettings(
          config.recordsPerRead(),
          config.readInterval(),
          config.discoveryInterval(),
          config.throttleBackoff(),
          config.stopTimeout(),
          config.idleInterval());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "kubeless.kinesis.records-per-read is "
              + config.recordsPerRead()
              + "; it must be between 1 and 10000 (the most one GetRecords returns)",
          e);
    }
  }

  /**
   * Where and how the shard Leases are kept.
   *
   * @param namespace the controller's namespace, when {@code lease-namespace} is unset
   * @param identity this replica's identity (its pod name), when {@code identity} is unset
   * @throws IllegalArgumentException when the renew interval does not fit in the lease duration
   */
  public static LeaseShardCoordinator.Settings leases(
      KinesisTriggerConfig config, String namespace, String identity) {
    return config.leases("kinesis", namespace, identity);
  }
}
