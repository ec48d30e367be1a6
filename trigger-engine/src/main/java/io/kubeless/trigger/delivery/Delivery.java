package io.kubeless.trigger.delivery;

import io.kubeless.trigger.FailureLog;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.engine.InvalidTriggerException;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.function.FunctionEndpoint;
import io.kubeless.trigger.invoke.Invoker;
import io.kubeless.trigger.invoke.Outcome;
import io.kubeless.trigger.metrics.TriggerMetrics;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Delivers the events of one binding (a trigger and one of its functions) at most once. A source
 * hands it {@link Batch}es of events it has already committed (the commit point comes before the
 * request); the batches send them in the binding's {@link Ordering}, retry only what the {@link
 * RetryPolicy} allows, and can be stopped between two events, reporting exactly which were never
 * sent so that the source can hand those back. No thread waits on a request: each request leaves
 * from the previous one's callback, and waiting for the function is a timer.
 *
 * <p>See DESIGN.md in this package.
 */
public final class Delivery {

  private static final Logger LOG = Logger.getLogger(Delivery.class);

  /**
   * How a binding delivers.
   *
   * @param ordering what order events reach the function in
   * @param maxInFlight most requests at once with {@link Ordering#KEY} or {@link Ordering#NONE}
   * @param retry which failed requests are sent again
   */
  public record Settings(Ordering ordering, int maxInFlight, RetryPolicy retry) {

    /** The default of {@code maxInFlight}. */
    public static final int DEFAULT_MAX_IN_FLIGHT = 64;

    public Settings {
      if (maxInFlight < 1) {
        throw new IllegalArgumentException("maxInFlight must be at least 1");
      }
    }

    /**
     * A trigger spec's {@code ordering} and {@code maxInFlight}, checked and defaulted.
     *
     * @throws InvalidTriggerException naming the field
     */
    public static Settings of(String ordering, Integer maxInFlight, RetryPolicy retry)
        throws InvalidTriggerException {
      if (maxInFlight != null && maxInFlight < 1) {
        throw new InvalidTriggerException(
            "spec.maxInFlight is " + maxInFlight + "; it must be at least 1");
      }
      return new Settings(
          Ordering.parse(ordering),
          maxInFlight == null ? DEFAULT_MAX_IN_FLIGHT : maxInFlight,
          retry);
    }
  }

  /** Told what the binding's batches do. */
  public interface Listener {

    /**
     * The binding starts or stops waiting for its function: a request could not leave (no ready
     * endpoint, connection refused) and waits to be retried.
     */
    void waiting(boolean waiting, String why);

    /**
     * A batch has sent every event (or ended): its ordering unit may take the next batch, which
     * waits for this one's events in their lanes.
     */
    void batchSent(Batch batch);
  }

  final TriggerEngine engine;
  final TriggerId trigger;
  final String kind;
  final String function;
  final Settings settings;
  private final TriggerMetrics.Binding metrics;
  private final Listener listener;
  final FailureLog failures;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Queue<Batch> waitingForPermit = new ConcurrentLinkedQueue<>();
  private final AtomicInteger waitingBatches = new AtomicInteger();

  /** The binding's event loop: its batches send from there (see {@link Invoker#newEventLoop}). */
  final java.util.concurrent.Executor eventLoop;

  /**
   * @param kind the trigger's kind, as log lines name it ({@code KafkaTrigger})
   * @param metrics the binding's meters; the caller closes them
   */
  public Delivery(
      TriggerEngine engine,
      String kind,
      TriggerId trigger,
      String function,
      Settings settings,
      TriggerMetrics.Binding metrics,
      Listener listener) {
    this.engine = engine;
    this.kind = kind;
    this.trigger = trigger;
    this.function = function;
    this.settings = settings;
    this.metrics = metrics;
    this.listener = listener;
    this.failures = new FailureLog(LOG, Duration.ofSeconds(10));
    this.eventLoop = engine.invoker().newEventLoop();
  }

  /**
   * A batch of already committed events of one ordering unit, in the unit's order; it starts
   * sending at {@link Batch#start()}.
   */
  public Batch batch(List<Batch.Item> items) {
    return new Batch(this, items, null);
  }

