package io.kubeless.nats.source;

import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.engine.BindingState.Phase;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerSource;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.Message;
import io.nats.client.PullRequestOptions;
import io.nats.client.Subscription;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.support.Status;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Delivers a subject of a JetStream stream to one function, at most once, through a durable pull
 * consumer of its own ({@code <durable>_<function>}, with {@code AckPolicy.Explicit}): each round
 * asks for a batch (one pull request, no-wait), reads it to the pull's end, acknowledges every
 * message of it (the last synchronously, after the others) <b>before</b> sending any of it, and
 * hands it to the delivery. So a restart resumes after the last batch taken without redelivery, a
 * SIGKILL loses at most the one batch taken and not yet sent, and while the function is unavailable
 * nothing is fetched (the stream keeps it). Replicas share the consumer.
 *
 * <p>Nothing delivered to the binding is lost on the way: the pulls are answered on one
 * subscription that lives as long as the binding (a round that ends early leaves nothing behind to
 * be dropped), and each message is acknowledged on its own, so one that was delivered and never
 * taken (a replica that died holding it, a connection cut while it was on the way, a pull that
 * never ended) is delivered again after the ack wait instead of being acknowledged by a later
 * message's cumulative acknowledgement.
 */
final class JetStreamConsumer extends NatsWorker {

  private static final Logger LOG = Logger.getLogger(JetStreamConsumer.class);

  /** JetStream's error code for a stream that does not exist. */
  private static final int STREAM_NOT_FOUND = 10059;

  /** JetStream's error code for a consumer that does not exist. */
  private static final int CONSUMER_NOT_FOUND = 10014;

  /**
   * The shortest expiry of a pull request; a no-wait pull ends as soon as the messages that are
   * there were delivered, so this only bounds a pull the server is slow to end.
   */
  private static final long MIN_EXPIRES = 1000;

  private final NatsSubscription.JetStream jetStream;
  private final String durable;
  private Connection conn;
  private String next;
  private Subscription replies;
  private String inbox;
  private long pulls;
  private boolean reopen;

  /** Whether this binding has opened its consumer: one gone since is not created as new. */
  private boolean opened;

  private String missing;

  /**
   * Whether the stream was found missing since the consumer was last opened. A stream created since
   * holds only messages published after the binding began: a consumer created on it starts at its
   * first message whatever deliverPolicy says, as new would skip those published before the binding
   * found the stream (a KafkaTrigger reads a topic created later from its start too).
   */
  private boolean streamWasMissing;

  private final Consumer<JetStreamConsumer> onForget;

  JetStreamConsumer(
      TriggerSource.Binding<NatsSubscription> binding,
      TriggerEngine engine,
      NatsSettings settings,
      NatsConnection connection,
      Consumer<JetStreamConsumer> onForget) {
    super(
        binding,
        engine,
        settings,
        connection,
        "opening a consumer of stream " + binding.subscription().jetStream().stream(),
        "its messages wait in the stream");
    this.jetStream = subscription.jetStream();
    this.durable = durable(trigger, function, jetStream.durablePrefix());
    this.onForget = onForget;
  }

  /** The consumer's name: the prefix (by default {@code <ns>_<trigger>}) and the function. */
  static String durable(TriggerId trigger, String function, String prefix) {
    String name =
        (prefix == null ? trigger.namespace() + "_" + trigger.name() : prefix) + "_" + function;
    return name.replaceAll("[\\s.*>/\\\\]", "_");
  }

  /**
   * What {@code nats consumer info} shows of a consumer: the binding it serves, so that an operator
   * can tell a trigger's consumers from others (and which to remove) without knowing the naming.
   */
  static String description(TriggerId trigger, String function) {
    return "kubeless NATSTrigger " + trigger + " -> function " + function;
  }

  void start(TriggerEngine engine) {
    start(engine, "jetstream-" + durable);
  }

