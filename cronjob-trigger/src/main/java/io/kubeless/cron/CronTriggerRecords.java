package io.kubeless.cron;

import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.kubeless.api.v1beta1.CronJobTrigger;
import io.kubeless.cron.source.TriggerRecords;
import io.kubeless.trigger.TriggerId;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * A trigger's uid and recorded schedule state, from the informer's cache of CronJobTriggers: what a
 * replica that becomes the leader counts the unfired ticks from.
 */
@Singleton
public class CronTriggerRecords implements TriggerRecords {

  private volatile IndexedResourceCache<CronJobTrigger> cache;

  /** The reconciler's primary cache, once its event sources are prepared. */
  void use(IndexedResourceCache<CronJobTrigger> cache) {
    this.cache = cache;
  }

  private Optional<CronJobTrigger> find(TriggerId trigger) {
    IndexedResourceCache<CronJobTrigger> primary = cache;
    return primary == null
        ? Optional.empty()
        : primary.get(new ResourceID(trigger.name(), trigger.namespace()));
  }

  @Override
  public String uid(TriggerId trigger) {
    return find(trigger).map(t -> t.getMetadata().getUid()).orElse(null);
  }

  @Override
  public Optional<Recorded> recorded(TriggerId trigger) {
    return find(trigger)
        .map(CronJobTrigger::getStatus)
        .map(
            s ->
                new Recorded(
                    instant(s.getLastScheduleTime()),
                    instant(s.getLastSuccessfulTime()),
                    s.getMissedTicks() == null ? 0 : s.getMissedTicks()));
  }

  static Instant instant(String time) {
    try {
      return time == null ? null : Instant.parse(time);
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
