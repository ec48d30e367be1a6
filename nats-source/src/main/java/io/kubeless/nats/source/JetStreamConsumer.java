package io.kubeless.nats.source;

import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.engine.BindingState.Phase;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerSource;
import io.nats.client.Connection;
import io.nats.client.ConsumerContext;
import io.nats.client.FetchConsumeOptions;
import io.nats.client.FetchConsumer;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Delivers a subject of a JetStream stream to one function, at most once, through a durable pull
 * consumer of its own ({@code <durable>_<function>}, with {@code AckPolicy.All}): each round
 * fetches a batch, acknowledges it (the last message, synchronously) <b>before</b> sending any of
 * it, and hands it to the delivery. So a restart resumes after the last batch taken without
 * redelivery, a SIGKILL loses at most the one batch taken and not yet sent, and while the function
 * is unavailable nothing is fetched (the stream keeps it). Replicas share the consumer.
 */
final class JetStreamConsumer extends NatsWorker {

  private static final Logger LOG = Logger.getLogger(JetStreamConsumer.class);

  /** JetStream's error code for a stream that does not exist. */
  private static final int STREAM_NOT_FOUND = 10059;

  /**
   * The shortest wait of a fetch the client allows; a fetch returns as soon as messages are there
   * (no-wait), so this only bounds how long an idle round waits for the first.
   */
  private static final long MIN_EXPIRES = 1000;

  private final NatsSubscription.JetStream jetStream;
  private final String durable;
  private Connection conn;
  private ConsumerContext consumer;
  private long lastAcked;
  private String missing;

  JetStreamConsumer(
      TriggerSource.Binding<NatsSubscription> binding,
      TriggerEngine engine,
      NatsSettings settings,
      NatsConnection connection) {
    super(
        binding,
        engine,
        settings,
        connection,
        "opening a consumer of stream " + binding.subscription().jetStream().stream(),
        "its messages wait in the stream");
    this.jetStream = subscription.jetStream();
    this.durable = durable(trigger, function, jetStream.durablePrefix());
  }

  /** The consumer's name: the prefix (by default {@code <ns>_<trigger>}) and the function. */
  static String durable(TriggerId trigger, String function, String prefix) {
    String name =
        (prefix == null ? trigger.namespace() + "_" + trigger.name() : prefix) + "_" + function;
    return name.replaceAll("[\\s.*>/\\\\]", "_");
  }

  void start(TriggerEngine engine) {
    start(engine, "jetstream-" + durable);
  }

  @Override
  protected int poll() throws Exception {
    if (consumer == null) {
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
    FetchConsumer fetch =
        consumer.fetch(
            FetchConsumeOptions.builder()
                .maxMessages(settings.batchSize())
                .noWaitExpiresIn(Math.max(MIN_EXPIRES, settings.fetchWait().toMillis()))
                .build());
    List<Message> messages = new ArrayList<>();
    try (fetch) {
      for (Message m = fetch.nextMessage(); m != null; m = fetch.nextMessage()) {
        if (m.isJetStream()) {
          messages.add(m);
        }
      }
    }
    if (messages.isEmpty()) {
      return 0;
    }
    long fetched = System.nanoTime();
    // the commit point: acknowledged (all of them, by the last) before any is sent
    try {
      messages.getLast().ackSync(settings.ackTimeout());
    } catch (Exception e) {
      // not acknowledged, or not known to be: send nothing; unless the acknowledgement landed,
      // JetStream delivers them again after the ack wait
      delivery
          .failures()
          .warn(
              "%s: acknowledging %d messages failed (%s); none of them was sent"
                  .formatted(label, messages.size(), NatsConnection.describe(e)));
      return messages.size();
    }
    if (Duration.ofNanos(System.nanoTime() - fetched).compareTo(settings.ackWait().dividedBy(2))
        > 0) {
      // JetStream may have delivered them again meanwhile: sending them could send them twice
      metrics.dropped(messages.size(), "late_ack");
      LOG.warnf(
          "%s: the acknowledgement of %d messages came too late to be sure they are not delivered"
              + " again; they are dropped",
          label, messages.size());
      return messages.size();
    }
    List<Message> fresh = new ArrayList<>(messages.size());
    for (Message m : messages) {
      long seq = m.metaData().streamSequence();
      if (seq > lastAcked) {
        fresh.add(m);
        lastAcked = seq;
      }
    }
    metrics.received(fresh.size());
    metrics.lag(messages.getLast().metaData().pendingCount());
    deliver(
        conn,
        fresh,
        m -> jetStream.stream() + "-" + m.metaData().streamSequence(),
        m -> m.metaData().timestamp().toInstant());
    return messages.size();
  }

  /** Creates or updates the durable consumer, then binds to it. */
  private void open() throws IOException, InterruptedException, JetStreamApiException {
    conn = connection.get();
    JetStreamManagement jsm = conn.jetStreamManagement();
    try {
      jsm.getStreamInfo(jetStream.stream());
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() == STREAM_NOT_FOUND) {
        missing =
            "stream %s does not exist; consumption starts when it is created"
                .formatted(jetStream.stream());
      }
      throw e;
    }
    ConsumerConfiguration config =
        ConsumerConfiguration.builder()
            .durable(durable)
            .filterSubject(subscription.topic())
            .ackPolicy(AckPolicy.All)
            .ackWait(settings.ackWait())
            .deliverPolicy(jetStream.deliverAll() ? DeliverPolicy.All : DeliverPolicy.New)
            .maxAckPending(Math.max(1000L, 4L * settings.batchSize()))
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
    }
    consumer = conn.getStreamContext(jetStream.stream()).getConsumerContext(durable);
    LOG.debugf("%s: consuming as %s", label, durable);
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
    if (error instanceof IllegalStateException) {
      consumer = null;
    }
    if (missing != null) {
      health.source(Phase.SOURCE_MISSING, "StreamNotFound", missing);
      consumer = null;
      return;
    }
    if (error instanceof JetStreamApiException e) {
      consumer = null;
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
  }
}
