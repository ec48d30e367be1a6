package io.kubeless.trigger.engine;

import io.kubeless.trigger.function.FunctionDirectory;
import io.kubeless.trigger.invoke.Invoker;
import io.kubeless.trigger.metrics.TriggerMetrics;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * What every binding of a process shares: the function directory, the HTTP invoker, the metrics,
 * and the engine's one scheduler. Nothing in the engine keeps a thread pool of its own: short tasks
 * and timers (binding changes, retries, sweeps, probes) run on the scheduler's thread, and blocking
 * loops (a source's poll loop) on virtual threads from {@link #threads(String)}.
 */
public final class TriggerEngine implements AutoCloseable {

  private final FunctionDirectory directory;
  private final Invoker invoker;
  private final TriggerMetrics metrics;
  private final ScheduledThreadPoolExecutor scheduler;

  public TriggerEngine(FunctionDirectory directory, Invoker invoker, TriggerMetrics metrics) {
    this.directory = directory;
    this.invoker = invoker;
    this.metrics = metrics;
    this.scheduler =
        new ScheduledThreadPoolExecutor(
            1, r -> Thread.ofPlatform().daemon().name("trigger-engine").unstarted(r));
    scheduler.setRemoveOnCancelPolicy(true);
    scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
  }

  public FunctionDirectory directory() {
    return directory;
  }

  public Invoker invoker() {
    return invoker;
  }

  public TriggerMetrics metrics() {
    return metrics;
  }

  /** The engine's scheduler, for short tasks and timers; nothing may block on it. */
  public ScheduledExecutorService scheduler() {
    return scheduler;
  }

  /** Virtual threads named {@code <prefix>-<n>}, for blocking loops. */
  public ThreadFactory threads(String prefix) {
    return Thread.ofVirtual().name(prefix + "-", 0).factory();
  }

  /** Stops the scheduler; close the {@link Bindings} first, so that nothing is cut short. */
  @Override
  public void close() throws InterruptedException {
    scheduler.shutdown();
    if (!scheduler.awaitTermination(5, TimeUnit.SECONDS)) {
      scheduler.shutdownNow();
    }
  }
}
