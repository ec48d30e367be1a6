package io.kubeless.cron.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/**
 * Configuration of the cronjob trigger ({@code kubeless.cron.*}). Who fires and how often status is
 * written are the shared {@code kubeless.trigger.leader-election.*} and {@code
 * kubeless.trigger.status-interval}.
 */
@ConfigMapping(prefix = "kubeless.cron")
public interface CronTriggerConfig {

  /**
   * A tick that cannot be fired within this of its time (the process was paused, or had just become
   * the leader) is skipped and counted as missed instead of being fired late.
   */
  @WithDefault("10s")
  Duration maxLateness();

  /** How long a stopping binding waits for the calls it sent to end. */
  @WithDefault("10s")
  Duration stopTimeout();

  /**
   * Whether to delete the CronJobs Kubeless's cronjob-trigger created for a trigger this controller
   * now serves (label {@code created-by=kubeless}), so that a migrated trigger does not fire twice.
   */
  @WithDefault("true")
  boolean removeKubelessCronJobs();
}
