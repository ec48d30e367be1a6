package io.kubeless.trigger.delivery;

import io.kubeless.trigger.invoke.Outcome;

/**
 * Which failed invocations are sent again. No policy retries a request that may have reached the
 * function: that would break at most once.
 */
public enum RetryPolicy {
  /**
   * Retry only what provably never left (no ready endpoint, connection refused), waiting until the
   * function is back: for sources that keep their events (Kafka, Kinesis, JetStream).
   */
  UNTIL_SENT,
  /** Never retry: an event the function could not take is counted and dropped (HTTP, cron). */
  NEVER;

  /** Whether to send the event of {@code outcome} again. */
  public boolean retries(Outcome outcome) {
    return this == UNTIL_SENT && !outcome.mayHaveReachedFunction();
  }
}
