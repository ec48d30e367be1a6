package io.kubeless.kafka.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.kubeless.kafka.RecordingFunction;
import io.kubeless.kafka.TestingKafka;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.function.InMemoryFunctionDirectory;
import io.kubeless.trigger.invoke.Invoker;
import io.kubeless.trigger.metrics.TriggerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The engine alone, with no Kubernetes at all: a real broker in the JVM, functions as real HTTP
 * servers, and an in-memory function directory.
 */
class KafkaSubscriptionsTest {

  static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final AtomicInteger TOPICS = new AtomicInteger();
  private static Vertx vertx;
  private static Invoker invoker;

  private final InMemoryFunctionDirectory directory = new InMemoryFunctionDirectory();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<KafkaSubscriptions> engines = new ArrayList<>();
  private final List<RecordingFunction> functions = new ArrayList<>();

  @BeforeAll
  static void startClient() {
    vertx = Vertx.vertx();
    invoker = new Invoker(vertx, Invoker.Options.defaults());
  }

  @AfterAll
  static void stopClient() {
    invoker.close();
    vertx.close();
  }

  @AfterEach
  void stopEngines() throws Exception {
    for (KafkaSubscriptions engine : engines) {
      engine.close();
    }
    functions.forEach(RecordingFunction::close);
  }