  @Override
  protected int poll() throws Exception {
    if (reopen) {
      close();
    }
    if (replies == null) {
      open();
    }
    recovered();
    missing = null;
    connectionState(
        "Consuming",
        "consuming %s of stream %s as consumer %s"
            .formatted(subscription.topic(), jetStream.stream(), durable));
    if (!available() || !canTake()) {
      return 0; // nothing fetched, nothing acknowledged: the stream keeps it
    }
    if (conn.getStatus() != Connection.Status.CONNECTED) {
      return 0; // a pull now would wait for the reconnection; the connection wakes the worker
    }
    long pulled = System.nanoTime();
    List<Message> messages = pull();
    if (messages.isEmpty()) {
      return 0;
    }
    // the commit point: every message acknowledged before any is sent; the server takes a
    // connection's acknowledgements in order, so the last one's answer covers the others
    try {
      for (int i = 0; i < messages.size() - 1; i++) {
        messages.get(i).ack();
      }
      messages.getLast().ackSync(settings.ackTimeout());
    } catch (Exception e) {
      // not acknowledged, or not known to be: send nothing; what was not acknowledged JetStream
      // delivers again after the ack wait
      delivery
          .failures()
          .warn(
              "%s: acknowledging %d messages failed (%s); none of them was sent"
                  .formatted(label, messages.size(), NatsConnection.describe(e)));
      return messages.size();
    }
    if (Duration.ofNanos(System.nanoTime() - pulled).compareTo(settings.ackWait().dividedBy(2))
        > 0) {
      // JetStream may have delivered them again meanwhile: sending them could send them twice
      metrics.dropped(messages.size(), "late_ack");
      LOG.warnf(
          "%s: the acknowledgement of %d messages came too late to be sure they are not delivered"
              + " again; they are dropped",
          label, messages.size());
      return messages.size();
    }
    long redelivered = messages.stream().filter(m -> m.metaData().deliveredCount() > 1).count();
    if (redelivered > 0) {
      LOG.debugf("%s: %d of %d messages are delivered again", label, redelivered, messages.size());
    }
    metrics.received(messages.size());
    metrics.lag(messages.getLast().metaData().pendingCount());
    deliver(
        conn,
        messages,
        m -> jetStream.stream() + "-" + m.metaData().streamSequence(),
        m -> m.metaData().timestamp().toInstant());
    return messages.size();
  }

