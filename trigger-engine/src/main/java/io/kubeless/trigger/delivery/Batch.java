package io.kubeless.trigger.delivery;

import io.kubeless.trigger.function.FunctionEndpoint;
import io.kubeless.trigger.invoke.Event;
import io.kubeless.trigger.invoke.Outcome;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.jboss.logging.Logger;

/**
 * Events of one ordering unit, already committed by their source, sent to one function in the
 * binding's {@link Ordering}. Each request leaves from the previous one's callback (a drain loop,
 * so a run of requests that complete at once never deepens the stack), so no thread waits on a
 * request. A batch can be stopped: no event after the last one that may have left is sent any more,
 * the events before it that had not left yet are still sent, and {@link #awaitFirstUnsent} then
 * tells where the unsent rest starts, so the source can hand exactly that back.
 *
 * <p>A unit's next batch may start as soon as this one has sent every event ({@link #isSent()}): it
 * shares this batch's lanes, so its events still wait for this one's in their lane, but the
 * source's commit and fetch of the next batch overlap this one's last responses.
 */
public final class Batch {

  private static final Logger LOG = Logger.getLogger(Batch.class);
  private static final long FIRST_BACKOFF_MILLIS = 50;
  private static final long MAX_BACKOFF_MILLIS = 5_000;

  /**
   * One event of the batch.
   *
   * @param key the ordering key with {@link Ordering#KEY}; null: no order to keep with others
   * @param event what is sent
   */
  public record Item(String key, Event event) {}

  private enum State {
    /** Not sent yet. */
    PENDING,
    /** Sent; the function may have it. */
    IN_FLIGHT,
    /**
     * Answered, failed, or timed out: it may have reached the function, so it is never sent again.
     */
    DONE,
    /** Never left, and given up at a stop: part of what is handed back. */
    UNSENT
  }

  private final Delivery delivery;
  private final List<Item> items;
  private final State[] states;
  private final ReentrantLock lock = new ReentrantLock();
  private final AtomicInteger wip = new AtomicInteger();

  /** Whether the batch is in its delivery's queue of batches waiting for a slot. */
  final AtomicBoolean awaitingPermit = new AtomicBoolean();

  private final CountDownLatch done = new CountDownLatch(1);

  /** Lanes (keys) with an event in flight or waiting to be retried, shared along the unit. */
  private final Lanes lanes;

  /** The unit's next batch, which may wait for this one's lanes. */
  private volatile Batch successor;

  /** Events that never left and wait for the retry timer. */
  private final Set<Integer> retrying = new HashSet<>();

  /** No event before this index is pending (an event sent again moves it back). */
  private int firstPending;

  private int inFlight;
  private int highestSent = -1;
  private boolean stopRequested;
  private boolean finished;
  private boolean waiting;
  private boolean sentAll;
  private long backoff = FIRST_BACKOFF_MILLIS;
  private ScheduledFuture<?> retry;

  Batch(Delivery delivery, List<Item> items, Batch predecessor) {
    if (items.isEmpty()) {
      throw new IllegalArgumentException("a batch has at least one event");
    }
    this.delivery = delivery;
    // even a predecessor that is over: one before it may still hold lanes
    this.lanes = predecessor != null ? predecessor.lanes : new Lanes();
    this.items = List.copyOf(items);
    this.states = new State[items.size()];
    java.util.Arrays.fill(states, State.PENDING);
  }

  /** Starts sending, from the binding's event loop. */
  public void start() {
    delivery.eventLoop.execute(this::drain);
  }

  /**
   * Makes {@code next} this unit's next batch, drained whenever this one frees a lane. Called once
   * {@code next} is fully built: a batch must never be reachable before it is.
   */
  void precede(Batch next) {
    successor = next;
  }

  /**
   * Sends what may be sent now, until nothing more can go. Whoever calls it while another thread is
   * in the loop only makes that thread go round once more.
   */
  void drain() {
    if (wip.getAndIncrement() != 0) {
      return;
    }
    int missed = 1;
    do {
      try {
        Selection selection = select();
        for (int index : selection.indices()) {
          send(selection.endpoint(), index);
        }
        if (selection.needsPermit()) {
          delivery.awaitPermit(this);
        }
        if (selection.progressed()) {
          delivery.progressed(this);
        }
      } catch (RuntimeException e) {
        // a bug must not leave the unit paused for ever: what is unsent is given up
        LOG.errorf(
            e,
            "%s %s -> %s: delivering a batch failed",
            delivery.kind,
            delivery.trigger,
            delivery.function);
        giveUp();
      }
      missed = wip.addAndGet(-missed);
    } while (missed != 0);
  }

  /** What to send now, and where; and whether the batch just sent its last event or ended. */
  private record Selection(
      FunctionEndpoint endpoint, List<Integer> indices, boolean progressed, boolean needsPermit) {

    static final Selection NOTHING = new Selection(null, List.of(), false, false);
  }

