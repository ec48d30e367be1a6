package io.kubeless.kafka.source;

import io.kubeless.trigger.function.FunctionEndpoint;
import io.kubeless.trigger.invoke.Outcome;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * The records of one partition from one poll, already committed, sent in order to one function.
 * Each request starts when the previous one's response arrives, from the HTTP client's callback, so
 * no thread waits on a request. A batch can be stopped between two records; it then knows exactly
 * which records were never sent, so they can be handed back (committed again from the first unsent
 * one) with no risk of sending any twice.
 */
final class PartitionBatch {

  private static final Logger LOG = Logger.getLogger(PartitionBatch.class);

  /** How a batch reaches its function. */
  interface Delivery {

    /** Where to send now, or null while the function has no ready endpoint. */
    FunctionEndpoint endpoint();

    /**
     * Sends one record; the future should succeed with the outcome. Should it throw or fail, the
     * record counts as dropped (it may have left) and the batch goes on.
     */
    Future<Outcome> send(FunctionEndpoint endpoint, ConsumerRecord<byte[], byte[]> record);

    /** Counts and, for failures, logs one outcome. */
    void completed(ConsumerRecord<byte[], byte[]> record, Outcome outcome);

    /** The batch starts or stops waiting for the function to be available. */
    void waiting(boolean waiting, String why);

    /** The batch is over: sent, or stopped. */
    void done();
  }

  private static final long FIRST_BACKOFF_MILLIS = 50;
  private static final long MAX_BACKOFF_MILLIS = 5_000;

  final TopicPartition partition;

  /** Which assignment of the partition this batch belongs to (see FunctionConsumer). */
  final long assignment;

  private final List<ConsumerRecord<byte[], byte[]>> records;
  private final Delivery delivery;
  private final ScheduledExecutorService timers;
  private final ReentrantLock lock = new ReentrantLock();
  private final CountDownLatch done = new CountDownLatch(1);
  private final AtomicBoolean finished = new AtomicBoolean();
  private volatile boolean stopRequested;
  private long attempting = -1;
  private volatile long firstUnsent;
  private int index;
  private long backoff = FIRST_BACKOFF_MILLIS;
  private boolean waiting;
  private volatile ScheduledFuture<?> retry;

  PartitionBatch(
      TopicPartition partition,
      long assignment,
      List<ConsumerRecord<byte[], byte[]>> records,
      Delivery delivery,
      ScheduledExecutorService timers) {
    this.partition = partition;
    this.assignment = assignment;
    this.records = records;
    this.delivery = delivery;
    this.timers = timers;
    this.firstUnsent = records.getFirst().offset();
  }

  void start() {
    advance();
  }

  /** Sends records until one is in flight, the batch waits for its function, or it is over. */
  private void advance() {
    while (true) {
      if (index >= records.size()) {
        finish();
        return;
      }
      ConsumerRecord<byte[], byte[]> record = records.get(index);
      FunctionEndpoint endpoint = delivery.endpoint();
      if (endpoint == null) {
        retryLater("no ready endpoint");
        return;
      }
      lock.lock();
      try {
        // after stop() returned, no request starts: what is unsent stays unsent
        if (stopRequested) {
          finish();
          return;
        }
        attempting = record.offset();
      } finally {
        lock.unlock();
      }
      Future<Outcome> sent;
      try {
        sent = delivery.send(endpoint, record);
      } catch (RuntimeException e) {
        // whether it left is unknown: dropped, like any failure that may have reached the function
        sent = Future.succeededFuture(failed(e));
      }
      if (!sent.isComplete()) {
        sent.onComplete(
            result -> {
              try {
                if (handle(record, outcome(result))) {
                  advance();
                }
              } catch (RuntimeException e) {
                // a bug must not leave the partition paused for ever: the rest is dropped
                LOG.errorf(
                    e,
                    "Delivering %s stopped unexpectedly; the rest of its batch is lost",
                    partition);
                finish();
              }
            });
        return;
      }
      if (!handle(record, outcome(sent))) {
        return;
      }
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

  /** Returns whether to go on with the next record now. */
  private boolean handle(ConsumerRecord<byte[], byte[]> record, Outcome outcome) {
    try {
      delivery.completed(record, outcome);
    } catch (RuntimeException e) {
      LOG.errorf(e, "Counting the outcome of %s-%d failed", partition, record.offset());
    }
    if (!outcome.mayHaveReachedFunction()) {
      // provably never left: the only safe retry
      retryLater(outcome.detail());
      return false;
    }
    if (waiting) {
      waiting = false;
      notifyWaiting(false, "");
    }
    backoff = FIRST_BACKOFF_MILLIS;
    firstUnsent = record.offset() + 1;
    index++;
    return true;
  }

  private void notifyWaiting(boolean now, String why) {
    try {
      delivery.waiting(now, why);
    } catch (RuntimeException e) {
      LOG.errorf(e, "Reporting the wait of %s failed", partition);
    }
  }

  private void retryLater(String why) {
    if (!waiting) {
      waiting = true;
      notifyWaiting(true, why);
    }
    if (stopRequested) {
      finish();
      return;
    }
    retry = timers.schedule(this::advance, backoff, TimeUnit.MILLISECONDS);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
    if (stopRequested && retry.cancel(false)) {
      finish();
    }
  }

  private void finish() {
    if (finished.compareAndSet(false, true)) {
      if (waiting) {
        waiting = false;
        notifyWaiting(false, "");
      }
      done.countDown();
      try {
        delivery.done();
      } catch (RuntimeException e) {
        LOG.errorf(e, "Reporting the end of the batch of %s failed", partition);
      }
    }
  }

  /** No request starts after this returns; one in flight completes. */
  void stop() {
    lock.lock();
    try {
      stopRequested = true;
    } finally {
      lock.unlock();
    }
    ScheduledFuture<?> pending = retry;
    if (pending != null && pending.cancel(false)) {
      finish();
    }
  }

  boolean isDone() {
    return done.getCount() == 0;
  }

  /**
   * After {@link #stop()}: waits for the request in flight, then returns the first offset that was
   * never sent, or -1 when all were. If the request is still running after {@code millis}, it
   * counts as sent.
   */
  long awaitFirstUnsent(long millis) throws InterruptedException {
    long unsent;
    if (done.await(millis, TimeUnit.MILLISECONDS)) {
      unsent = firstUnsent;
    } else {
      lock.lock();
      try {
        unsent = Math.max(firstUnsent, attempting + 1);
      } finally {
        lock.unlock();
      }
    }
    return unsent > records.getLast().offset() ? -1 : unsent;
  }
}
