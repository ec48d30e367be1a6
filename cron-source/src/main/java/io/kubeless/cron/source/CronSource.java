package io.kubeless.cron.source;

import com.fasterxml.jackson.databind.JsonNode;
import io.kubeless.api.v1beta1.CronJobTriggerSpec;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.engine.BindingWorker;
import io.kubeless.trigger.engine.FunctionSelection;
import io.kubeless.trigger.engine.InvalidTriggerException;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerSource;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Cron schedules as a trigger source: a CronJobTrigger's spec becomes a {@link CronSubscription},
 * its binding a {@link CronWorker} that fires each tick of the schedule once, on the engine's
 * scheduler, in the process that {@link FiringLeadership} says may fire. Kubernetes and local mode
 * share it; they differ only in who fires and where uids and recorded state come from ({@link
 * TriggerRecords}).
 *
 * <p>Ticks come from this source's own timer (cron-utils, the library quarkus-scheduler uses, on
 * the engine's scheduler thread) on Kubernetes too: see the module's README for why not
 * quarkus-scheduler.
 */
public final class CronSource
    implements TriggerSource<CronJobTriggerSpec, CronSubscription>, AutoCloseable {

  /**
   * Settings of the source.
   *
   * @param maxLateness a tick not fired within this of its time (the process was paused, the
   *     scheduler busy) is skipped and counted as missed rather than fired late
   * @param stopTimeout how long a stopping binding waits for the calls in flight
   */
  public record Settings(Duration maxLateness, Duration stopTimeout) {

    public static Settings defaults() {
      return new Settings(Duration.ofSeconds(10), Duration.ofSeconds(10));
    }
  }

  /**
   * Most ticks of a gap counted one by one for a cron schedule (69 days of a per-minute one): a
   * longer outage counts this many, rather than holding the timer thread.
   */
  static final long GAP_LIMIT = 100_000;

  private final TriggerEngine engine;
  private final FiringLeadership leadership;
  private final TriggerRecords records;
  private final Settings settings;
  private final Map<TriggerId, Progress> progress = new ConcurrentHashMap<>();
  private final Map<TriggerId, CronWorker> workers = new ConcurrentHashMap<>();
  private final AutoCloseable directorySubscription;

  public CronSource(
      TriggerEngine engine,
      FiringLeadership leadership,
      TriggerRecords records,
      Settings settings) {
    this.engine = engine;
    this.leadership = leadership;
    this.records = records;
    this.settings = settings;
    // a daily schedule must not wait for its next tick to report that its function went away
    this.directorySubscription =
        engine
            .directory()
            .subscribe(
                (namespace, name) ->
                    workers.values().stream()
                        .filter(w -> w.concerns(namespace, name))
                        .forEach(CronWorker::functionChanged));
  }

  @Override
  public String kind() {
    return "CronJobTrigger";
  }

  @Override
  public CronSubscription subscription(CronJobTriggerSpec spec) throws InvalidTriggerException {
    if (spec == null) {
      throw new InvalidTriggerException(
          "spec is missing; set spec.schedule and spec.function-name");
    }
    if (spec.getFunctionName() == null || spec.getFunctionName().isBlank()) {
      throw new InvalidTriggerException(
          "spec.function-name is empty; name the function the schedule invokes");
    }
    try {
      CronSchedule schedule = CronSchedule.parse(spec.getSchedule(), spec.getTimeZone());
      ConcurrencyPolicy concurrency = ConcurrencyPolicy.of(spec.getConcurrencyPolicy());
      JsonNode payload = spec.getPayload();
      return new CronSubscription(
          schedule,
          spec.getFunctionName().trim(),
          payload == null || payload.isNull() || payload.isMissingNode()
              ? null
              : payload.toString(),
          concurrency);
    } catch (IllegalArgumentException e) {
      throw new InvalidTriggerException(e.getMessage());
    }
  }

  @Override
  public FunctionSelection functions(CronSubscription subscription) {
    return FunctionSelection.named(subscription.function());
  }

  @Override
  public String describe(CronSubscription subscription) {
    return subscription.schedule().describe();
  }

  /** Two identical triggers would call the function twice per tick: only the older one fires. */
  @Override
  public Object deliveryKey(CronSubscription subscription) {
    return subscription;
  }

  @Override
  public BindingWorker start(Binding<CronSubscription> binding) {
    Progress p = progress.computeIfAbsent(binding.trigger(), id -> new Progress());
    CronWorker worker = new CronWorker(binding, engine, this, p);
    CronWorker previous = workers.put(binding.trigger(), worker);
    if (previous != null) {
      previous.stop();
    }
    worker.start();
    return worker;
  }

  @Override
  public Duration stopTimeout() {
    return settings.stopTimeout();
  }

  /**
   * The schedule of a trigger as this process fires it, for its status; empty when this process
   * does not fire it (another replica does, or it has not fired a tick since it took over).
   */
  public Optional<CronStatus> status(TriggerId trigger) {
    CronWorker worker = workers.get(trigger);
    Progress p = progress.get(trigger);
    if (worker == null || p == null || !p.firing || !leadership.mayFire()) {
      return Optional.empty();
    }
    return Optional.of(
        new CronStatus(p.lastScheduleTime, p.lastSuccessfulTime, worker.next(), p.missed.get()));
  }

  /** Forgets what this process remembers of a deleted trigger. */
  public void forget(TriggerId trigger) {
    progress.remove(trigger);
  }

  void exited(TriggerId trigger, CronWorker worker) {
    workers.remove(trigger, worker);
  }

  FiringLeadership leadership() {
    return leadership;
  }

  TriggerRecords records() {
    return records;
  }

  Settings settings() {
    return settings;
  }

  /** Stops following the function directory; close the bindings first. */
  @Override
  public void close() throws Exception {
    directorySubscription.close();
  }

  /**
   * What this process knows of a trigger's ticks; it outlives the trigger's workers (a changed spec
   * starts a new one), so that a restarted binding neither forgets nor counts twice.
   */
  static final class Progress {
    /** The last tick this process handled while firing: fired or counted as missed. */
    volatile Instant lastHandled;

    volatile Instant lastScheduleTime;
    volatile Instant lastSuccessfulTime;
    final AtomicLong missed = new AtomicLong();

    /** Whether this process fires the trigger now (it took over and handled a tick). */
    volatile boolean firing;
  }
}
