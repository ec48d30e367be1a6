package io.kubeless.local;

import io.kubeless.api.v1beta1.KafkaTrigger;
import io.kubeless.api.v1beta1.KafkaTriggerSpec;
import io.kubeless.kafka.source.ConsumerSettings;
import io.kubeless.kafka.source.KafkaClientProperties;
import io.kubeless.kafka.source.KafkaSource;
import io.kubeless.kafka.source.KafkaSubscription;
import io.kubeless.trigger.coordination.InMemoryShardCoordinator;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerSource;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * KafkaTriggers in local mode: the brokers given ({@code --kafka-bootstrap}, {@code
 * KAFKA_BROKERS}), else an embedded broker with its data in {@code .kubeless/kafka/}, which gets
 * the triggers' topics. This one process reads every partition; the checkpoints live in {@code
 * .kubeless/kafka-checkpoints/}, so a restart, even after a kill, resumes after the last poll
 * taken.
 */
final class KafkaTriggers extends LocalTriggers<KafkaTrigger, KafkaTriggerSpec, KafkaSubscription> {

  private final String given;
  private final int port;
  private EmbeddedKafka kafka;
  private volatile String bootstrap;
  private volatile InMemoryShardCoordinator coordinator;

  /**
   * @param given brokers to use instead of the embedded one, or null
   * @param port the embedded broker's port; 0 for 9092 when free, else any
   */
  KafkaTriggers(PrintStream out, Path home, String given, int port) {
    super(out, home);
    this.given = given;
    this.port = port;
  }

  @Override
  String kind() {
    return "KafkaTrigger";
  }

  @Override
  String prefix() {
    return "kafka";
  }

  @Override
  List<KafkaTrigger> triggers(Manifests m) {
    return m.kafkaTriggers();
  }

  @Override
  KafkaTriggerSpec spec(KafkaTrigger trigger) {
    return trigger.getSpec();
  }

  @Override
  protected TriggerSource<KafkaTriggerSpec, KafkaSubscription> start(
      TriggerEngine engine, List<KafkaTrigger> triggers) throws Exception {
    String brokers = given;
    if (brokers == null || brokers.isBlank()) {
      brokers = System.getenv("KAFKA_BROKERS");
    }
    if (brokers != null && !brokers.isBlank()) {
      bootstrap = brokers.trim();
    } else {
      Path dir = home.resolve("kafka");
      out.println("starting the embedded Kafka broker (data in " + dir + ")");
      kafka = EmbeddedKafka.start(dir, port);
      bootstrap = kafka.bootstrap();
    }
    Map<String, Object> props = KafkaClientProperties.defaults();
    props.put("bootstrap.servers", bootstrap);
    ConsumerSettings settings =
        new ConsumerSettings(
            props,
            "latest",
            Duration.ofSeconds(10),
            Duration.ofSeconds(10),
            Duration.ofSeconds(10),
            Duration.ofMillis(100),
            "kubeless-trigger-positions",
            ConsumerSettings.CLAIM_INTERVAL);
    coordinator = new InMemoryShardCoordinator("local", home.resolve("kafka-checkpoints"));
    return new KafkaSource(engine, settings, coordinator);
  }

  /** The embedded broker gets the topics (a given one is the user's to set up). */
  @Override
  protected void applying(List<KafkaSubscription> subscriptions) {
    Set<String> topics = new LinkedHashSet<>();
    subscriptions.forEach(s -> topics.add(s.topic()));
    if (kafka == null || topics.isEmpty()) {
      return;
    }
    try {
      EmbeddedKafka.createTopics(bootstrap, topics);
    } catch (Exception e) {
      out.println("[kafka] creating the topics " + topics + ": " + e);
    }
  }

  @Override
  protected String serverLine() {
    return bootstrap == null
        ? null
        : "kafka " + (kafka != null ? "(embedded) " : "") + "at " + bootstrap;
  }

  @Override
  protected void state(Map<String, Object> state) {
    state.put("kafka", bootstrap);
    state.put("kafkaEmbedded", kafka != null);
  }

  @Override
  protected void stopServer() {
    InMemoryShardCoordinator c = coordinator;
    if (c != null) {
      c.close();
    }
    coordinator = null;
    quietly(kafka);
    kafka = null;
    bootstrap = null;
  }

  /** The brokers the triggers read, while they run. */
  String bootstrap() {
    return bootstrap;
  }
}
