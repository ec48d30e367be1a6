package io.kubeless.trigger.engine;

import java.time.Duration;

/** What delivers one binding's events: a consumer, a subscription, a shard reader, a schedule. */
public interface BindingWorker {

  /** What it is doing now. */
  BindingState state();

  /**
   * Asks it to stop, returning at once: it finishes what is in flight and hands back what it took
   * but did not send, so that a graceful stop loses nothing.
   */
  void stop();

  /**
   * Stops it for good: its binding no longer exists (the trigger was deleted, or the function no
   * longer matches it). It stops as {@link #stop} does, then drops what its source keeps for the
   * binding (checkpoints, leases), so nothing of it is left behind. A changed trigger, an invalid
   * spec and a shutdown stop their workers instead: what they keep is where the next one resumes.
   */
  default void retire() {
    stop();
  }

  /** Waits until it has stopped; returns whether it did in time. */
  boolean awaitStopped(Duration timeout) throws InterruptedException;

  /** Whether it has stopped, asked to or not. */
  boolean isStopped();
}
