package io.kubeless.runtime;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Fires the timeout of running invocations. One thread sweeps the running set every {@link
 * #TICK_MILLIS}: registering and removing an invocation is a hash-set add and remove, cheaper under
 * load than scheduling and cancelling a task per request.
 */
final class Watchdog {

  static final long TICK_MILLIS = 20;

  /** A running invocation's deadline and what to do when it passes. */
  static final class Watch {
    private final long deadline;
    private final Runnable onTimeout;

    private Watch(long deadline, Runnable onTimeout) {
      this.deadline = deadline;
      this.onTimeout = onTimeout;
    }
  }

  private final Set<Watch> running = ConcurrentHashMap.newKeySet();

  Watchdog() {
    Thread.ofPlatform().name("kubeless-watchdog").daemon().start(this::sweepForever);
  }

  Watch watch(long timeoutMillis, Runnable onTimeout) {
    Watch watch =
        new Watch(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis), onTimeout);
    running.add(watch);
    return watch;
  }

  void cancel(Watch watch) {
    running.remove(watch);
  }

  private void sweepForever() {
    while (true) {
      try {
        Thread.sleep(TICK_MILLIS);
        long now = System.nanoTime();
        for (Watch watch : running) {
          if (now - watch.deadline >= 0 && running.remove(watch)) {
            watch.onTimeout.run();
          }
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        Log.log("Watchdog: " + e);
      }
    }
  }
}
