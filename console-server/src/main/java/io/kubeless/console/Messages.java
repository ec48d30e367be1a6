package io.kubeless.console;

import io.kubeless.console.messages.TopicPeek;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
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

  /** The latest {@code limit} messages of a Kafka topic across its partitions, newest last. */
  Map<String, Object> peek(String topic, int limit) throws Exception {
    String brokers = kafkaBrokers();
    try {
      return TopicPeek.kafka(brokers, topic, limit);
    } catch (TopicPeek.Unavailable e) {
      throw new ApiError(409, e.getMessage());
    }
  }

  /** The latest {@code limit} messages a JetStream stream captured on a NATS subject. */
  Map<String, Object> peekNats(String subject, int limit) throws Exception {
    String url =
        nats.orElseThrow(
            () ->
                new ApiError(409, "the console has no NATS server: set kubeless.console.nats.url"));
    try {
      return TopicPeek.nats(url, subject, limit);
    } catch (TopicPeek.Unavailable e) {
      throw new ApiError(409, e.getMessage());
    }
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
