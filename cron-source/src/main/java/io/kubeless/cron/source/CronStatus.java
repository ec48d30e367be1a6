package io.kubeless.cron.source;

import java.time.Instant;

/**
 * A trigger's schedule as the firing process sees it, for its status.
 *
 * @param lastScheduleTime the last tick fired (a request sent), or null
 * @param lastSuccessfulTime when the function last answered a tick with success, or null
 * @param nextScheduleTime the next tick, or null when the schedule has none
 * @param missedTicks ticks not fired: function unavailable, Forbid with a call still running, too
 *     late, or nobody firing (a failover, the controller down); those recorded before this process
 *     started firing included
 */
public record CronStatus(
    Instant lastScheduleTime,
    Instant lastSuccessfulTime,
    Instant nextScheduleTime,
    long missedTicks) {}
