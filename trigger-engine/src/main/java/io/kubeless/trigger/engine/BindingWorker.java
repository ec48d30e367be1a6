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

  /** Waits until it has stopped; returns whether it did in time. */
  boolean awaitStopped(Duration timeout) throws InterruptedException;

  /** Whether it has stopped, asked to or not. */
  boolean isStopped();
}
