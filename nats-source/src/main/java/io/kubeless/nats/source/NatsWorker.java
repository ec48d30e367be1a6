package io.kubeless.nats.source;

import io.kubeless.trigger.delivery.Batch;
import io.kubeless.trigger.engine.BindingState.Phase;
import io.kubeless.trigger.engine.SourceWorker;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerSource;
import io.kubeless.trigger.invoke.Event;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.impl.Headers;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * What both kinds of NATS binding share: the chain of batches of the binding (a NATS binding is one
 * ordering unit: with {@code key} ordering the key is the message's subject), events by the wire
 * contract with the message's headers passed through and its reply subject answered, the
 * connection's state in the binding's, and a graceful end that sends what was taken.
 */
abstract class NatsWorker extends SourceWorker {

  private static final Logger LOG = Logger.getLogger(NatsWorker.class);

  /** The header whose value becomes the event's id, when a publisher sets it. */
  static final String MSG_ID = "Nats-Msg-Id";

  /** The header of a reply carrying the function's HTTP status. */
  static final String STATUS = "Kubeless-Status";

  protected final NatsSubscription subscription;
  protected final NatsSettings settings;
  protected final NatsConnection connection;
  private final List<Batch> batches = new ArrayList<>();
  private final Runnable connectionChanged = this::connectionChanged;
  private String problem;

  NatsWorker(
      TriggerSource.Binding<NatsSubscription> binding,
      TriggerEngine engine,
      NatsSettings settings,
      NatsConnection connection,
      String starting,
      String whileUnavailable) {
    super(
        engine,
        "NATSTrigger",
        "natstriggers",
        "io.kubeless.nats.message",
        binding,
        binding.subscription().delivery(),
        starting,
        whileUnavailable,
        settings.idleInterval());
    this.subscription = binding.subscription();
    this.settings = settings;
    this.connection = connection;
    health.dropped(metrics::droppedTotal);
    connection.onChange(connectionChanged);
  }

  private void connectionChanged() {
    wake();
  }

  /**
   * Whether the binding may take its next messages: its last batch has sent every event (its lanes
   * keep their order into the next one), so at most one batch is taken and not sent.
   */
  protected boolean canTake() {
    batches.removeIf(Batch::isDone);
    return batches.isEmpty() || batches.getLast().isSent();
  }

  /** Starts sending messages already taken (and, for JetStream, acknowledged). */
  protected void deliver(
      Connection conn,
      List<Message> messages,
      Function<Message, String> fallbackId,
      Function<Message, Instant> time) {
    List<Batch.Item> items = new ArrayList<>(messages.size());
    for (Message m : messages) {
      items.add(new Batch.Item(m.getSubject(), event(conn, m, fallbackId.apply(m), time.apply(m))));
    }
    Batch previous = batches.isEmpty() ? null : batches.getLast();
    Batch batch = delivery.batch(items, previous);
    batches.add(batch);
    batch.start();
  }

  private Event event(Connection conn, Message m, String fallbackId, Instant time) {
    Map<String, List<String>> headers = headers(m.getHeaders());
    String id = first(headers, MSG_ID);
    String contentType = first(headers, "Content-Type");
    // a JetStream message's reply subject is its acknowledgement's, never a requester's
    String replyTo = m.isJetStream() ? null : m.getReplyTo();
    Event.Reply reply =
        replyTo == null || replyTo.isEmpty()
            ? null
            : (status, type, body) -> {
              Headers h = new Headers().put(STATUS, String.valueOf(status));
              if (type != null) {
                h.put("Content-Type", type);
              }
              conn.publish(replyTo, h, body);
            };
    return event(
        id == null || id.isBlank() ? fallbackId : id,
        time,
        m.getSubject(),
        contentType,
        m.getData(),
        headers,
        reply);
  }

  private static Map<String, List<String>> headers(Headers headers) {
    if (headers == null || headers.isEmpty()) {
      return Map.of();
    }
    Map<String, List<String>> map = new LinkedHashMap<>();
    for (String key : headers.keySet()) {
      map.put(key, List.copyOf(headers.get(key)));
    }
    return map;
  }

  private static String first(Map<String, List<String>> headers, String name) {
    for (var entry : headers.entrySet()) {
      if (entry.getKey().equalsIgnoreCase(name) && !entry.getValue().isEmpty()) {
        return entry.getValue().getFirst();
      }
    }
    return null;
  }

  /** The binding's state from the connection's, or {@code active} while it is connected. */
  protected void connectionState(String reason, String message) {
    String problem = connection.problem();
    if (problem != null) {
      health.source(Phase.SOURCE_UNAVAILABLE, "ServerUnavailable", problem);
    } else {
      health.source(Phase.ACTIVE, reason, message);
    }
  }

  /**
   * A round failed: the binding reports the connection's problem when it has one, else {@code why};
   * each new problem is logged once (rate-limited).
   */
  protected void unavailable(String reason, String why) {
    if (!why.equals(problem)) {
      problem = why;
      delivery.failures().warn(label + ": " + why);
    }
    String connectionProblem = connection.problem();
    health.source(
        Phase.SOURCE_UNAVAILABLE, reason, connectionProblem != null ? connectionProblem : why);
  }

  /** A round succeeded: the next problem is new again. */
  protected void recovered() {
    problem = null;
  }

  /**
   * After the loop: lets the batches send what was taken (it was taken from NATS for good), up to
   * the stop timeout; what is left then is dropped, counted and logged.
   */
  protected void finishBatches(long deadline) {
    connection.removeListener(connectionChanged);
    while (!batches.isEmpty() && System.nanoTime() - deadline < 0) {
      batches.removeIf(Batch::isDone);
      if (!batches.isEmpty()) {
        park(5);
      }
    }
    int dropped = 0;
    batches.forEach(Batch::stop);
    for (Batch batch : batches) {
      try {
        int first = batch.awaitFirstUnsent(Duration.ofSeconds(1));
        if (first >= 0) {
          dropped += batch.size() - first;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (dropped > 0) {
      metrics.dropped(dropped, "stopped");
      LOG.warnf(
          "%s: %d messages could not be sent within the stop timeout (%s); they are lost",
          label, dropped, settings.stopTimeout());
    }
    batches.clear();
  }
}
