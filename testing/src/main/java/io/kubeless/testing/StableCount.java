package io.kubeless.testing;

import java.util.concurrent.Callable;

/**
 * An Awaitility condition, true once a function's received count did not move between two polls. A
 * source's position (a checkpoint, a committed offset) is written before its events are sent, so a
 * drained source may still be sending its last batch: count losses only once this holds. Use it
 * with a poll interval well above the function's handling time, e.g. {@code
 * await().pollInterval(Duration.ofSeconds(2)).until(new StableCount(f))}.
 */
public final class StableCount implements Callable<Boolean> {

  private final RecordingFunction function;
  private int last = -1;

  public StableCount(RecordingFunction function) {
    this.function = function;
  }

  @Override
  public Boolean call() {
    int now = function.received();
    boolean stable = now == last;
    last = now;
    return stable;
  }
}
