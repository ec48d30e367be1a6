package io.kubeless.cron.source;

import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.engine.BindingHealth;
import io.kubeless.trigger.engine.BindingState;
import io.kubeless.trigger.engine.BindingWorker;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerSource;
import io.kubeless.trigger.function.FunctionEndpoint;
import io.kubeless.trigger.invoke.Event;
import io.kubeless.trigger.invoke.Outcome;
import io.kubeless.trigger.metrics.TriggerMetrics;
import io.vertx.core.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Fires one binding's ticks. A timer on the engine's scheduler wakes it at each tick; the tick is
 * fired (one request, never retried) only if this process may fire now, the function has a ready
 * endpoint, the policy allows it and it is not too late; otherwise it is counted as missed. A tick
 * is never fired after its time has passed by more than {@code maxLateness}, and never twice: the
 * event id is {@code <trigger uid>-<tick epoch seconds>}.
 *
 * <p>When this process starts firing (at start, or when it gains the Lease), it fires only ticks
 * from then on and counts those since the last one recorded (its own, or the status written by the
 * previous leader) as missed: no catch-up, so no tick is fired twice across a failover.
 */
final class CronWorker implements BindingWorker {

  private static final Logger LOG = Logger.getLogger(CronWorker.class);
  static final String PLURAL = "cronjobtriggers";
  static final String EVENT_TYPE = "io.kubeless.cron.tick";

  /** Reasons of {@code kubeless_trigger_events_dropped_total}. */
  static final String FUNCTION_UNAVAILABLE = "function_unavailable";

  static final String CONCURRENCY_FORBID = "concurrency_forbid";
  static final String LATE = "late";
  static final String NOT_FIRED = "not_fired";

  private final TriggerId trigger;
  private final String function;
  private final CronSubscription subscription;
  private final TriggerEngine engine;
  private final CronSource source;
  private final CronSource.Progress progress;
  private final TriggerSource.Binding<CronSubscription> binding;
  private final TriggerMetrics.Binding metrics;
  private final BindingHealth health;
  private final String label;
  private final String eventSource;
  private final byte[] payload;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean stopping;
  private volatile Instant next;
  private volatile ScheduledFuture<?> timer;
  // only touched by the tick task, which runs on the engine's single scheduler thread (handing
  // ticks to Vert.x event loops instead measured no better: bench/cron/README.md)
  private boolean leading;

  CronWorker(
      TriggerSource.Binding<CronSubscription> binding,
      TriggerEngine engine,
      CronSource source,
      CronSource.Progress progress) {
    this.binding = binding;
    this.trigger = binding.trigger();
    this.function = binding.function();
    this.subscription = binding.subscription();
    this.engine = engine;
    this.source = source;
    this.progress = progress;
    this.label = "CronJobTrigger " + trigger + " -> " + function;
    this.eventSource =
        "/apis/kubeless.io/v1beta1/namespaces/%s/%s/%s"
            .formatted(trigger.namespace(), PLURAL, trigger.name());
    this.payload =
        subscription.payload() == null
            ? null
            : subscription.payload().getBytes(StandardCharsets.UTF_8);
    this.metrics = engine.metrics().binding(trigger.namespace(), trigger.name(), function);
    this.health =
        new BindingHealth(
            label,
            function,
            "scheduling",
            "its ticks are skipped and counted as missed",
            this::available,
            binding.onStateChange());
    health.dropped(metrics::droppedTotal);
  }

  void start() {
    health.source(BindingState.Phase.ACTIVE, "Scheduled", subscription.schedule().describe());
    arm(subscription.schedule().next(Instant.now()));
  }

  /** The next tick, or null when the schedule has no more. */
  Instant next() {
    return next;
  }

  boolean concerns(String namespace, String name) {
    return trigger.namespace().equals(namespace) && function.equals(name);
  }

  void functionChanged() {
    health.update();
  }

  private Optional<FunctionEndpoint> endpoint() {
    return engine.directory().find(trigger.namespace(), function);
  }

  private boolean available() {
    return endpoint().map(FunctionEndpoint::ready).orElse(false);
  }

