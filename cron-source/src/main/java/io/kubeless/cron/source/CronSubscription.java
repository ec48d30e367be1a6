package io.kubeless.cron.source;

/**
 * A CronJobTrigger's spec, checked and defaulted: what a running binding depends on.
 *
 * @param schedule when it fires
 * @param function the function's name, in the trigger's namespace
 * @param payload the body of each request (the spec's JSON, serialised), or null for a {@code GET}
 *     without a body, as Kubeless's curl sent when there was no payload
 * @param concurrency what a tick does while the previous call still runs
 */
public record CronSubscription(
    CronSchedule schedule, String function, String payload, ConcurrencyPolicy concurrency) {}
