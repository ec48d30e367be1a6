package io.kubeless.cron.source;

import io.kubeless.trigger.TriggerId;
import java.time.Instant;
import java.util.Optional;

/**
 * What the source needs of a trigger beyond its spec: its uid (the prefix of its event ids) and the
 * schedule state last recorded for it, from which a process that starts firing counts the ticks
 * nobody fired. On Kubernetes both come from the informer's cache (metadata.uid, status); in local
 * mode the uid comes from the YAML, or is derived from the trigger's name, and nothing is recorded.
 */
public interface TriggerRecords {

  /** The trigger's uid, or null when it is not known (then its ticks are not fired). */
  String uid(TriggerId trigger);

  /** The schedule state last recorded for the trigger (its status), if any. */
  default Optional<Recorded> recorded(TriggerId trigger) {
    return Optional.empty();
  }

  /**
   * The schedule state as last recorded.
   *
   * @param lastScheduleTime the last tick fired, or null
   * @param lastSuccessfulTime when a call last succeeded, or null
   * @param missedTicks ticks counted as missed so far
   */
  record Recorded(Instant lastScheduleTime, Instant lastSuccessfulTime, long missedTicks) {}
}