  private void arm(Instant tick) {
    next = tick;
    if (stopping) {
      return;
    }
    if (tick == null) {
      health.source(
          BindingState.Phase.SOURCE_MISSING,
          "NoMoreTicks",
          subscription.schedule().describe() + " has no future tick");
      return;
    }
    long delay = Math.max(0, Duration.between(Instant.now(), tick).toNanos());
    try {
      timer = engine.scheduler().schedule(() -> tick(tick), delay, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      LOG.debugf("%s: the engine is stopped", label);
    }
  }

  private void tick(Instant tick) {
    if (stopping) {
      return;
    }
    Instant following = null;
    try {
      handle(tick);
      following = following(tick);
    } catch (RuntimeException e) {
      LOG.errorf(e, "%s: handling the tick of %s failed", label, tick);
      following = subscription.schedule().next(Instant.now());
    } finally {
      arm(following);
    }
  }

  /**
   * The tick after {@code tick}; when the process fell behind by more than the lateness bound
   * (paused, overloaded), the ticks it can no longer fire on time are counted, not fired.
   */
  private Instant following(Instant tick) {
    CronSchedule schedule = subscription.schedule();
    Instant following = schedule.next(tick);
    Instant oldest = Instant.now().minus(source.settings().maxLateness());
    if (following != null && following.isBefore(oldest)) {
      Instant resume = schedule.next(oldest);
      long late = 1 + schedule.ticksBetween(following, resume, CronSource.GAP_LIMIT);
      if (leading && source.leadership().mayFire()) {
        missed(late, LATE);
        // every tick before 'resume' is handled now: counted
        progress.lastHandled =
            latest(progress.lastHandled, resume == null ? Instant.now() : resume.minusMillis(1));
        LOG.warnf("%s: %d tick(s) from %s are too late to fire; skipped", label, late, following);
      }
      following = resume;
    }
    return following;
  }

  private void handle(Instant tick) {
    if (!source.leadership().mayFire()) {
      if (leading) {
        leading = false;
        progress.firing = false;
        LOG.infof("%s: another replica fires the ticks now", label);
      }
      return;
    }
    if (!leading) {
      takeOver(tick);
    }
    health.update();
    metrics.received(1);
    progress.lastHandled = tick;
    Optional<FunctionEndpoint> endpoint = endpoint().filter(FunctionEndpoint::ready);
    if (endpoint.isEmpty()) {
      missed(1, FUNCTION_UNAVAILABLE);
      LOG.debugf("%s: tick %s skipped, the function has no ready endpoint", label, tick);
      return;
    }
    if (subscription.concurrency() == ConcurrencyPolicy.FORBID && inFlight.get() > 0) {
      missed(1, CONCURRENCY_FORBID);
      LOG.debugf("%s: tick %s skipped, the previous call still runs (Forbid)", label, tick);
      return;
    }
    if (Instant.now().isAfter(tick.plus(source.settings().maxLateness()))) {
      missed(1, LATE);
      return;
    }
    String uid = source.records().uid(trigger);
    if (uid == null) {
      missed(1, NOT_FIRED);
      LOG.warnf("%s: the trigger's uid is unknown; tick %s skipped", label, tick);
      return;
    }
    fire(endpoint.get(), tick, uid);
  }

  /**
   * This process starts firing: the ticks since the last one recorded were fired by nobody (or by
   * the previous leader after its last status write: then the count is an upper bound).
   */
  private void takeOver(Instant tick) {
    leading = true;
    TriggerRecords.Recorded recorded = source.records().recorded(trigger).orElse(null);
    Instant last = progress.lastHandled;
    if (recorded != null) {
      last = latest(last, recorded.lastScheduleTime());
      progress.missed.accumulateAndGet(recorded.missedTicks(), Math::max);
      progress.lastScheduleTime = latest(progress.lastScheduleTime, recorded.lastScheduleTime());
      progress.lastSuccessfulTime =
          latest(progress.lastSuccessfulTime, recorded.lastSuccessfulTime());
    }
    long gap =
        last == null ? 0 : subscription.schedule().ticksBetween(last, tick, CronSource.GAP_LIMIT);
    if (gap > 0) {
      missed(gap, NOT_FIRED);
      LOG.infof(
          "%s: firing from %s on; %d tick(s) since %s were not fired and count as missed",
          label, tick, gap, last);
    } else {
      LOG.infof("%s: firing from %s on", label, tick);
    }
    progress.firing = true;
  }

  private void fire(FunctionEndpoint endpoint, Instant tick, String uid) {
    Event event =
        new Event(
            uid + "-" + tick.getEpochSecond(),
            tick,
            PLURAL + ".kubeless.io",
            null,
            eventSource,
            EVENT_TYPE,
            payload == null ? null : "application/json",
            payload);
    inFlight.incrementAndGet();
    progress.lastScheduleTime = tick;
    CompletionStage<Outcome> sent =
        engine
            .invoker()
            .send(endpoint, event, payload == null ? HttpMethod.GET : HttpMethod.POST)
            .toCompletionStage();
    sent.whenComplete(
        (outcome, error) -> {
          try {
            if (outcome == null) {
              LOG.errorf(error, "%s: tick %s: sending failed", label, tick);
              return;
            }
            metrics.invoked(outcome);
            switch (outcome.kind()) {
              case SUCCESS ->
                  progress.lastSuccessfulTime = latest(progress.lastSuccessfulTime, Instant.now());
              case UNAVAILABLE -> {
                // it never left: the tick is missed, not retried
                missed(1, FUNCTION_UNAVAILABLE);
                health.update();
              }
              default ->
                  LOG.infof(
                      "%s: tick %s: the call failed (%s), not retried",
                      label, tick, outcome.detail());
            }
          } finally {
            if (inFlight.decrementAndGet() == 0 && stopping) {
              finish();
            }
          }
        });
  }

  private void missed(long count, String reason) {
    progress.missed.addAndGet(count);
    metrics.dropped(count, reason);
  }

  private static Instant latest(Instant a, Instant b) {
    if (a == null) {
      return b;
    }
    return b == null || a.isAfter(b) ? a : b;
  }

  @Override
  public BindingState state() {
    return health.state();
  }

  @Override
  public void stop() {
    if (stopping) {
      return;
    }
    stopping = true;
    ScheduledFuture<?> t = timer;
    if (t != null) {
      t.cancel(false);
    }
    if (inFlight.get() == 0) {
      finish();
    }
  }

  private void finish() {
    if (stopped.getCount() == 0) {
      return;
    }
    synchronized (this) {
      if (stopped.getCount() == 0) {
        return;
      }
      metrics.close();
      source.exited(trigger, this);
      stopped.countDown();
    }
    binding.onExit().accept(this);
  }

  @Override
  public boolean awaitStopped(Duration timeout) throws InterruptedException {
    return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public boolean isStopped() {
    return stopped.getCount() == 0;
  }
}
