package io.kubeless.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kubeless local up} in this JVM: a Python function, a KafkaTrigger, the embedded broker.
 */
@Tag("broker")
class LocalUpTest {

  @TempDir Path dir;

  @Test
  void runsAFunctionAndDeliversTopicRecordsToItThenStopsEverything() throws Exception {
    Path events = dir.resolve("events.txt");
    Files.writeString(
        dir.resolve("app.yaml"),
        """
        apiVersion: kubeless.io/v1beta1
        kind: Function
        metadata: {name: recorder, labels: {topic: orders}}
        spec:
          runtime: python3.12
          handler: recorder.handler
          timeout: "10"
          deployment: {spec: {replicas: 2}}
          function: |
            def handler(event, context):
                data = event["data"]
                if isinstance(data, bytes):
                    data = data.decode()
                with open(%s, "a") as f:
                    f.write(str(data) + "\\n")
                return "recorded"
        ---
        apiVersion: kubeless.io/v1beta1
        kind: Function
        metadata: {name: invalid}
        spec: {runtime: python3.12, handler: nodot, function: "x"}
        ---
        apiVersion: kubeless.io/v1beta1
        kind: KafkaTrigger
        metadata: {name: orders}
        spec:
          topic: orders
          initialOffset: earliest
          functionSelector: {matchLabels: {topic: orders}}
        """
            .formatted("\"" + events.toAbsolutePath() + "\""));
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(new TeeStream(log, System.out), true, StandardCharsets.UTF_8);
    Path home = dir.resolve(".kubeless");
    List<ProcessHandle> processes;
    LocalPlatform platform =
        LocalPlatform.start(
            Manifests.load(List.of(dir)),
            new LocalPlatform.Options(
                home, Path.of("..", "runtimes"), null, EmbeddedKafka.freePort(), out));
    try {
      assertThat(platform.invalid())
          .singleElement()
          .asString()
          .contains("invalid", "InvalidHandler");
      assertThat(Files.readString(home.resolve("local.json"))).contains("default/recorder");
      await().atMost(Duration.ofSeconds(60)).until(() -> platform.ready("default/recorder"));
      URI url = platform.functionUrls().get("default/recorder");
      processes = platform.processes();
      assertThat(processes).isNotEmpty();

      HttpResponse<String> direct =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(url)
                      .POST(HttpRequest.BodyPublishers.ofString("direct"))
                      .header("Content-Type", "text/plain")
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(direct.statusCode()).isEqualTo(200);
      assertThat(direct.body()).isEqualTo("recorded");

      try (var producer =
          new KafkaProducer<String, String>(
              Map.of(
                  ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                  platform.kafkaBootstrap().orElseThrow(),
                  ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                  StringSerializer.class,
                  ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                  StringSerializer.class))) {
        producer.send(new ProducerRecord<>("orders", "order-1")).get();
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> Files.exists(events) && Files.readString(events).contains("order-1"));
      assertThat(Files.readString(events).lines()).containsExactly("direct", "order-1");

      peeksTheLatestRecordsAcrossPartitions(platform);
    } finally {
      platform.close();
    }
    assertThat(processes).allSatisfy(p -> assertThat(p.isAlive()).as("pid " + p.pid()).isFalse());
    assertThat(ProcessHandle.current().descendants()).noneMatch(ProcessHandle::isAlive);
    assertThat(home.resolve("local.json")).doesNotExist();
    assertThat(home.resolve("kafka").resolve("meta.properties")).exists();
    String printed = log.toString(StandardCharsets.UTF_8);
    assertThat(printed)
        .contains("[recorder] ready at " + url(printed))
        .contains("spec.deployment applies only on Kubernetes")
        .contains("[kafka] ");
  }

  /** The admin API's Peek on a topic of three partitions, and the binding's count. */
  private static void peeksTheLatestRecordsAcrossPartitions(LocalPlatform platform)
      throws Exception {
    String bootstrap = platform.kafkaBootstrap().orElseThrow();
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin.createTopics(List.of(new NewTopic("peeked", 3, (short) 1))).all().get();
    }
    long now = System.currentTimeMillis();
    try (var producer =
        new KafkaProducer<>(
            Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
            new ByteArraySerializer(),
            new ByteArraySerializer())) {
      for (int i = 0; i < 5; i++) {
        byte[] value = ("m" + i).getBytes(StandardCharsets.UTF_8);
        producer.send(new ProducerRecord<>("peeked", i % 3, now + i, null, value)).get();
      }
      byte[] binary = {(byte) 0xff, (byte) 0xfe, 0};
      producer
          .send(
              new ProducerRecord<>(
                  "peeked", 2, now + 5, "k".getBytes(StandardCharsets.UTF_8), binary))
          .get();
    }
    ObjectMapper json = new ObjectMapper();
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        platform.adminUrl().resolve("/api/peek/kafka/peeked?limit=3"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode messages = json.readTree(r.body()).path("messages");
    // the newest three of six, across the partitions, newest last
    assertThat(messages.findValuesAsText("value")).containsExactly("m3", "m4", "//4A");
    assertThat(messages.findValuesAsText("encoding")).containsExactly("utf8", "utf8", "base64");
    assertThat(messages.findValuesAsText("partition")).containsExactly("0", "1", "2");
    assertThat(messages.get(2).path("key").asText()).isEqualTo("k");
    assertThat(messages.get(2).path("offset").asLong()).isEqualTo(1); // after m2
    HttpResponse<String> none =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(platform.adminUrl().resolve("/api/peek/kafka/unknown-topic"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(json.readTree(none.body()).path("messages")).isEmpty();

    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(platform.triggerStates())
                    .singleElement()
                    .satisfies(
                        t ->
                            assertThat(t.get("functions").toString())
                                .contains("function=recorder", "events=1", "failures=0")));
  }

  private static String url(String printed) {
    int i = printed.indexOf("[recorder] ready at ");
    return printed.substring(i + "[recorder] ready at ".length(), printed.indexOf('\n', i));
  }
}