  @Test
  void everyRecordReachesEachMatchingFunctionOnceInPartitionOrder() throws Exception {
    String topic = topic("fanout", 3);
    RecordingFunction a = function("a", Map.of("app", "orders"));
    RecordingFunction b = function("b", Map.of("app", "orders"));
    RecordingFunction c = function("c", Map.of("app", "orders", "tier", "gold"));
    RecordingFunction other = function("other", Map.of("app", "billing"));
    KafkaSubscriptions engine = engine();
    TriggerId trigger = new TriggerId("shop", "orders");
    engine.subscribe(trigger, new KafkaSubscription(topic, selector("app", "orders"), "earliest"));

    produce(topic, 3, 600);

    for (RecordingFunction f : List.of(a, b, c)) {
      await().atMost(TIMEOUT).until(() -> f.distinct() == 600);
      assertThat(f.duplicates()).isEmpty();
      assertInPartitionOrder(f);
    }
    assertThat(other.received()).isZero();
    assertThat(engine.groups())
        .containsExactlyInAnyOrder(
            "shop_orders_a_" + topic, "shop_orders_b_" + topic, "shop_orders_c_" + topic);
    var request = a.requests().getFirst();
    assertThat(request.eventId()).matches(topic + "-[0-2]-\\d+");
    assertThat(request.headers())
        .containsEntry("event-namespace", "kafkatriggers.kubeless.io")
        .containsEntry("event-topic", topic)
        .containsEntry("ce-specversion", "1.0")
        .containsEntry("ce-id", request.eventId())
        .containsEntry("ce-type", "io.kubeless.kafka.record")
        .containsEntry(
            "ce-source", "/apis/kubeless.io/v1beta1/namespaces/shop/kafkatriggers/orders")
        .containsKeys("event-time", "ce-time");
    assertThat(request.headers().get("event-time")).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                engine.state(trigger).orElseThrow().stream()
                    .allMatch(
                        s ->
                            s.phase() == BindingState.Phase.Consuming
                                && Long.valueOf(0).equals(s.lag())));
    assertThat(counter("kubeless.trigger.invocations", "a", "success")).isEqualTo(600);
    assertThat(counter("kubeless.trigger.events.received", "a", null)).isEqualTo(600);
  }

  @Test
  void aNewGroupStartsAtTheLatestOffsetUnlessTheTriggerSaysEarliest() throws Exception {
    String topic = topic("latest", 1);
    produce(topic, 1, 10);
    RecordingFunction late = function("late", Map.of("app", "late"));
    KafkaSubscriptions engine = engine();
    TriggerId trigger = new TriggerId("shop", "late");
    engine.subscribe(trigger, new KafkaSubscription(topic, selector("app", "late"), null));
    awaitConsuming(engine, trigger);

    produce(topic, 1, 5);

    await().atMost(TIMEOUT).until(() -> late.distinct() == 5);
    assertThat(late.requests()).allMatch(r -> r.offset() >= 10);
  }

  @Test
  void aFunctionDownForAWhileLosesNothingAndReceivesNothingTwice() throws Exception {
    String topic = topic("down", 2);
    RecordingFunction f = function("flaky", Map.of("app", "flaky"));
    KafkaSubscriptions engine = engine();
    TriggerId trigger = new TriggerId("shop", "flaky");
    engine.subscribe(trigger, new KafkaSubscription(topic, selector("app", "flaky"), "earliest"));
    produce(topic, 2, 100);
    await().atMost(TIMEOUT).until(() -> f.distinct() == 100);

    // the pods die before the directory notices: connections are refused
    f.down();
    produce(topic, 2, 100);
    await()
        .atMost(TIMEOUT)
        .until(() -> phases(engine, trigger).contains(BindingState.Phase.FunctionUnavailable));
    // then the directory says so too
    directory.put(f.endpoint("shop", Map.of("app", "flaky"), false));
    produce(topic, 2, 100);
    // while it is down, nothing more arrives
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(2))
        .until(() -> f.distinct() == 100);

    f.up();
    directory.put(f.endpoint("shop", Map.of("app", "flaky"), true));

    await().atMost(TIMEOUT).until(() -> f.distinct() == 300);
    assertThat(f.duplicates()).isEmpty();
    assertThat(f.received()).isEqualTo(300);
    assertInPartitionOrder(f);
    awaitConsuming(engine, trigger);
    assertThat(counter("kubeless.trigger.invocations", "flaky", "unavailable")).isPositive();
  }

  @Test
  void errorsAndTimeoutsAreCountedAndDroppedWhileThePartitionKeepsFlowing() throws Exception {
    String topic = topic("errors", 1);
    RecordingFunction f = function("fails", Map.of("app", "fails"));
    directory.put(
        new io.kubeless.trigger.function.FunctionEndpoint(
            "shop", "fails", f.url(), Duration.ofMillis(500), true, Map.of("app", "fails")));
    f.answer(
        r -> {
          if (r.offset() == 7) {
            sleep(1500);
          }
          return r.offset() % 10 == 3 ? 500 : 200;
        });
    KafkaSubscriptions engine = engine();
    engine.subscribe(
        new TriggerId("shop", "fails"),
        new KafkaSubscription(topic, selector("app", "fails"), "earliest"));

    produce(topic, 1, 50);

    await().atMost(TIMEOUT).until(() -> f.distinct() == 50);
    await()
        .atMost(TIMEOUT)
        .until(() -> counter("kubeless.trigger.invocations", "fails", null) == 50);
    assertThat(f.duplicates()).isEmpty();
    assertThat(counter("kubeless.trigger.invocations", "fails", "function_error")).isEqualTo(5);
    assertThat(counter("kubeless.trigger.invocations", "fails", "timeout")).isEqualTo(1);
    assertThat(counter("kubeless.trigger.invocations", "fails", "success")).isEqualTo(44);
    assertInPartitionOrder(f);
  }

  @Test
  void payloadsArriveByteIdenticalWithTheirContentType() throws Exception {
    String topic = topic("payloads", 1);
    RecordingFunction f = function("echo", Map.of("app", "echo"));
    KafkaSubscriptions engine = engine();
    engine.subscribe(
        new TriggerId("shop", "echo"),
        new KafkaSubscription(topic, selector("app", "echo"), "earliest"));
    byte[] big = new byte[5 * 1024 * 1024];
    new java.util.Random(7).nextBytes(big);
    Map<String, byte[]> payloads = new java.util.LinkedHashMap<>();
    payloads.put("", new byte[0]);
    payloads.put("application/octet-stream", new byte[] {(byte) 0xc3, 0x28, 0x00, (byte) 0xff});
    payloads.put("application/octet-stream ", big);
    payloads.put(
        "application/json", "{\"order\": 42, \"items\": [1, 2]}".getBytes(StandardCharsets.UTF_8));
    payloads.put("application/json ", " [1, {\"a\": \"ü\"}]\n".getBytes(StandardCharsets.UTF_8));
    payloads.put("text/plain; charset=utf-8", "héllo {not json".getBytes(StandardCharsets.UTF_8));
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    payloads.forEach((type, body) -> records.add(TestingKafka.record(topic, 0, body)));
    ProducerRecord<byte[], byte[]> declared = TestingKafka.record(topic, 0, "a,b\n1,2".getBytes());
    declared.headers().add(new RecordHeader("content-type", "text/csv".getBytes()));
    records.add(declared);
    TestingKafka.produce(records);

    await().atMost(TIMEOUT).until(() -> f.distinct() == records.size());
    List<RecordingFunction.Request> got = f.requests();
    int i = 0;
    for (var entry : payloads.entrySet()) {
      RecordingFunction.Request request = got.get(i++);
      String expected =
          entry.getKey().isEmpty() ? "text/plain; charset=utf-8" : entry.getKey().trim();
      assertThat(request.body()).as("payload %d", i).isEqualTo(entry.getValue());
      assertThat(request.headers().get("content-type")).as("payload %d", i).isEqualTo(expected);
      assertThat(request.headers().get("event-type")).isEqualTo(expected);
    }
    assertThat(got.get(i).headers().get("content-type")).isEqualTo("text/csv");
  }

  @Test
  void consumersFollowSelectorTopicAndFunctionChangesAndNoneLeaks() throws Exception {
    String first = topic("follow-a", 1);
    String second = topic("follow-b", 1);
    RecordingFunction a = function("a", Map.of("app", "x"));
    RecordingFunction b = function("b", Map.of("app", "y"));
    KafkaSubscriptions engine = engine();
    TriggerId trigger = new TriggerId("shop", "follow");
    engine.subscribe(trigger, new KafkaSubscription(first, selector("app", "x"), "earliest"));
    await()
        .atMost(TIMEOUT)
        .until(() -> engine.groups().equals(java.util.Set.of("shop_follow_a_" + first)));
    // only the initial offset changes: same group, a new consumer that starts there
    engine.subscribe(trigger, new KafkaSubscription(first, selector("app", "x"), "latest"));
    await()
        .atMost(TIMEOUT)
        .until(() -> engine.initialOffsets(trigger).equals(Map.of("a", "latest")));
    assertThat(engine.groups()).containsExactly("shop_follow_a_" + first);

    // the selector changes: a out, b in
    engine.subscribe(trigger, new KafkaSubscription(first, selector("app", "y"), "earliest"));
    await()
        .atMost(TIMEOUT)
        .until(() -> engine.groups().equals(java.util.Set.of("shop_follow_b_" + first)));
    // a function starts matching
    RecordingFunction c = function("c", Map.of("app", "y"));
    await().atMost(TIMEOUT).until(() -> engine.groups().size() == 2);
    // the topic changes
    engine.subscribe(trigger, new KafkaSubscription(second, selector("app", "y"), "earliest"));
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                engine
                    .groups()
                    .equals(
                        java.util.Set.of("shop_follow_b_" + second, "shop_follow_c_" + second)));
    produce(second, 1, 20);
    await().atMost(TIMEOUT).until(() -> b.distinct() == 20 && c.distinct() == 20);
    // a function is deleted
    directory.remove("shop", "c");
    await()
        .atMost(TIMEOUT)
        .until(() -> engine.groups().equals(java.util.Set.of("shop_follow_b_" + second)));
    // the trigger is deleted
    engine.unsubscribe(trigger);
    // stopped consumers are forgotten as they stop, not only when someone counts them
    await().atMost(TIMEOUT).until(() -> engine.stoppingConsumers() == 0);
    await().atMost(TIMEOUT).until(() -> engine.runningConsumers() == 0);
    assertThat(engine.state(trigger)).isEmpty();
    for (String group :
        List.of(
            "shop_follow_a_" + first,
            "shop_follow_b_" + first,
            "shop_follow_b_" + second,
            "shop_follow_c_" + second)) {
      await().atMost(TIMEOUT).until(() -> TestingKafka.members(group).isEmpty());
    }
    assertThat(a.duplicates()).isEmpty();
    assertThat(registry.find("kubeless.trigger.lag").gauges()).isEmpty();
  }

  @Test
  void aReplicaJoiningAndLeavingMidStreamCausesNoDuplicatesAndNoLoss() throws Exception {
    String topic = topic("rebalance", 4);
    RecordingFunction f = function("slow", Map.of("app", "slow"));
    f.delay(Duration.ofMillis(2));
    TriggerId trigger = new TriggerId("shop", "rebalance");
    KafkaSubscription subscription =
        new KafkaSubscription(topic, selector("app", "slow"), "earliest");
    KafkaSubscriptions first = engine();
    first.subscribe(trigger, subscription);
    produce(topic, 4, 3000);

    await().atMost(TIMEOUT).until(() -> f.distinct() >= 500);
    KafkaSubscriptions second = engine();
    second.subscribe(trigger, subscription);
    await().atMost(TIMEOUT).until(() -> f.distinct() >= 1500);
    second.close();
    engines.remove(second);

    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () ->
                assertThat(f.distinct())
                    .as(
                        "distinct ids; committed %s",
                        TestingKafka.committed("shop_rebalance_slow_" + topic))
                    .isEqualTo(3000));
    assertThat(f.duplicates()).isEmpty();
    assertThat(f.received()).isEqualTo(3000);
  }

  @Test
  void anUnreachableBrokerShowsAsBrokerUnavailable() throws Exception {
    function("lonely", Map.of("app", "lonely"));
    int closedPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    KafkaSubscriptions engine = engineFor("127.0.0.1:" + closedPort);
    TriggerId trigger = new TriggerId("shop", "nowhere");
    engine.subscribe(trigger, new KafkaSubscription("orders", selector("app", "lonely"), null));

    await()
        .atMost(TIMEOUT)
        .until(() -> phases(engine, trigger).equals(List.of(BindingState.Phase.BrokerUnavailable)));
    assertThat(engine.state(trigger).orElseThrow().getFirst().message()).contains("Timeout");
  }

  @Test
  void aMissingTopicShowsAsTopicNotFoundUntilItIsCreated() throws Exception {
    RecordingFunction f = function("waiting", Map.of("app", "waiting"));
    KafkaSubscriptions engine = engine();
    TriggerId trigger = new TriggerId("shop", "missing");
    String topic = "missing-" + TOPICS.incrementAndGet();
    engine.subscribe(trigger, new KafkaSubscription(topic, selector("app", "waiting"), "earliest"));
    await()
        .atMost(TIMEOUT)
        .until(() -> phases(engine, trigger).equals(List.of(BindingState.Phase.TopicNotFound)));

    TestingKafka.createTopic(topic, 1);
    produce(topic, 1, 10);

    await().atMost(TIMEOUT).until(() -> f.distinct() == 10);
    awaitConsuming(engine, trigger);
  }

  @Test
  void aMalformedContentTypeHeaderOrFunctionUrlDropsOnlyThoseRequestsAndThePartitionKeepsFlowing()
      throws Exception {
    String topic = topic("malformed", 1);
    RecordingFunction f = function("tolerant", Map.of("app", "malformed"));
    // a URL the HTTP client cannot use: every request is dropped, none is retried, nothing stalls
    directory.put(
        new io.kubeless.trigger.function.FunctionEndpoint(
            "shop",
            "unusable",
            java.net.URI.create("gopher://127.0.0.1:1"),
            Duration.ofSeconds(5),
            true,
            Map.of("app", "malformed")));
    KafkaSubscriptions engine = engine();
    TriggerId trigger = new TriggerId("shop", "malformed");
    engine.subscribe(
        trigger, new KafkaSubscription(topic, selector("app", "malformed"), "earliest"));
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (String declared :
        List.of("application/json\u0000", "application/json\nX-Injected: 1", "text/plain\r")) {
      ProducerRecord<byte[], byte[]> r = TestingKafka.record(topic, 0, "{\"a\":1}".getBytes());
      r.headers().add(new RecordHeader("content-type", declared.getBytes(StandardCharsets.UTF_8)));
      records.add(r);
    }
    TestingKafka.produce(records);
    produce(topic, 1, 20);

    await().atMost(TIMEOUT).until(() -> f.distinct() == 23);
    assertThat(f.duplicates()).isEmpty();
    assertInPartitionOrder(f);
    for (RecordingFunction.Request r : f.requests().subList(0, 3)) {
      assertThat(r.headers())
          .containsEntry("content-type", "application/json")
          .containsEntry("event-type", "application/json")
          .doesNotContainKey("x-injected");
    }
    await()
        .atMost(TIMEOUT)
        .until(() -> counter("kubeless.trigger.invocations", "unusable", "function_error") == 23);
    assertThat(counter("kubeless.trigger.invocations", "unusable", "unavailable")).isZero();
    assertThat(TestingKafka.committed("shop_malformed_unusable_" + topic))
        .containsEntry(partition(topic, 0), 23L);
  }

  @Test
  void aBrokerAddressThatDoesNotResolveShowsAsBrokerUnavailableAndTheEngineLivesOn()
      throws Exception {
    function("unresolved", Map.of("app", "unresolved"));
    // constructing the engine (and its Admin client) must not throw
    KafkaSubscriptions engine = engineFor("nonexistent.invalid:9092");
    TriggerId trigger = new TriggerId("shop", "unresolved");
    engine.subscribe(trigger, new KafkaSubscription("orders", selector("app", "unresolved"), null));

    await()
        .atMost(TIMEOUT)
        .until(() -> phases(engine, trigger).equals(List.of(BindingState.Phase.BrokerUnavailable)));
    assertThat(engine.state(trigger).orElseThrow().getFirst().message()).contains("resolvable");
    // the consumer keeps trying rather than ending, and the status does not turn Ready
    await()
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                engine.runningConsumers() == 1
                    && phases(engine, trigger)
                        .equals(List.of(BindingState.Phase.BrokerUnavailable)));
  }

  @Test
  void aConsumerThatCouldNotBeCreatedAtFirstIsCreatedAgainAndDelivers() throws Exception {
    String topic = topic("retry-create", 1);
    RecordingFunction f = function("patient", Map.of("app", "patient"));
    String group = "shop_retry-create_patient_" + topic;
    ControlledInterceptor.failConstruction(group, 2);
    KafkaSubscriptions engine =
        engine(
            Map.of("interceptor.classes", ControlledInterceptor.class.getName()),
            Duration.ofSeconds(5));
    TriggerId trigger = new TriggerId("shop", "retry-create");
    engine.subscribe(trigger, new KafkaSubscription(topic, selector("app", "patient"), "earliest"));
    produce(topic, 1, 10);

    await().atMost(TIMEOUT).until(() -> f.distinct() == 10);
    assertThat(ControlledInterceptor.constructions(group)).isEqualTo(3);
    awaitConsuming(engine, trigger);
    assertThat(f.duplicates()).isEmpty();
  }

  @Test
  void recordsProducedWhileANewGroupWaitsForItsFunctionSurviveARestart() throws Exception {
    String topic = topic("waits", 2);
    RecordingFunction f = new RecordingFunction("sleepy");
    functions.add(f);
    directory.put(f.endpoint("shop", Map.of("app", "sleepy"), false));
    TriggerId trigger = new TriggerId("shop", "waits");
    KafkaSubscription subscription =
        new KafkaSubscription(topic, selector("app", "sleepy"), "latest");
    String group = "shop_waits_sleepy_" + topic;
    produce(topic, 2, 10); // before the trigger: 'latest' skips these
    KafkaSubscriptions first = engine();
    first.subscribe(trigger, subscription);
    // assigned: where the group starts is recorded although nothing could be delivered yet
    await().atMost(TIMEOUT).until(() -> TestingKafka.committed(group).size() == 2);
    assertThat(TestingKafka.committed(group)).containsValues(5L, 5L);
    await()
        .atMost(TIMEOUT)
        .until(
            () -> phases(first, trigger).equals(List.of(BindingState.Phase.FunctionUnavailable)));
    produce(topic, 2, 30);

    // the trigger restarts before the function is ever ready
    first.close();
    engines.remove(first);
    KafkaSubscriptions second = engine();
    second.subscribe(trigger, subscription);
    await().atMost(TIMEOUT).until(() -> TestingKafka.members(group).size() == 1);
    directory.put(f.endpoint("shop", Map.of("app", "sleepy"), true));

    await().atMost(TIMEOUT).until(() -> f.distinct() == 30);
    assertThat(f.requests()).allMatch(r -> r.offset() >= 5);
    assertThat(f.duplicates()).isEmpty();
    assertInPartitionOrder(f);
  }

  @Test
  void lostPartitionsStopTheirBatchesAndNeverHandBackAStaleOffset() throws Exception {
    String topic = topic("lost", 2);
    RecordingFunction f = function("stalled", Map.of("app", "stalled"));
    java.util.concurrent.CountDownLatch unblock = new java.util.concurrent.CountDownLatch(1);
    f.answer(
        r -> {
          if (r.partition() == 0 && r.offset() == 0) {
            try {
              unblock.await(60, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          return 200;
        });
    String group = "shop_lost_stalled_" + topic;
    KafkaSubscriptions engine =
        engine(
            Map.of(
                "interceptor.classes",
                ControlledInterceptor.class.getName(),
                "max.poll.interval.ms",
                3000),
            Duration.ofSeconds(1));
    TriggerId trigger = new TriggerId("shop", "lost");
    engine.subscribe(trigger, new KafkaSubscription(topic, selector("app", "stalled"), "earliest"));
    awaitConsuming(engine, trigger);
    List<ProducerRecord<byte[], byte[]>> first = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      first.add(TestingKafka.record(topic, 0, ("{\"n\":" + i + "}").getBytes()));
    }
    TestingKafka.produce(first);
    // the batch of partition 0 (offsets 0-9) is committed and its first request hangs
    await().atMost(TIMEOUT).until(() -> f.receivedId(topic + "-0-0"));
    assertThat(TestingKafka.committed(group)).containsEntry(partition(topic, 0), 10L);

    // the poll thread stalls past max.poll.interval.ms: the member leaves and loses both partitions
    ControlledInterceptor.blockOn(group, partition(topic, 1));
    List<ProducerRecord<byte[], byte[]>> second = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      second.add(TestingKafka.record(topic, 1, ("{\"n\":" + i + "}").getBytes()));
    }
    TestingKafka.produce(second);
    await().atMost(TIMEOUT).until(() -> ControlledInterceptor.blocked(group));
    await().atMost(TIMEOUT).until(() -> TestingKafka.members(group).isEmpty());
    ControlledInterceptor.release(group);

    // it rejoins and gets both back; partition 1 flows
    await().atMost(TIMEOUT).until(() -> f.distinct() == 6);
    // stopping now must not commit the lost batch's first unsent offset (1) over the group's 10
    engine.close();
    engines.remove(engine);
    assertThat(TestingKafka.committed(group))
        .containsEntry(partition(topic, 0), 10L)
        .containsEntry(partition(topic, 1), 5L);
    // the lost batch was stopped: when the hung request returns, none of the rest is sent
    unblock.countDown();
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(3))
        .until(() -> f.requests().stream().filter(r -> r.partition() == 0).count() == 1);
    assertThat(f.duplicates()).isEmpty();
  }

  // --- helpers ---------------------------------------------------------------------------

  private KafkaSubscriptions engine() {
    return engine(Map.of(), Duration.ofSeconds(5));
  }

  private KafkaSubscriptions engine(Map<String, Object> extra, Duration stopTimeout) {
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", TestingKafka.bootstrap());
    props.put("max.poll.records", 50);
    props.put("session.timeout.ms", 6000);
    props.put("heartbeat.interval.ms", 500);
    props.put("allow.auto.create.topics", false);
    props.put(
        "partition.assignment.strategy",
        org.apache.kafka.clients.consumer.CooperativeStickyAssignor.class.getName());
    props.put("max.partition.fetch.bytes", 1024 * 1024);
    props.putAll(extra);
    KafkaSubscriptions engine =
        new KafkaSubscriptions(
            directory,
            invoker,
            new TriggerMetrics(registry),
            new ConsumerSettings(
                props, "latest", Duration.ofSeconds(10), stopTimeout, Duration.ofSeconds(1)));
    engines.add(engine);
    return engine;
  }

  private RecordingFunction function(String name, Map<String, String> labels) throws Exception {
    RecordingFunction f = new RecordingFunction(name);
    functions.add(f);
    directory.put(f.endpoint("shop", labels, true));
    return f;
  }

  private static String topic(String prefix, int partitions) {
    String topic = prefix + "-" + TOPICS.incrementAndGet();
    TestingKafka.createTopic(topic, partitions);
    return topic;
  }

  private static LabelSelector selector(String key, String value) {
    return new LabelSelectorBuilder().withMatchLabels(Map.of(key, value)).build();
  }

  static void produce(String topic, int partitions, int count) {
    TestingKafka.produce(
        IntStream.range(0, count)
            .mapToObj(
                i ->
                    TestingKafka.record(
                        topic,
                        i % partitions,
                        ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8)))
            .toList());
  }

  private static void assertInPartitionOrder(RecordingFunction f) {
    Map<Integer, Long> last = new HashMap<>();
    for (RecordingFunction.Request r : f.requests()) {
      Long previous = last.put(r.partition(), r.offset());
      assertThat(previous == null || previous < r.offset())
          .as("%s after offset %s of partition %d", r.eventId(), previous, r.partition())
          .isTrue();
    }
  }

  private void awaitConsuming(KafkaSubscriptions engine, TriggerId trigger) {
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                engine
                    .state(trigger)
                    .map(s -> !s.isEmpty() && s.stream().allMatch(BindingState::ready))
                    .orElse(false));
  }

  /** An engine whose brokers are at the given address, with short timeouts. */
  private KafkaSubscriptions engineFor(String bootstrapServers) {
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", bootstrapServers);
    KafkaSubscriptions engine =
        new KafkaSubscriptions(
            directory,
            invoker,
            new TriggerMetrics(registry),
            new ConsumerSettings(
                props,
                "latest",
                Duration.ofSeconds(1),
                Duration.ofSeconds(1),
                Duration.ofSeconds(1)));
    engines.add(engine);
    return engine;
  }

  private static List<BindingState.Phase> phases(KafkaSubscriptions engine, TriggerId trigger) {
    return engine.state(trigger).orElse(List.of()).stream().map(BindingState::phase).toList();
  }

  private double counter(String name, String function, String outcome) {
    var search = registry.find(name).tag("function", function);
    if (outcome != null) {
      search = search.tag("outcome", outcome);
    }
    return search.counters().stream().mapToDouble(c -> c.count()).sum();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static TopicPartition partition(String topic, int p) {
    return new TopicPartition(topic, p);
  }
}
