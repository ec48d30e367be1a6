package io.kubeless.nats.source;

import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerSource;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Subscription;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.jboss.logging.Logger;

/**
 * Delivers a subject to one function through core NATS, as Kubeless did: one queue subscription per
 * (trigger, function) in the queue group {@code <ns>_<trigger>_<function>_<topic>}, so every bound
 * function gets each message once and the trigger's replicas share the load. Core NATS keeps
 * nothing: what arrives while the function is unavailable is dropped and counted, and so is what
 * exceeds the subscription's pending limits (a slow consumer). A graceful stop unsubscribes first
 * and then sends what it already received, so a replica leaving its group loses nothing.
 */
final class CoreSubscriber extends NatsWorker {

  private static final Logger LOG = Logger.getLogger(CoreSubscriber.class);
  private static final Duration TAKE = Duration.ofMillis(1);

  private final String queue;
  private final String idPrefix;
  private long sequence;
  private Connection conn;
  private Subscription sub;
  private long slowConsumerDrops;

  CoreSubscriber(
      TriggerSource.Binding<NatsSubscription> binding,
      TriggerEngine engine,
      NatsSettings settings,
      NatsConnection connection) {
    super(
        binding,
        engine,
        settings,
        connection,
        "subscribing to " + binding.subscription().topic(),
        "its messages are dropped and counted (core NATS keeps nothing; a JetStream stream keeps"
            + " them)");
    this.queue = queueGroup(trigger, function, subscription.topic());
    byte[] random = new byte[6];
    ThreadLocalRandom.current().nextBytes(random);
    this.idPrefix = HexFormat.of().formatHex(random);
  }

  /** Kubeless's queue group name, so a migration from Kubeless keeps its groups. */
  static String queueGroup(TriggerId trigger, String function, String topic) {
    return trigger.namespace() + "_" + trigger.name() + "_" + function + "_" + topic;
  }

  void start(TriggerEngine engine) {
    start(engine, "nats-" + queue);
  }

  @Override
  protected int poll() throws Exception {
    if (sub == null) {
      subscribe();
    }
    recovered();
    connectionState("Subscribed", "subscribed to " + subscription.topic() + " in group " + queue);
    countSlowConsumerDrops();
    if (!available()) {
      int dropped = take(Integer.MAX_VALUE, null).size();
      if (dropped > 0) {
        metrics.received(dropped);
        metrics.dropped(dropped, "function_unavailable");
      }
      return dropped;
    }
    if (!canTake()) {
      return 0;
    }
    List<Message> taken = take(settings.batchSize(), settings.fetchWait());
    if (taken.isEmpty()) {
      return 0;
    }
    metrics.received(taken.size());
    deliver(conn, taken, m -> idPrefix + "-" + ++sequence, m -> Instant.now());
    return taken.size();
  }

  private void subscribe() throws IOException, InterruptedException {
    conn = connection.get();
    Subscription s = conn.subscribe(subscription.topic(), queue);
    s.setPendingLimits(settings.pendingMessages(), settings.pendingBytes());
    try {
      // the server has the interest before the binding says it is subscribed
      conn.flush(Duration.ofSeconds(5));
    } catch (java.util.concurrent.TimeoutException e) {
      LOG.debugf("%s: flush after subscribing timed out", label);
    }
    sub = s;
    slowConsumerDrops = 0;
  }

  /**
   * Messages the subscription holds now, at most {@code max}; when it holds none, waits up to
   * {@code wait} (if given) for the first.
   */
  private List<Message> take(int max, Duration wait) throws InterruptedException {
    List<Message> taken = new ArrayList<>();
    if (wait != null && sub.getPendingMessageCount() == 0) {
      Message first = sub.nextMessage(wait);
      if (first == null) {
        return taken;
      }
      taken.add(first);
    }
    while (taken.size() < max && sub.getPendingMessageCount() > 0) {
      Message m = sub.nextMessage(TAKE);
      if (m == null) {
        break;
      }
      taken.add(m);
    }
    return taken;
  }

  /** What NATS dropped beyond the pending limits since the last look. */
  private void countSlowConsumerDrops() {
    long now = sub.getDroppedCount();
    if (now > slowConsumerDrops) {
      long dropped = now - slowConsumerDrops;
      metrics.dropped(dropped, "slow_consumer");
      delivery
          .failures()
          .warn(
              "%s: %d messages dropped beyond the pending limits (%d messages, %d bytes): the"
                  + " function is slower than the subject"
                      .formatted(
                          label, dropped, settings.pendingMessages(), settings.pendingBytes()));
    }
    slowConsumerDrops = now;
  }

  @Override
  protected void failed(Exception error) {
    if (error instanceof IllegalStateException) {
      // the subscription or the connection was closed under it: subscribe again
      sub = null;
    }
    unavailable("ServerUnavailable", NatsConnection.describe(error));
  }

  @Override
  protected void finish() {
    long deadline = System.nanoTime() + settings.stopTimeout().toNanos();
    Subscription s = sub;
    if (s != null) {
      try {
        // no new messages come to this member; those it holds are sent below
        CompletableFuture<Boolean> drained = s.drain(settings.stopTimeout());
        while (System.nanoTime() - deadline < 0) {
          if (!available()) {
            int dropped = take(Integer.MAX_VALUE, null).size();
            metrics.received(dropped);
            metrics.dropped(dropped, "function_unavailable");
          } else if (canTake()) {
            List<Message> taken = take(settings.batchSize(), null);
            if (!taken.isEmpty()) {
              metrics.received(taken.size());
              deliver(conn, taken, m -> idPrefix + "-" + ++sequence, m -> Instant.now());
              continue;
            }
          }
          if (drained.isDone() && s.getPendingMessageCount() == 0) {
            break;
          }
          park(5);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        LOG.debugf(e, "%s: draining the subscription", label);
      }
    }
    finishBatches(deadline);
    if (s != null && s.isActive()) {
      try {
        s.unsubscribe();
      } catch (RuntimeException e) {
        LOG.debugf(e, "%s: unsubscribing", label);
      }
    }
  }
}