  /**
   * One pull request for a batch, read to its end: the batch is complete, or the server ended the
   * pull (no more messages, expired, or a conflict). A pull that has not ended by its expiry (and
   * the ack timeout on top) leaves its subscription, so whatever it still brings is dropped by the
   * client and delivered again by JetStream after the ack wait; never taken half by this round and
   * half by a later one.
   */
  private List<Message> pull() throws InterruptedException {
    int batch = settings.batchSize();
    long expires = Math.max(MIN_EXPIRES, settings.fetchWait().toMillis());
    String reply = inbox + "." + (++pulls);
    conn.publish(
        next,
        reply,
        PullRequestOptions.builder(batch).expiresIn(expires).noWait().build().serialize());
    long deadline =
        System.nanoTime() + Duration.ofMillis(expires).plus(settings.ackTimeout()).toNanos();
    List<Message> messages = new ArrayList<>(batch);
    while (messages.size() < batch) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        LOG.debugf("%s: pull %s did not end in time; its subscription is renewed", label, reply);
        reopen = true;
        break;
      }
      Message m = replies.nextMessage(Duration.ofNanos(left));
      if (m == null) {
        continue;
      }
      if (m.isJetStream()) {
        messages.add(m);
      } else if (m.isStatusMessage() && reply.equals(m.getSubject()) && ended(m.getStatus())) {
        break;
      }
    }
    return messages;
  }

  /**
   * Whether a status ends the pull it answers: no messages, expired, a conflict; a consumer that is
   * gone or no JetStream at all also opens the consumer again after this round.
   */
  private boolean ended(Status status) {
    switch (status.getCode()) {
      case Status.FLOW_OR_HEARTBEAT_STATUS_CODE:
        return false;
      case Status.NOT_FOUND_CODE, Status.REQUEST_TIMEOUT_CODE:
        return true;
      case Status.CONFLICT_CODE:
        String message = status.getMessage();
        if (Status.CONSUMER_DELETED.equals(message)
            || Status.CONSUMER_IS_PUSH_BASED.equals(message)) {
          LOG.infof("%s: %s; opening consumer %s again", label, message, durable);
          reopen = true;
        }
        return true;
      default:
        LOG.debugf("%s: pull ended by status %s", label, status);
        reopen = true;
        return true;
    }
  }

  /**
   * Creates or updates the durable consumer (opened again, it is used as it is, or created at the
   * stream's new messages if it is gone), then subscribes to the answers of its pulls.
   */
  private void open() throws IOException, InterruptedException, JetStreamApiException {
    reopen = false;
    conn = connection.get();
    JetStreamManagement jsm = conn.jetStreamManagement();
    try {
      jsm.getStreamInfo(jetStream.stream());
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() == STREAM_NOT_FOUND) {
        streamWasMissing = true;
        missing =
            ("stream %s does not exist; consumption starts when it is created (e.g. kubeless"
                    + " trigger nats create-stream %s --subjects '%s')")
                .formatted(jetStream.stream(), jetStream.stream(), subscription.topic());
      }
      throw e;
    }
    DeliverPolicy start =
        jetStream.deliverAll() || streamWasMissing ? DeliverPolicy.All : DeliverPolicy.New;
    if (opened) {
      var existing = existing(jsm);
      if (existing != null) {
        keep(jsm, existing.getConsumerConfiguration());
        subscribe();
        return;
      }
    }
    if (streamWasMissing) {
      LOG.infof(
          "%s: stream %s was created after the binding began: consumer %s starts at its first"
              + " message",
          label, jetStream.stream(), durable);
    } else if (opened) {
      // gone while this binding read through it (another replica's binding ended with a retention
      // of zero, or it was deleted by hand): what it delivered was before its position, so it
      // starts again at the stream's new messages, whatever deliverPolicy says; all would send the
      // stream's retained messages a second time
      start = DeliverPolicy.New;
      LOG.infof(
          "%s: consumer %s is gone; creating it again at the stream's new messages",
          label, consumer());
    }
    ConsumerConfiguration config =
        ConsumerConfiguration.builder()
            .durable(durable)
            .description(description(trigger, function))
            .filterSubject(subscription.topic())
            .ackPolicy(AckPolicy.Explicit)
            .ackWait(settings.ackWait())
            .deliverPolicy(start)
            .maxAckPending(Math.max(1000L, 4L * settings.batchSize()))
            // no inactive threshold: a bound consumer stays however long its function is down
            // (one its binding's end gave a retention, see forget, loses it here)
            .build();
    try {
      jsm.addOrUpdateConsumer(jetStream.stream(), config);
    } catch (JetStreamApiException e) {
      var existing = existing(jsm);
      if (existing == null) {
        throw e;
      }
      // e.g. a changed deliverPolicy, which JetStream cannot update: the consumer's position
      // matters more, so it is kept as it is
      LOG.infof(
          "%s: consumer %s exists and cannot be updated (%s); using it as it is",
          label, durable, e.getErrorDescription());
      keep(jsm, existing.getConsumerConfiguration());
      if (existing.getConsumerConfiguration().getAckPolicy() != AckPolicy.Explicit) {
        LOG.warnf(
            "%s: consumer %s acknowledges with AckPolicy.%s: a message delivered to a replica that"
                + " stops before taking it can be acknowledged by a later one and lost; delete"
                + " the consumer (it is created again, with explicit acknowledgements, at the"
                + " stream's new messages unless deliverPolicy is all) to close that",
            label, durable, existing.getConsumerConfiguration().getAckPolicy());
      }
    }
    subscribe();
  }

  /** Subscribes to the answers of the consumer's pulls. */
  private void subscribe() {
    opened = true;
    streamWasMissing = false;
    next =
        JetStreamOptions.defaultOptions().getPrefix()
            + "CONSUMER.MSG.NEXT."
            + jetStream.stream()
            + "."
            + durable;
    inbox = conn.createInbox();
    replies = conn.subscribe(inbox + ".*");
    LOG.debugf("%s: consuming as %s", label, durable);
  }

  /**
   * Leaves the subscription of the pulls' answers: what it still holds or brings was not
   * acknowledged, so JetStream delivers it again after the ack wait.
   */
  private void close() {
    Subscription s = replies;
    replies = null;
    reopen = false;
    if (s != null) {
      try {
        s.unsubscribe();
      } catch (RuntimeException e) {
        LOG.debugf("%s: leaving the subscription failed: %s", label, e);
      }
    }
  }

  /**
   * Takes away the inactive threshold of a consumer used as it is, which a binding that ended gave
   * it: bound again, it must not be deleted while its function is down.
   */
  private void keep(JetStreamManagement jsm, ConsumerConfiguration existing) {
    Duration threshold = existing.getInactiveThreshold();
    if (threshold == null || threshold.isZero()) {
      return;
    }
    try {
      jsm.updateConsumer(
          jetStream.stream(),
          ConsumerConfiguration.builder(existing).inactiveThreshold(Duration.ZERO).build());
    } catch (IOException | JetStreamApiException e) {
      LOG.warnf(
          "%s: consumer %s keeps its inactive threshold of %s (%s): JetStream deletes it should it"
              + " take no message for that long",
          label, durable, threshold, e.getMessage());
    }
  }

  /**
   * The binding no longer exists (its trigger was deleted, its function is no longer selected): its
   * consumer, which would otherwise stay on the server for good, is given the consumer retention as
   * its inactive threshold, so that JetStream deletes it once nothing has used it for that long,
   * and a binding of the same name that comes back before resumes where this one stopped, as a
   * Kafka consumer group's positions do. With a retention of zero it is deleted now. Every replica
   * of the binding does the same; a failure is logged and leaves the consumer as it was.
   */
  @Override
  protected void forget() {
    try {
      retireConsumer("its binding no longer exists");
    } finally {
      onForget.accept(this);
    }
  }

  /** Whether {@code other} reads through the same consumer (stream and name) as this one. */
  boolean sameConsumer(JetStreamConsumer other) {
    return jetStream.stream().equals(other.jetStream.stream()) && durable.equals(other.durable);
  }

  /** The consumer this binding reads through, for the log: {@code <durable> of stream <s>}. */
  String consumer() {
    return durable + " of stream " + jetStream.stream();
  }

  /**
   * Gives the consumer the retention (see {@link #forget}), or deletes it with a retention of zero;
   * {@code why} says why for the log.
   */
  void retireConsumer(String why) {
    Duration retention = settings.consumerRetention();
    try {
      JetStreamManagement jsm = connection.get().jetStreamManagement();
      if (retention.isZero()) {
        jsm.deleteConsumer(jetStream.stream(), durable);
        LOG.infof("%s: consumer %s deleted: %s", label, consumer(), why);
        return;
      }
      var existing = jsm.getConsumerInfo(jetStream.stream(), durable).getConsumerConfiguration();
      jsm.updateConsumer(
          jetStream.stream(),
          ConsumerConfiguration.builder(existing).inactiveThreshold(retention).build());
      LOG.infof(
          "%s: consumer %s is deleted by JetStream once unused for %s: %s (a binding that reads"
              + " through it again before resumes from it)",
          label, consumer(), retention, why);
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() == CONSUMER_NOT_FOUND || e.getApiErrorCode() == STREAM_NOT_FOUND) {
        return; // nothing left: another replica deleted it, or the stream is gone
      }
      kept(why, e.getErrorDescription());
    } catch (IOException e) {
      kept(why, NatsConnection.describe(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void kept(String why, String problem) {
    LOG.warnf(
        "%s: consumer %s stays as it is although %s (%s); delete it with `nats consumer rm %s %s`"
            + " unless a binding reads through it again",
        label, consumer(), why, problem, jetStream.stream(), durable);
  }

  private io.nats.client.api.ConsumerInfo existing(JetStreamManagement jsm) {
    try {
      return jsm.getConsumerInfo(jetStream.stream(), durable);
    } catch (IOException | JetStreamApiException e) {
      return null;
    }
  }

  @Override
  protected void failed(Exception error) {
    close();
    if (missing != null) {
      health.source(Phase.SOURCE_MISSING, "StreamNotFound", missing);
      return;
    }
    if (error instanceof JetStreamApiException e) {
      unavailable(
          "JetStreamError",
          "JetStream refused: " + e.getErrorDescription() + " (" + e.getApiErrorCode() + ")");
    } else {
      unavailable("ServerUnavailable", NatsConnection.describe(error));
    }
  }

  @Override
  protected void finish() {
    finishBatches(System.nanoTime() + settings.stopTimeout().toNanos());
    close();
  }
}
