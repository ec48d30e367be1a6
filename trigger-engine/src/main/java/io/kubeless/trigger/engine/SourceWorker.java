package io.kubeless.trigger.engine;

import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.delivery.Batch;
import io.kubeless.trigger.delivery.Delivery;
import io.kubeless.trigger.invoke.Event;
import io.kubeless.trigger.metrics.TriggerMetrics;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * A binding worker that reads its source in a loop on a virtual thread: the common half of a
 * source's consumer. It owns the binding's {@link Delivery}, {@link BindingHealth} and meters; the
 * source supplies one round of reading ({@link #poll()}, which must not block for long: an idle
 * worker parks between rounds, from 1 ms doubling up to the idle interval but never longer than a
 * quarter of the time since it last took something, so a steady stream is read within a few
 * milliseconds; it is woken at once when a batch is sent or it is asked to stop), what a failure
 * means ({@link #failed}), and the graceful end ({@link #finish}). A failing round is retried with
 * back-off, never ends the loop; should the thread end anyway, the engine starts a new worker.
 */
public abstract class SourceWorker implements BindingWorker {

  private static final Logger LOG = Logger.getLogger(SourceWorker.class);
  private static final long MAX_BACKOFF_MILLIS = 5_000;

  protected final TriggerId trigger;
  protected final String function;
  protected final String label;
  protected final TriggerMetrics.Binding metrics;
  protected final Delivery delivery;
  protected final BindingHealth health;
  private final String eventNamespace;
  private final String eventSource;
  private final String eventType;
  private final Duration idleInterval;
  private final Consumer<BindingWorker> onExit;
  private final Semaphore signal = new Semaphore(0);
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean running = true;
  private volatile boolean retired;

  /**
   * @param kind the trigger's kind ({@code KafkaTrigger})
   * @param plural the kind's plural ({@code kafkatriggers}): events carry {@code event-namespace:
   *     <plural>.kubeless.io} and their trigger's path as {@code ce-source}
   * @param eventType the CloudEvents type of the events, e.g. {@code io.kubeless.kafka.record}
   * @param starting the state's message while connecting
   * @param whileUnavailable what becomes of events while the function is unavailable
   * @param idleInterval the longest pause between two rounds that took nothing
   */
  protected SourceWorker(
      TriggerEngine engine,
      String kind,
      String plural,
      String eventType,
      TriggerSource.Binding<?> binding,
      Delivery.Settings settings,
      String starting,
      String whileUnavailable,
      Duration idleInterval) {
    this.trigger = binding.trigger();
    this.function = binding.function();
    this.label = kind + " " + trigger + " -> " + function;
    this.eventNamespace = plural + ".kubeless.io";
    this.eventSource =
        "/apis/kubeless.io/v1beta1/namespaces/%s/%s/%s"
            .formatted(trigger.namespace(), plural, trigger.name());
    this.eventType = eventType;
    this.idleInterval = idleInterval;
    this.onExit = binding.onExit();
    this.metrics = engine.metrics().binding(trigger.namespace(), trigger.name(), function);
    this.health =
        new BindingHealth(
            label, function, starting, whileUnavailable, this::available, binding.onStateChange());
    this.delivery =
        new Delivery(
            engine,
            kind,
            trigger,
            function,
            settings,
            metrics,
            new Delivery.Listener() {
              @Override
              public void waiting(boolean waiting, String why) {
                health.update();
              }

              @Override
              public void batchSent(Batch batch) {
                wake();
              }
            });
  }

  /** One round of reading; returns how many events it took (0: nothing, the worker parks). */
  protected abstract int poll() throws Exception;

  /** A round failed: report it (e.g. in the state) before the worker backs off and retries. */
  protected abstract void failed(Exception error);

  /** After the loop, on this thread: hand back what was taken and not sent, release the client. */
  protected abstract void finish();

  /**
   * After {@link #finish}, on this thread, when the worker was retired (its binding no longer
   * exists): drop what the source keeps for the binding, e.g. its checkpoints. A failure is logged.
   */
  protected void forget() {}

  /**
   * An event of this binding's trigger by the wire contract.
   *
   * @param id stable per event
   * @param topic the {@code event-topic} (topic, subject, stream), or null
   * @param contentType what the source declared, or null to sniff the payload
   */
  protected Event event(String id, Instant time, String topic, String contentType, byte[] payload) {
    return new Event(id, time, eventNamespace, topic, eventSource, eventType, contentType, payload);
  }

  /**
   * An event with the source's own headers, passed through to the function, and where its response
   * goes (or null).
   */
  protected Event event(
      String id,
      Instant time,
      String topic,
      String contentType,
      byte[] payload,
      java.util.Map<String, java.util.List<String>> headers,
      Event.Reply reply) {
    return new Event(
        id,
        time,
        eventNamespace,
        topic,
        eventSource,
        eventType,
        contentType,
        payload,
        headers,
        reply);
  }

  /** Starts the loop on a virtual thread of {@code engine}, named after {@code name}. */
  protected void start(TriggerEngine engine, String name) {
    engine.threads(name).newThread(this::run).start();
  }

  /** Whether the function can take events now (nothing should be taken from the source if not). */
  protected boolean available() {
    return delivery.available();
  }

  protected boolean running() {
    return running;
  }

  /** Ends a park at once. */
  protected void wake() {
    signal.release();
  }

  @Override
  public void stop() {
    running = false;
    wake();
  }

  @Override
  public void retire() {
    retired = true;
    stop();
  }

  @Override
  public boolean awaitStopped(Duration timeout) throws InterruptedException {
    return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public boolean isStopped() {
    return stopped.getCount() == 0;
  }

  @Override
  public BindingState state() {
    return health.state();
  }

  private void run() {
    try {
      long backoff = 100;
      long idle = 1;
      long lastTaken = System.nanoTime();
      while (running) {
        try {
          // woken (a batch was sent): its unit's next events come within a round trip
          if (poll() > 0) {
            idle = 1;
            lastTaken = System.nanoTime();
          } else if (park(idle)) {
            idle = 1;
          } else {
            long quiet = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastTaken) / 4;
            idle = Math.max(1, Math.min(idle * 2, Math.min(quiet, idleInterval.toMillis())));
          }
          backoff = 100;
        } catch (InterruptedException e) {
          Thread.interrupted();
        } catch (Exception e) {
          failed(e);
          park(backoff);
          backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
        }
      }
      finish();
      if (retired) {
        try {
          forget();
        } catch (RuntimeException e) {
          LOG.warnf(e, "%s: what was kept for the binding could not be dropped", label);
        }
      }
    } catch (Throwable e) {
      LOG.errorf(e, "%s: the worker stopped%s", label, running ? "; a new one will start" : "");
    } finally {
      metrics.close();
      stopped.countDown();
      try {
        onExit.accept(this);
      } catch (RuntimeException e) {
        LOG.errorf(e, "%s: reporting the end of the worker failed", label);
      }
    }
  }

  /** Waits up to {@code millis}, or until woken; returns whether it was woken. */
  protected boolean park(long millis) {
    try {
      boolean woken = signal.tryAcquire(millis, TimeUnit.MILLISECONDS);
      signal.drainPermits();
      return woken;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }
}