  /**
   * The next batch of the unit of {@code previous} (which may still have requests in flight): its
   * events keep their lanes' order after those of {@code previous}.
   */
  public Batch batch(List<Batch.Item> items, Batch previous) {
    Batch batch = new Batch(this, items, previous);
    if (previous != null) {
      previous.precede(batch);
    }
    return batch;
  }

  /**
   * Whether the function can take requests now: it has a ready endpoint and no batch waits for it.
   * While it cannot, a source should take nothing new from its stream (nothing committed, nothing
   * lost).
   */
  public boolean available() {
    return waitingBatches.get() == 0 && endpoint() != null;
  }

  /** Where to send now, or null while the function has no ready endpoint. */
  FunctionEndpoint endpoint() {
    return engine
        .directory()
        .find(trigger.namespace(), function)
        .filter(FunctionEndpoint::ready)
        .orElse(null);
  }

  Future<Outcome> send(FunctionEndpoint endpoint, Batch.Item item) {
    return engine.invoker().send(endpoint, item.event());
  }

  /** Counts one outcome and logs a failure (never the payload). */
  void completed(Batch.Item item, Outcome outcome) {
    metrics.invoked(outcome);
    boolean retried = settings.retry().retries(outcome);
    if (outcome.kind() != Outcome.Kind.SUCCESS && !retried) {
      failures.warn(
          "%s %s -> %s: event %s dropped: %s %s"
              .formatted(
                  kind,
                  trigger,
                  function,
                  item.event().id(),
                  outcome.kind().label(),
                  outcome.detail()));
    }
  }

  /** Takes a slot for one request; with partition ordering each batch has one, so always. */
  boolean tryAcquire() {
    if (settings.ordering() == Ordering.PARTITION) {
      return true;
    }
    while (true) {
      int now = inFlight.get();
      if (now >= settings.maxInFlight()) {
        return false;
      }
      if (inFlight.compareAndSet(now, now + 1)) {
        return true;
      }
    }
  }

  /** Gives a slot back and lets a batch that waits for one go on. */
  void release() {
    if (settings.ordering() == Ordering.PARTITION) {
      return;
    }
    inFlight.decrementAndGet();
    wakeWaiting();
  }

  /** {@code batch} found no free slot: it goes on when one is released. */
  void awaitPermit(Batch batch) {
    if (batch.awaitingPermit.compareAndSet(false, true)) {
      waitingForPermit.add(batch);
    }
    // a slot released between the failed attempt and the line above woke nobody up
    wakeWaiting();
  }

  /**
   * Lets the batches waiting for a slot go on, oldest first, while slots are free: a batch that
   * cannot use one (its events wait in their lanes) passes it on to the next.
   */
  private void wakeWaiting() {
    for (int n = waitingForPermit.size(); n > 0 && inFlight.get() < settings.maxInFlight(); n--) {
      Batch next = waitingForPermit.poll();
      if (next == null) {
        return;
      }
      next.awaitingPermit.set(false);
      next.drain();
    }
  }

  void waiting(boolean waiting, String why) {
    boolean changed =
        waiting ? waitingBatches.getAndIncrement() == 0 : waitingBatches.decrementAndGet() == 0;
    if (!changed) {
      return;
    }
    metrics.paused(waiting);
    if (waiting) {
      LOG.infof(
          "%s %s: function %s is unavailable (%s); its events wait until it is back",
          kind, trigger, function, why);
    }
    try {
      listener.waiting(waiting, why);
    } catch (RuntimeException e) {
      LOG.errorf(e, "%s %s: reporting the wait of %s failed", kind, trigger, function);
    }
  }

  void progressed(Batch batch) {
    try {
      listener.batchSent(batch);
    } catch (RuntimeException e) {
      LOG.errorf(e, "%s %s: reporting the end of a batch of %s failed", kind, trigger, function);
    }
  }

  /** The binding's rate-limited failure log, for the source's own failures. */
  public FailureLog failures() {
    return failures;
  }

  /** Requests of this binding in flight now (with key or no ordering), for tests. */
  public int inFlight() {
    return inFlight.get();
  }
}