  /** Under the lock: the events to send now, marked in flight; finishes the batch when over. */
  private Selection select() {
    lock.lock();
    try {
      if (finished || !retrying.isEmpty()) {
        return Selection.NOTHING;
      }
      while (firstPending < states.length && states[firstPending] != State.PENDING) {
        firstPending++;
      }
      int limit = stopRequested ? highestSent : states.length - 1;
      if (firstPending > limit) {
        boolean ended = inFlight == 0 && finish();
        boolean nowSentAll = !sentAll && (ended || allSent());
        sentAll |= nowSentAll;
        return nowSentAll ? new Selection(null, List.of(), true, false) : Selection.NOTHING;
      }
      FunctionEndpoint endpoint = delivery.endpoint();
      if (endpoint == null) {
        scheduleRetry("no ready endpoint");
        return Selection.NOTHING;
      }
      List<Integer> selected = new ArrayList<>();
      // a lane found busy stays so for this pass, even if freed meanwhile: no event overtakes one
      // of its lane that was skipped
      Set<String> skipped = new HashSet<>();
      boolean needsPermit = false;
      for (int i = firstPending; i <= limit; i++) {
        if (states[i] != State.PENDING) {
          continue;
        }
        String lane = lane(i);
        if (lane != null && (skipped.contains(lane) || !lanes.take(lane))) {
          if (delivery.settings.ordering() == Ordering.PARTITION) {
            break;
          }
          skipped.add(lane);
          continue;
        }
        if (!delivery.tryAcquire()) {
          lanes.release(lane);
          needsPermit = true;
          break;
        }
        states[i] = State.IN_FLIGHT;
        inFlight++;
        highestSent = Math.max(highestSent, i);
        selected.add(i);
      }
      boolean nowSentAll = !sentAll && allSent();
      sentAll |= nowSentAll;
      return new Selection(endpoint, selected, nowSentAll, needsPermit);
    } finally {
      lock.unlock();
    }
  }

  /** Under the lock: no event waits to be sent (in flight or answered, or given up). */
  private boolean allSent() {
    if (!retrying.isEmpty()) {
      return false;
    }
    for (int i = firstPending; i < states.length; i++) {
      if (states[i] == State.PENDING) {
        return false;
      }
    }
    return true;
  }

  /** The lane an event must keep its order in: the whole unit, its key, or none. */
  private String lane(int index) {
    return switch (delivery.settings.ordering()) {
      case PARTITION -> "";
      case KEY -> items.get(index).key();
      case NONE -> null;
    };
  }

  private void send(FunctionEndpoint endpoint, int index) {
    Item item = items.get(index);
    Future<Outcome> sent;
    try {
      sent = delivery.send(endpoint, item);
    } catch (RuntimeException e) {
      // whether it left is unknown: dropped, like any failure that may have reached the function
      sent = Future.succeededFuture(failed(e));
    }
    sent.onComplete(result -> completed(index, outcome(result)));
  }

  private void completed(int index, Outcome outcome) {
    try {
      delivery.completed(items.get(index), outcome);
    } catch (RuntimeException e) {
      LOG.errorf(e, "Counting the outcome of %s failed", items.get(index).event().id());
    }
    boolean retried = delivery.settings.retry().retries(outcome);
    boolean reachable = outcome.mayHaveReachedFunction();
    lock.lock();
    try {
      inFlight--;
      String lane = lane(index);
      if (retried && !stopRequested) {
        // provably never left: the only safe retry; its lane stays busy so nothing overtakes it.
        // A drain while it was in flight may have moved the first pending event past it.
        states[index] = State.PENDING;
        firstPending = Math.min(firstPending, index);
        retrying.add(index);
        sentAll = false;
        if (index == highestSent) {
          highestSent = highestSentBelow(index);
        }
        scheduleRetry(outcome.detail());
      } else {
        states[index] = retried ? State.UNSENT : State.DONE;
        if (retried && index == highestSent) {
          highestSent = highestSentBelow(index);
        }
        lanes.release(lane);
        if (reachable) {
          backoff = FIRST_BACKOFF_MILLIS;
          notWaiting();
        }
      }
    } finally {
      lock.unlock();
    }
    delivery.release();
    drain();
    drainSuccessor();
  }

  /** Lanes were freed: the unit's later batches may go on. */
  private void drainSuccessor() {
    for (Batch next = successor; next != null; next = next.successor) {
      next.drain();
    }
  }

  private int highestSentBelow(int index) {
    for (int i = index - 1; i >= 0; i--) {
      if (states[i] == State.IN_FLIGHT || states[i] == State.DONE) {
        return i;
      }
    }
    return -1;
  }

