package io.kubeless.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.v1beta1.KafkaTrigger;
import io.kubeless.testing.MockApiServer;
import io.kubeless.testing.PackagedApp;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The packaged trigger as its own OS process, in the prod profile, against the mock API server and
 * a real broker, delivering 20,000 records to a function that counts event ids. The process is
 * killed with SIGKILL mid-stream and started again; a second replica joins and leaves. No event id
 * may arrive twice, and what is lost must stay within the documented bound: max-poll-records per
 * partition per kill (records committed but not yet sent).
 */
class CrashIT {

  private static final int RECORDS = 20_000;
  private static final int PARTITIONS = 3;
  private static final int MAX_POLL_RECORDS = 100;
  private static final Duration DRAIN = Duration.ofMinutes(3);

  private final List<PackagedApp> replicas = new ArrayList<>();
  private MockApiServer api;
  private KubernetesClient client;
  private RecordingFunction function;

  @BeforeEach
  void start() throws IOException {
    api = MockApiServer.withCrds("kafkatriggers", "functions");
    client = api.client();
    function = new RecordingFunction("counter");
    // slow enough that the stream is still flowing when the kills come
    function.delay(Duration.ofMillis(1));
    TestingKafka.bootstrap();
  }

  @AfterEach
  void stop() {
    replicas.forEach(PackagedApp::close);
    function.close();
    api.close();
  }

  @Test
  void redeliversNothingAfterTheTriggerIsKilledMidStreamAndLosesLessThanTheBound()
      throws Exception {
    String topic = deploy("crash");
    int kills = 3;
    PackagedApp replica = replica("crash-0");
    for (int kill = 1; kill <= kills; kill++) {
      int threshold = kill * RECORDS / (kills + 2);
      await().atMost(DRAIN).until(() -> function.distinct() >= threshold);
      replica.kill();
      replica = replica("crash-" + kill);
    }
    Figures figures = drain(topic);

    int bound = MAX_POLL_RECORDS * PARTITIONS * kills;
    report("crash: " + kills + " SIGKILLs", figures, bound);
    assertThat(figures.duplicates).as("event ids delivered twice").isEmpty();
    assertThat(figures.lost).as("records lost").isLessThanOrEqualTo(bound);
    assertThat(replica.get("/q/metrics")).contains("kubeless_trigger_invocations_total");
  }

  @Test
  void aSecondReplicaJoiningAndLeavingMidStreamDuplicatesNothing() throws Exception {
    String topic = deploy("rebalance");
    replica("rebalance-a");
    await().atMost(DRAIN).until(() -> function.distinct() >= RECORDS / 5);
    PackagedApp second = replica("rebalance-b");
    await().atMost(DRAIN).until(() -> function.distinct() >= RECORDS / 2);
    // a rolling update's SIGTERM: the leaving replica hands its unsent records back
    assertThat(second.terminate(Duration.ofSeconds(60))).isTrue();
    Figures figures = drain(topic);

    report("rebalance: a replica joins, then leaves with SIGTERM", figures, 0);
    assertThat(figures.duplicates).as("event ids delivered twice").isEmpty();
    assertThat(figures.lost).as("records lost by a graceful leave").isZero();
  }

  // --- helpers ---------------------------------------------------------------------------

  private record Figures(int sent, int received, int distinct, List<String> duplicates, int lost) {}

  /** Creates the function, a topic with every record in it, and the trigger; returns the topic. */
  private String deploy(String name) {
    String ns = TestFunctions.unique(name);
    String topic = TestFunctions.unique(name);
    TestingKafka.createTopic(topic, PARTITIONS);
    TestingKafka.produce(
        IntStream.range(0, RECORDS)
            .mapToObj(
                i ->
                    TestingKafka.record(
                        topic,
                        i % PARTITIONS,
                        ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8)))
            .toList());
    TestFunctions.create(client, ns, function, Map.of("app", "counter"), true);
    client.resource(TestFunctions.trigger(ns, "count", topic, Map.of("app", "counter"))).create();
    return topic;
  }

  /** Waits until the group committed everything and the function got all it will get. */
  private Figures drain(String topic) {
    Map<TopicPartition, Long> ends = TestingKafka.endOffsets(topic, PARTITIONS);
    String group =
        client.resources(KafkaTrigger.class).inAnyNamespace().list().getItems().stream()
            .filter(t -> t.getSpec().getTopic().equals(topic))
            .map(t -> t.getMetadata().getNamespace() + "_count_counter_" + topic)
            .findFirst()
            .orElseThrow();
    await().atMost(DRAIN).until(() -> TestingKafka.committed(group).equals(ends));
    await().atMost(DRAIN).pollInterval(Duration.ofSeconds(2)).until(new StableCount());
    int distinct = function.distinct();
    return new Figures(
        RECORDS, function.received(), distinct, function.duplicates(), RECORDS - distinct);
  }

  /** True once the received count did not move for one poll interval. */
  private final class StableCount implements java.util.concurrent.Callable<Boolean> {
    private int last = -1;

    @Override
    public Boolean call() {
      int now = function.received();
      boolean stable = now == last;
      last = now;
      return stable;
    }
  }

  private static void report(String scenario, Figures f, int bound) throws IOException {
    String line =
        "%s: sent %d, received %d (distinct %d), duplicates %d, lost %d, bound %d%n"
            .formatted(
                scenario, f.sent, f.received, f.distinct, f.duplicates.size(), f.lost, bound);
    System.out.print(line);
    Files.writeString(
        Path.of("target", "crash-figures.txt"),
        line,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }

  /** Starts the packaged trigger as {@code identity} and waits until it is live. */
  private PackagedApp replica(String identity) {
    PackagedApp replica =
        PackagedApp.of("kubeless.trigger.jar")
            .apiServer(api, "kubeless")
            .env("KAFKA_BROKERS", TestingKafka.bootstrap())
            .property("kubeless.kafka.status-interval", "2s")
            .property("kubeless.kafka.consumer.max-poll-records", String.valueOf(MAX_POLL_RECORDS))
            .property("kubeless.kafka.consumer.probe-interval", "1s")
            .property("kubeless.kafka.consumer.properties.\"session.timeout.ms\"", "6000")
            .property("kubeless.kafka.consumer.properties.\"heartbeat.interval.ms\"", "500")
            .property("kubeless.trigger.leader-election.lease-duration", "4s")
            .property("kubeless.trigger.leader-election.renew-deadline", "3s")
            .property("kubeless.trigger.leader-election.retry-period", "1s")
            .start(identity);
    replicas.add(replica);
    return replica;
  }
}
