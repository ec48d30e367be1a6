package io.kubeless.console.messages;

import io.nats.client.Connection;
import io.nats.client.Nats;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A message published to Kafka or NATS, as a user tries a trigger (the console's "publish a test
 * message", in local mode and on a cluster): one short-lived client per message, so nothing stays
 * open between them.
 */
public final class TestMessages {

  private TestMessages() {}

  /** Produces {@code body} to {@code topic}; where it landed. */
  public static Map<String, Object> kafka(String bootstrap, String topic, byte[] body)
      throws Exception {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "kubeless-console");
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 15_000);
    props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      RecordMetadata m = producer.send(new ProducerRecord<>(topic, body)).get(20, TimeUnit.SECONDS);
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("topic", m.topic());
      out.put("partition", m.partition());
      out.put("offset", m.offset());
      return out;
    }
  }

  /** Publishes {@code body} on {@code subject}, flushed to the server. */
  public static Map<String, Object> nats(String url, String subject, byte[] body) throws Exception {
    io.nats.client.Options options =
        new io.nats.client.Options.Builder()
            .server(url)
            .connectionTimeout(Duration.ofSeconds(5))
            .maxReconnects(0)
            .build();
    try (Connection nc = Nats.connect(options)) {
      nc.publish(subject, body);
      nc.flush(Duration.ofSeconds(5));
    }
    return Map.of("subject", subject);
  }
}
