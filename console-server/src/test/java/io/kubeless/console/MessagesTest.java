package io.kubeless.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.common.utils.Exit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Test messages and the latest messages of a topic, on a real KRaft broker in this JVM. */
class MessagesTest {

  // without a Quarkus application nothing sets the levels: Kafka would log at TRACE
  private static final List<java.util.logging.Logger> QUIET =
      List.of(
          java.util.logging.Logger.getLogger("org.apache.kafka"),
          java.util.logging.Logger.getLogger("kafka"),
          java.util.logging.Logger.getLogger("state.change.logger"));

  private static KafkaClusterTestKit kafka;
  private static Messages messages;

  @BeforeAll
  static void startBroker() throws Exception {
    QUIET.forEach(logger -> logger.setLevel(java.util.logging.Level.WARNING));
    // a broker halts its JVM on a fatal fault; this JVM is the test run's
    Exit.setExitProcedure((status, message) -> System.err.println("broker exit: " + message));
    Exit.setHaltProcedure((status, message) -> System.err.println("broker halt: " + message));
    kafka =
        new KafkaClusterTestKit.Builder(
                new TestKitNodes.Builder()
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .build())
            .setConfigProp("offsets.topic.replication.factor", "1")
            .setConfigProp("auto.create.topics.enable", "false")
            .build();
    kafka.format();
    kafka.startup();
    kafka.waitForReadyBrokers();
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic("orders", 2, (short) 1))).all().get();
    }
    messages = new Messages(Optional.of(kafka.bootstrapServers()), Optional.empty());
  }

  @AfterAll
  static void stopBroker() throws Exception {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void publishedMessagesArePeekedNewestLastAcrossPartitions() throws Exception {
    for (int i = 1; i <= 5; i++) {
      Map<String, Object> where =
          messages.publish(
              "kafka", "orders", ("{\"n\": " + i + "}").getBytes(StandardCharsets.UTF_8));
      assertThat(where).containsEntry("topic", "orders").containsKeys("partition", "offset");
    }
    byte[] binary = {(byte) 0xff, 0, 1};
    messages.publish("kafka", "orders", binary);

    @SuppressWarnings("unchecked")
    List<Map<String, Object>> latest =
        (List<Map<String, Object>>) messages.peek("orders", 3).get("messages");
    assertThat(latest)
        .extracting(m -> m.get("value"))
        .containsExactly("{\"n\": 4}", "{\"n\": 5}", Base64.getEncoder().encodeToString(binary));
    assertThat(latest).extracting(m -> m.get("encoding")).containsExactly("utf8", "utf8", "base64");
    assertThat(latest.getFirst()).containsKeys("partition", "offset", "timestamp", "key");

    @SuppressWarnings("unchecked")
    List<Map<String, Object>> all =
        (List<Map<String, Object>>) messages.peek("orders", 100).get("messages");
    assertThat(all).hasSize(6);
  }

  @Test
  void withoutABrokerOrTopicTheAnswerSaysWhy() {
    Messages none = new Messages(Optional.empty(), Optional.empty());
    assertThatThrownBy(() -> none.publish("kafka", "orders", new byte[0]))
        .isInstanceOfSatisfying(ApiError.class, e -> assertThat(e.status()).isEqualTo(409));
    assertThatThrownBy(() -> none.publish("nats", "orders", new byte[0]))
        .isInstanceOfSatisfying(ApiError.class, e -> assertThat(e.status()).isEqualTo(409));
    assertThatThrownBy(() -> messages.publish("kafka", "has space", new byte[0]))
        .isInstanceOfSatisfying(ApiError.class, e -> assertThat(e.status()).isEqualTo(400));
  }
}
