package io.kubeless.kafka.source;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

/**
 * Remembers where each consumer group stood, beyond the brokers' offset retention. A group's
 * committed offsets expire once it has had no member for {@code offsets.retention.minutes}: a
 * binding coming back after that (its function relabelled back, its trigger created again or scaled
 * up again) would find no offset and start again at its {@code initialOffset}, and with {@code
 * earliest} send every retained record a second time. So each commit is also written,
 * asynchronously, to a compacted topic keyed by group and partition, and a group with no committed
 * offset for a partition resumes from there. Without permission to create or write that topic the
 * store logs once and stays empty.
 */
final class PositionStore implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(PositionStore.class);
  private static final String CLIENT_ID = "kubeless-kafka-trigger-positions";
  private static final AtomicInteger CLIENTS = new AtomicInteger();

  private final String topic;
  private final Map<String, Object> properties = new HashMap<>();
  private volatile KafkaProducer<String, String> producer;
  private boolean broken;

  PositionStore(ConsumerSettings settings) {
    this.topic = settings.positionsTopic();
    settings
        .properties()
        .forEach(
            (k, v) -> {
              if (KafkaClientProperties.shared(k)) {
                properties.put(k, v);
              }
            });
  }

  private Map<String, Object> client(String role) {
    Map<String, Object> props = new HashMap<>(properties);
    props.put(
        ConsumerConfig.CLIENT_ID_CONFIG, CLIENT_ID + "-" + role + "-" + CLIENTS.incrementAndGet());
    return props;
  }

  /** Records offsets the group has just committed; returns at once. */
  void committed(String group, Map<TopicPartition, Long> offsets) {
    if (open()) {
      offsets.forEach(
          (tp, offset) ->
              producer.send(
                  new ProducerRecord<>(topic, group + "/" + tp.partition(), Long.toString(offset)),
                  (metadata, error) -> {
                    if (error != null) {
                      LOG.debugf("Keeping the position of %s failed: %s", group, error);
                    }
                  }));
    }
  }

  /** Sends what is buffered: for a graceful stop. */
  void flush() {
    if (producer != null) {
      producer.flush();
    }
  }

  /**
   * Where the group last stood on {@code partition}, reading the whole (compacted, small) topic:
   * this is asked only for partitions a group has no committed offset for.
   */
  Optional<Long> lookup(String group, TopicPartition partition, Duration timeout) {
    if (!open()) {
      return Optional.empty();
    }
    Map<String, Object> props = client("reader");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    String key = group + "/" + partition.partition();
    TopicPartition only = new TopicPartition(topic, 0);
    String value = null;
    try (KafkaConsumer<String, String> reader = new KafkaConsumer<>(props)) {
      reader.assign(List.of(only));
      reader.seekToBeginning(List.of(only));
      long end = reader.endOffsets(List.of(only), timeout).get(only);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (reader.position(only, timeout) < end && System.nanoTime() < deadline) {
        // in the order written: a hand-back moves a position back, and must win
        for (ConsumerRecord<String, String> record : reader.poll(Duration.ofMillis(200))) {
          if (key.equals(record.key())) {
            value = record.value();
          }
        }
      }
    } catch (KafkaException e) {
      LOG.warnf("Reading %s failed (%s); %s starts without it", topic, e, group);
    }
    return Optional.ofNullable(value).map(Long::valueOf);
  }

  /** Creates the topic and the producer when first needed; false when the store is unusable. */
  private synchronized boolean open() {
    if (producer != null || topic.isBlank() || broken) {
      return producer != null;
    }
    try (Admin admin = Admin.create(client("admin"))) {
      var compacted = Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
      var created = new NewTopic(topic, Optional.of(1), Optional.empty()).configs(compacted);
      admin.createTopics(List.of(created)).all().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        return disable(e.getCause());
      }
    } catch (Exception e) {
      return disable(e);
    }
    Map<String, Object> props = client("writer");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    producer = new KafkaProducer<>(props);
    return true;
  }

  private boolean disable(Throwable cause) {
    broken = true;
    LOG.warnf(
        "The positions topic %s cannot be used (%s): bindings away for longer than the brokers'"
            + " offsets.retention.minutes start again at their initialOffset",
        topic, cause);
    return false;
  }

  @Override
  public void close() {
    if (producer != null) {
      producer.close(ConsumerSettings.CLOSE_TIMEOUT);
    }
  }
}
