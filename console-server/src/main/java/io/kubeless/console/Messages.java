package io.kubeless.console;

import io.kubeless.console.messages.TestMessages;
import io.kubeless.console.messages.TopicPeek;
import java.util.Map;
import java.util.Optional;

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
      case "kafka" -> TestMessages.kafka(kafkaBrokers(), topic, body);
      case "nats" ->
          TestMessages.nats(
              nats.orElseThrow(
                  () ->
                      new ApiError(
                          409, "the console has no NATS server: set kubeless.console.nats.url")),
              topic,
              body);
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
}
