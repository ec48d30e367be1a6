package io.kubeless.kafka.source;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;

/**
 * The Kafka client properties the engine sets on every consumer. The Kafka trigger turns its
 * configuration (Kubeless's environment) into the rest ({@code KafkaTriggerProperties}); local mode
 * sets the brokers itself.
 */
public final class KafkaClientProperties {

  private KafkaClientProperties() {}

  /** What the engine sets on every consumer before the configuration's own properties. */
  public static Map<String, Object> defaults() {
    Map<String, Object> props = new HashMap<>();
    // a trigger reads topics, it never creates them; a missing topic shows in the status
    props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    // partitions added to a topic are noticed within seconds, not after Kafka's 5 minutes
    props.put(CommonClientConfigs.METADATA_MAX_AGE_CONFIG, 5_000);
    // what a consumer buffers is bounded per binding (a larger single record still comes whole)
    props.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 2 * 1024 * 1024);
    // a poll never blocks, so a fetch response must fit the socket's buffer rather than trickle in
    // at the pace of the polls: let the OS size it (Kafka's own 64 KiB halves the throughput)
    props.put(ConsumerConfig.RECEIVE_BUFFER_CONFIG, -1);
    return props;
  }

  /** Whether a client property is about the connection (brokers, security), not consuming. */
  static boolean shared(String key) {
    return key.startsWith("bootstrap")
        || key.startsWith("security")
        || key.startsWith("ssl")
        || key.startsWith("sasl")
        || key.startsWith("client.dns")
        || key.startsWith("socket")
        || key.startsWith("reconnect")
        || key.startsWith("retry")
        || key.startsWith("metadata")
        || key.startsWith("connections")
        || key.equals("request.timeout.ms");
  }
}
