package io.kubeless.nats.source;

import io.kubeless.api.v1beta1.NATSTriggerSpec;
import io.kubeless.trigger.coordination.BindingKey;
import io.kubeless.trigger.delivery.Delivery;
import io.kubeless.trigger.delivery.Ordering;
import io.kubeless.trigger.delivery.RetryPolicy;
import io.kubeless.trigger.engine.BindingWorker;
import io.kubeless.trigger.engine.FunctionSelection;
import io.kubeless.trigger.engine.InvalidTriggerException;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerSource;
import io.kubeless.trigger.function.LabelSelectors;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * NATS as a trigger source: a NATSTrigger's spec becomes a {@link NatsSubscription}; each binding a
 * {@link CoreSubscriber} (a queue subscription named as Kubeless named it) or, with {@code stream},
 * a {@link JetStreamConsumer} (a durable pull consumer that acknowledges before it invokes). One
 * {@link NatsConnection} serves every binding.
 */
public final class NatsSource
    implements TriggerSource<NATSTriggerSpec, NatsSubscription>, AutoCloseable {

  private static final Logger LOG = Logger.getLogger(NatsSource.class);

  /** A stream's or consumer's name: no whitespace, no '.', '*', '>', no path separators. */
  private static final Pattern NAME = Pattern.compile("[^\\s.*>/\\\\]{1,255}");

  private final TriggerEngine engine;
  private final NatsSettings settings;
  private final NatsConnection connection;

  /**
   * The JetStream consumer each binding last started, so that one its trigger moved away from is
   * retired; a binding's entry goes with its end.
   */
  private final Map<BindingKey, JetStreamConsumer> consumers = new HashMap<>();

  public NatsSource(TriggerEngine engine, NatsSettings settings) {
    this.engine = engine;
    this.settings = settings;
    this.connection = new NatsConnection(settings.server());
  }

  @Override
  public String kind() {
    return "NATSTrigger";
  }

  @Override
  public NatsSubscription subscription(NATSTriggerSpec spec) throws InvalidTriggerException {
    if (spec == null || spec.getTopic() == null || spec.getTopic().isBlank()) {
      throw new InvalidTriggerException(
          "spec.topic is empty; name the NATS subject to subscribe to");
    }
    String subjectProblem = subjectProblem(spec.getTopic());
    if (subjectProblem != null) {
      throw new InvalidTriggerException(
          "spec.topic '" + spec.getTopic() + "' is not a NATS subject: " + subjectProblem);
    }
    try {
      LabelSelectors.validate(spec.getFunctionSelector());
    } catch (IllegalArgumentException e) {
      throw new InvalidTriggerException("spec." + e.getMessage());
    }
    NatsSubscription.JetStream jetStream = null;
    if (spec.getStream() != null && !spec.getStream().isBlank()) {
      if (!NAME.matcher(spec.getStream()).matches()) {
        throw new InvalidTriggerException(
            "spec.stream '"
                + spec.getStream()
                + "' is not a JetStream stream name"
                + " (no whitespace, '.', '*', '>' or path separators)");
      }
      String durable = spec.getDurable();
      if (durable != null && !durable.isBlank() && !NAME.matcher(durable).matches()) {
        throw new InvalidTriggerException(
            "spec.durable '"
                + durable
                + "' is not a JetStream consumer name"
                + " (no whitespace, '.', '*', '>' or path separators)");
      }
      String policy = spec.getDeliverPolicy() == null ? "new" : spec.getDeliverPolicy();
      if (!policy.equals("new") && !policy.equals("all")) {
        throw new InvalidTriggerException("spec.deliverPolicy is '" + policy + "'; use new or all");
      }
      jetStream =
          new NatsSubscription.JetStream(
              spec.getStream(),
              durable == null || durable.isBlank() ? null : durable,
              policy.equals("all"));
    } else if (spec.getDurable() != null || spec.getDeliverPolicy() != null) {
      throw new InvalidTriggerException(
          "spec.durable and spec.deliverPolicy apply to JetStream only; set spec.stream too");
    }
    String ordering = spec.getOrdering() == null ? Ordering.KEY.label() : spec.getOrdering();
    return new NatsSubscription(
        spec.getTopic(),
        spec.getFunctionSelector(),
        jetStream,
        Delivery.Settings.of(ordering, spec.getMaxInFlight(), RetryPolicy.UNTIL_SENT));
  }

  /** Why {@code subject} is not a subject one may subscribe to, or null. */
  static String subjectProblem(String subject) {
    if (subject.chars().anyMatch(c -> Character.isWhitespace(c) || c < 0x20)) {
      return "it contains whitespace";
    }
    String[] tokens = subject.split("\\.", -1);
    for (int i = 0; i < tokens.length; i++) {
      String token = tokens[i];
      if (token.isEmpty()) {
        return "it has an empty token (a leading, trailing or double '.')";
      }
      if (token.contains(">") && (!token.equals(">") || i != tokens.length - 1)) {
        return "'>' must be a whole token, and the last one";
      }
      if (token.contains("*") && !token.equals("*")) {
        return "'*' must be a whole token";
      }
    }
    return null;
  }

  @Override
  public FunctionSelection functions(NatsSubscription subscription) {
    return FunctionSelection.matching(subscription.functionSelector());
  }

  @Override
  public String describe(NatsSubscription subscription) {
    return subscription.jetStream() == null
        ? "subject " + subscription.topic()
        : "subject " + subscription.topic() + " of stream " + subscription.jetStream().stream();
  }

  @Override
  public Object deliveryKey(NatsSubscription subscription) {
    return subscription.jetStream() == null
        ? "core:" + subscription.topic()
        : "jetstream:" + subscription.jetStream().stream() + ":" + subscription.topic();
  }

  @Override
  public BindingWorker start(Binding<NatsSubscription> binding) {
    BindingKey key = new BindingKey(binding.trigger(), binding.function());
    if (binding.subscription().jetStream() == null) {
      CoreSubscriber subscriber = new CoreSubscriber(binding, engine, settings, connection);
      retireIfMoved(replaced(key, null), null);
      subscriber.start(engine);
      return subscriber;
    }
    JetStreamConsumer consumer =
        new JetStreamConsumer(
            binding,
            engine,
            settings,
            connection,
            forgotten -> {
              synchronized (consumers) {
                consumers.remove(key, forgotten);
              }
            });
    retireIfMoved(replaced(key, consumer), consumer);
    consumer.start(engine);
    return consumer;
  }

  /** Records the binding's consumer (null: none, it reads core NATS); returns the one before. */
  private JetStreamConsumer replaced(BindingKey key, JetStreamConsumer consumer) {
    synchronized (consumers) {
      return consumer == null ? consumers.remove(key) : consumers.put(key, consumer);
    }
  }

  /**
   * A binding whose trigger changed its stream or consumer name (or left JetStream) reads through
   * another consumer now: the one before is retired as the binding's end retires it (see {@link
   * JetStreamConsumer#forget}), once its reader has stopped, which the engine does right after this
   * start. Its position is dropped only by the retention: a trigger changed back before resumes
   * from it.
   */
  private void retireIfMoved(JetStreamConsumer before, JetStreamConsumer now) {
    if (before == null || (now != null && before.sameConsumer(now))) {
      return;
    }
    String why =
        now == null
            ? "its trigger reads core NATS now"
            : "its trigger reads through consumer " + now.consumer() + " now";
    engine
        .threads("jetstream-retire")
        .newThread(
            () -> {
              try {
                if (before.awaitStopped(stopTimeout())) {
                  before.retireConsumer(why);
                } else {
                  LOG.warnf(
                      "consumer %s stays as it is although %s: its reader did not stop within"
                          + " %s",
                      before.consumer(), why, stopTimeout());
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            })
        .start();
  }

  @Override
  public Duration stopTimeout() {
    return settings.stopTimeout().plusSeconds(2);
  }

  /** Closes the connection; close the bindings first. */
  @Override
  public void close() throws InterruptedException {
    connection.close();
  }
}
