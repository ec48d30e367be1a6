package io.kubeless.kafka.source;

import io.kubeless.api.v1beta1.KafkaTriggerSpec;
import io.kubeless.trigger.delivery.Delivery;
import io.kubeless.trigger.delivery.RetryPolicy;
import io.kubeless.trigger.engine.BindingWorker;
import io.kubeless.trigger.engine.FunctionSelection;
import io.kubeless.trigger.engine.InvalidTriggerException;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerSource;
import io.kubeless.trigger.function.LabelSelectors;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * Kafka as a trigger source: a KafkaTrigger's spec becomes a {@link KafkaSubscription}, and each of
 * its bindings a {@link FunctionConsumer} with its own consumer group. One {@link PositionStore}
 * serves every consumer.
 */
public final class KafkaSource
    implements TriggerSource<KafkaTriggerSpec, KafkaSubscription>, AutoCloseable {

  /** Kafka's own rule for topic names. */
  private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

  private final TriggerEngine engine;
  private final ConsumerSettings settings;
  private final PositionStore positions;

  public KafkaSource(TriggerEngine engine, ConsumerSettings settings) {
    this.engine = engine;
    this.settings = settings;
    this.positions = new PositionStore(settings);
  }

  @Override
  public String kind() {
    return "KafkaTrigger";
  }

  @Override
  public KafkaSubscription subscription(KafkaTriggerSpec spec) throws InvalidTriggerException {
    if (spec == null || spec.getTopic() == null || spec.getTopic().isBlank()) {
      throw new InvalidTriggerException("spec.topic is empty; name the Kafka topic to consume");
    }
    if (!TOPIC.matcher(spec.getTopic()).matches() || spec.getTopic().matches("\\.{1,2}")) {
      throw new InvalidTriggerException(
          "spec.topic '"
              + spec.getTopic()
              + "' is not a Kafka topic name (letters, digits, '.', '_', '-'; at most 249)");
    }
    String initialOffset =
        spec.getInitialOffset() == null || spec.getInitialOffset().isBlank()
            ? settings.defaultInitialOffset()
            : spec.getInitialOffset();
    if (!initialOffset.equals("latest") && !initialOffset.equals("earliest")) {
      throw new InvalidTriggerException(
          "spec.initialOffset is '" + initialOffset + "'; use latest or earliest");
    }
    try {
      LabelSelectors.validate(spec.getFunctionSelector());
    } catch (IllegalArgumentException e) {
      throw new InvalidTriggerException("spec." + e.getMessage());
    }
    return new KafkaSubscription(
        spec.getTopic(),
        spec.getFunctionSelector(),
        initialOffset,
        Delivery.Settings.of(spec.getOrdering(), spec.getMaxInFlight(), RetryPolicy.UNTIL_SENT));
  }

  @Override
  public FunctionSelection functions(KafkaSubscription subscription) {
    return FunctionSelection.matching(subscription.functionSelector());
  }

  @Override
  public String describe(KafkaSubscription subscription) {
    return "topic " + subscription.topic();
  }

  @Override
  public Object deliveryKey(KafkaSubscription subscription) {
    return subscription.topic();
  }

  @Override
  public BindingWorker start(Binding<KafkaSubscription> binding) {
    FunctionConsumer consumer = new FunctionConsumer(binding, engine, settings, positions);
    consumer.start(engine);
    return consumer;
  }

  @Override
  public Duration stopTimeout() {
    return settings.shutdownTimeout();
  }

  /** Closes the position store; close the bindings first. */
  @Override
  public void close() {
    positions.close();
  }
}
