package io.kubeless.console;

import io.nats.client.Connection;
import io.nats.client.Nats;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Test messages to the cluster's Kafka or NATS, and a look at a Kafka topic's latest messages: one
 * short-lived client per request, so nothing stays open between them. Without the broker
 * configured, a 409 says which property to set.
 */
final class Messages {

  private final Optional<String> kafka;
  private final Optional<String> nats;

  Messages(Optional<String> kafka, Optional<String> nats) {
    this.kafka = kafka.filter(s -> !s.isBlank());
    this.nats = nats.filter(s -> !s.isBlank());
  }

  Map<String, Object> publish(String system, String topic, byte[] body) {
    if (topic.isBlank() || topic.chars().anyMatch(c -> c <= ' ')) {
      throw new ApiError(400, "\"%s\" is not a topic or subject".formatted(topic));
    }
    try {
      return send(system, topic, body);
    } catch (ApiError e) {
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiError(502, "not published: interrupted");
    } catch (Exception e) {
      throw new ApiError(502, "not published: " + e.getMessage());
    }
  }

  private Map<String, Object> send(String system, String topic, byte[] body) throws Exception {
    return switch (system) {
      case "kafka" -> {
        String brokers = kafkaBrokers();
        try (KafkaProducer<byte[], byte[]> producer =
            new KafkaProducer<>(
                kafkaProps(brokers), new ByteArraySerializer(), new ByteArraySerializer())) {
          RecordMetadata m =
              producer.send(new ProducerRecord<>(topic, body)).get(20, TimeUnit.SECONDS);
          Map<String, Object> out = new LinkedHashMap<>();
          out.put("topic", m.topic());
          out.put("partition", m.partition());
          out.put("offset", m.offset());
          yield out;
        }
      }
      case "nats" -> {
        String url =
            nats.orElseThrow(
                () ->
                    new ApiError(
                        409, "the console has no NATS server: set kubeless.console.nats.url"));
        var options =
            new io.nats.client.Options.Builder()
                .server(url)
                .connectionTimeout(Duration.ofSeconds(5))
                .maxReconnects(0)
                .build();
        try (Connection nc = Nats.connect(options)) {
          nc.publish(topic, body);
          nc.flush(Duration.ofSeconds(5));
        }
        yield Map.of("subject", topic);
      }
      default -> throw new ApiError(404, "no such endpoint: /api/publish/" + system);
    };
  }

  /** The latest {@code limit} messages of {@code topic} across its partitions, newest last. */
  Map<String, Object> peek(String topic, int limit) {
    String brokers = kafkaBrokers();
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "kubeless-console");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
    List<ConsumerRecord<byte[], byte[]>> seen = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      if (partitions.isEmpty()) {
        throw new ApiError(404, "no topic \"%s\"".formatted(topic));
      }
      consumer.assign(partitions);
      var begin = consumer.beginningOffsets(partitions);
      var end = consumer.endOffsets(partitions);
      Map<TopicPartition, Long> remaining = new LinkedHashMap<>();
      for (TopicPartition p : partitions) {
        long from = Math.max(begin.get(p), end.get(p) - limit);
        consumer.seek(p, from);
        if (end.get(p) > from) {
          remaining.put(p, end.get(p));
        }
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!remaining.isEmpty() && System.nanoTime() < deadline) {
        for (var r : consumer.poll(Duration.ofMillis(500))) {
          seen.add(r);
        }
        remaining.keySet().removeIf(p -> consumer.position(p) >= remaining.get(p));
      }
    }
    seen.sort(
        Comparator.comparingLong((ConsumerRecord<byte[], byte[]> r) -> r.timestamp())
            .thenComparingInt(ConsumerRecord::partition)
            .thenComparingLong(ConsumerRecord::offset));
    List<Map<String, Object>> messages = new ArrayList<>();
    for (var r : seen.subList(Math.max(0, seen.size() - limit), seen.size())) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("partition", r.partition());
      m.put("offset", r.offset());
      m.put("timestamp", r.timestamp());
      String key = r.key() == null ? null : utf8(r.key());
      m.put(
          "key",
          r.key() == null ? null : key != null ? key : Base64.getEncoder().encodeToString(r.key()));
      String value = r.value() == null ? "" : utf8(r.value());
      m.put("value", value != null ? value : Base64.getEncoder().encodeToString(r.value()));
      m.put("encoding", value != null ? "utf8" : "base64");
      messages.add(m);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("topic", topic);
    out.put("messages", messages);
    return out;
  }

  private String kafkaBrokers() {
    return kafka.orElseThrow(
        () -> new ApiError(409, "the console has no Kafka: set kubeless.console.kafka.brokers"));
  }

  private static Properties kafkaProps(String brokers) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "kubeless-console");
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 15_000);
    props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    return props;
  }

  /** The bytes as text when they are valid UTF-8, else null. */
  private static String utf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }
}
