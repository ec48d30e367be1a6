package io.kubeless.kafka.source;

import io.kubeless.api.v1beta1.KafkaTriggerSpec;
import io.kubeless.trigger.coordination.BindingKey;
import io.kubeless.trigger.coordination.InMemoryShardCoordinator;
import io.kubeless.trigger.coordination.ShardCoordinator;
import io.kubeless.trigger.delivery.Delivery;
import io.kubeless.trigger.delivery.RetryPolicy;
import io.kubeless.trigger.engine.BindingWorker;
import io.kubeless.trigger.engine.FunctionSelection;
import io.kubeless.trigger.engine.InvalidTriggerException;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerSource;
import io.kubeless.trigger.function.LabelSelectors;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Kafka as a trigger source: a KafkaTrigger's spec becomes a {@link KafkaSubscription}, and each of
 * its bindings a {@link FunctionConsumer}, which claims its partitions through the {@link
 * ShardCoordinator} and commits to its own consumer group. One {@link PositionStore} serves every
 * consumer.
 */
public final class KafkaSource
    implements TriggerSource<KafkaTriggerSpec, KafkaSubscription>, AutoCloseable {

  /** Kafka's own rule for topic names. */
  private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

  private final TriggerEngine engine;
  private final ConsumerSettings settings;
  private final PositionStore positions;
  private final ShardCoordinator coordinator;
  private final boolean ownsCoordinator;

  /** The latest consumer of each binding: a changed trigger's waits for the one it replaces. */
  private final Map<BindingKey, FunctionConsumer> latest = new ConcurrentHashMap<>();

  /**
   * A source whose partitions are claimed through {@code coordinator} (Leases shared by the
   * replicas on a cluster), which its owner closes after the bindings.
   */
  public KafkaSource(
      TriggerEngine engine, ConsumerSettings settings, ShardCoordinator coordinator) {
    this(engine, settings, coordinator, false);
  }

  /** A source alone in its process: it reads every partition, its checkpoints in memory. */
  public KafkaSource(TriggerEngine engine, ConsumerSettings settings) {
    this(engine, settings, new InMemoryShardCoordinator("local", null), true);
  }

  private KafkaSource(
      TriggerEngine engine,
      ConsumerSettings settings,
      ShardCoordinator coordinator,
      boolean ownsCoordinator) {
    this.engine = engine;
    this.settings = settings;
    this.positions = new PositionStore(settings);
    this.coordinator = coordinator;
    this.ownsCoordinator = ownsCoordinator;
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
    selection(spec);
    return new KafkaSubscription(
        spec.getTopic(),
        spec.getFunctionSelector(),
        initialOffset,
        Delivery.Settings.of(spec.getOrdering(), spec.getMaxInFlight(), RetryPolicy.UNTIL_SENT));
  }

  /** The functions a KafkaTrigger selects: its {@code functionSelector}, checked. */
  public static FunctionSelection selection(KafkaTriggerSpec spec) throws InvalidTriggerException {
    try {
      LabelSelectors.validate(spec.getFunctionSelector());
    } catch (IllegalArgumentException e) {
      throw new InvalidTriggerException("spec." + e.getMessage());
    }
    return FunctionSelection.matching(spec.getFunctionSelector());
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
    BindingKey key = new BindingKey(binding.trigger(), binding.function());
    FunctionConsumer consumer;
    synchronized (latest) {
      latest.values().removeIf(FunctionConsumer::isStopped);
      consumer =
          new FunctionConsumer(binding, engine, settings, positions, coordinator, latest.get(key));
      latest.put(key, consumer);
    }
    consumer.start(engine);
    return consumer;
  }

  @Override
  public Duration stopTimeout() {
    return settings.shutdownTimeout();
  }

  /** Closes the position store (and a coordinator of its own); close the bindings first. */
  @Override
  public void close() {
    positions.close();
    if (ownsCoordinator) {
      coordinator.close();
    }
  }
}