  /** Under the lock: waits for the function, then tries the events that never left again. */
  private void scheduleRetry(String why) {
    if (!waiting) {
      waiting = true;
      delivery.waiting(true, why);
    }
    if (retry != null) {
      return; // one is pending already
    }
    long delay = backoff;
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
    retry = delivery.engine.scheduler().schedule(this::retryNow, delay, TimeUnit.MILLISECONDS);
  }

  private void retryNow() {
    lock.lock();
    try {
      retry = null;
      releaseRetrying(State.PENDING);
    } finally {
      lock.unlock();
    }
    delivery.eventLoop.execute(
        () -> {
          drain();
          drainSuccessor();
        });
  }

  /** Under the lock: the events waiting to be retried leave their lanes, as {@code state}. */
  private void releaseRetrying(State state) {
    for (int index : retrying) {
      states[index] = state;
      lanes.release(lane(index));
    }
    retrying.clear();
  }

  private void notWaiting() {
    if (waiting) {
      waiting = false;
      delivery.waiting(false, "");
    }
  }

  /** Under the lock; returns whether the batch ended just now. */
  private boolean finish() {
    if (finished) {
      return false;
    }
    finished = true;
    notWaiting();
    done.countDown();
    return true;
  }

  private void giveUp() {
    boolean ended;
    lock.lock();
    try {
      stopRequested = true;
      for (int i = 0; i < states.length; i++) {
        if (states[i] == State.PENDING) {
          states[i] = State.UNSENT;
        }
      }
      retrying.clear();
      ended = inFlight == 0 && finish();
    } finally {
      lock.unlock();
    }
    if (ended) {
      delivery.progressed(this);
    }
  }

  /**
   * Stops the batch: after this returns no event after the last one that may have left is sent;
   * requests in flight complete, and earlier events that had not left yet are still sent (with key
   * or no ordering), so that what is unsent ends as one run at the end of the batch.
   */
  public void stop() {
    lock.lock();
    try {
      stopRequested = true;
      if (retry != null) {
        retry.cancel(false);
        retry = null;
      }
      // the function is unavailable: what waits for it is given up, to be handed back
      releaseRetrying(State.UNSENT);
    } finally {
      lock.unlock();
    }
    drain();
    drainSuccessor();
  }

  public boolean isDone() {
    return done.getCount() == 0;
  }

  /**
   * Whether every event has been sent (or given up), so the unit may take its next batch; false
   * again while an event that never left waits to be retried.
   */
  public boolean isSent() {
    lock.lock();
    try {
      return finished || allSent();
    } finally {
      lock.unlock();
    }
  }

  /** The number of events in the batch. */
  public int size() {
    return items.size();
  }

  /**
   * After {@link #stop()}: waits up to {@code timeout} for the requests in flight, then returns the
   * index of the first event of the unsent run at the end of the batch, or -1 when every event may
   * have reached the function. Requests still running then count as sent. Unsent events before that
   * run (with key or no ordering, when the wait ran out) are lost, and logged.
   */
  public int awaitFirstUnsent(Duration timeout) throws InterruptedException {
    done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    lock.lock();
    try {
      int last = -1;
      for (int i = 0; i < states.length; i++) {
        if (states[i] == State.IN_FLIGHT || states[i] == State.DONE) {
          last = i;
        }
      }
      int lost = 0;
      for (int i = 0; i < last; i++) {
        if (states[i] == State.PENDING || states[i] == State.UNSENT) {
          states[i] = State.UNSENT;
          lost++;
        }
      }
      if (lost > 0) {
        delivery.failures.warn(
            "%s %s -> %s: %d events before %s could not be sent before the stop and are lost"
                .formatted(
                    delivery.kind,
                    delivery.trigger,
                    delivery.function,
                    lost,
                    items.get(last).event().id()));
      }
      return last + 1 < states.length ? last + 1 : -1;
    } finally {
      lock.unlock();
    }
  }

  private static Outcome outcome(AsyncResult<Outcome> result) {
    if (result.succeeded() && result.result() != null) {
      return result.result();
    }
    return failed(
        result.cause() == null ? new IllegalStateException("no outcome") : result.cause());
  }

  private static Outcome failed(Throwable error) {
    return new Outcome(
        Outcome.Kind.FUNCTION_ERROR,
        0,
        Duration.ZERO,
        "not delivered: " + error.getClass().getSimpleName() + ": " + error.getMessage());
  }

  /** Which lanes of a unit are taken, by events of any of its batches. */
  private static final class Lanes {
    private final Set<String> taken = new HashSet<>();

    synchronized boolean take(String lane) {
      return taken.add(lane);
    }

    synchronized void release(String lane) {
      if (lane != null) {
        taken.remove(lane);
      }
    }
  }

  /** The event at {@code index}, for sources mapping an index back to their position. */
  public Event event(int index) {
    return items.get(index).event();
  }
}
