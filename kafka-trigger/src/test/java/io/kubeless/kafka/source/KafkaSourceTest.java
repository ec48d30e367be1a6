package io.kubeless.kafka.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.kubeless.api.v1beta1.KafkaTriggerSpec;
import io.kubeless.kafka.TestingKafka;
import io.kubeless.testing.BrokerTest;
import io.kubeless.testing.RecordingFunction;
import io.kubeless.testing.SteeredCoordinator;
import io.kubeless.testing.TestingSpecs;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.coordination.BindingKey;
import io.kubeless.trigger.coordination.InMemoryShardCoordinator;
import io.kubeless.trigger.coordination.ShardCoordinator;
import io.kubeless.trigger.engine.BindingState;
import io.kubeless.trigger.engine.BindingState.Phase;
import io.kubeless.trigger.engine.Bindings;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerState;
import io.kubeless.trigger.function.FunctionEndpoint;
import io.kubeless.trigger.function.InMemoryFunctionDirectory;
import io.kubeless.trigger.invoke.Invoker;
import io.kubeless.trigger.metrics.TriggerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Kafka source in the engine, with no Kubernetes at all: a real broker in the JVM, functions as
 * real HTTP servers, an in-memory function directory and trigger specs fed by hand, partitions
 * claimed through the in-memory coordinator (steered by a test where it plays another replica).
 * What every source must do is the contract test's (KafkaContractIT); this is what only Kafka does:
 * consumer groups, start positions, retention, checkpoints, partitions taken over.
 */
@BrokerTest
class KafkaSourceTest {

  static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final AtomicInteger TOPICS = new AtomicInteger();
  private static Vertx vertx;
  private static Invoker invoker;

  private final InMemoryFunctionDirectory directory = new InMemoryFunctionDirectory();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<Engine> engines = new ArrayList<>();
  private final List<RecordingFunction> functions = new ArrayList<>();

  /** One engine of the Kafka source, as one trigger replica runs it. */
  private record Engine(
      TriggerEngine engine,
      KafkaSource source,
      Bindings<KafkaTriggerSpec, KafkaSubscription> bindings,
      TestingSpecs<KafkaTriggerSpec> specs)
      implements AutoCloseable {

    void subscribe(TriggerId trigger, KafkaTriggerSpec spec) {
      specs.apply(trigger, spec);
    }

    List<BindingState> states(TriggerId trigger) {
      return bindings.state(trigger).map(TriggerState::functions).orElse(List.of());
    }

    List<Phase> phases(TriggerId trigger) {
      return states(trigger).stream().map(BindingState::phase).toList();
    }

    Set<String> groups() {
      Set<String> groups = new java.util.TreeSet<>();
      for (TriggerId id : bindings.triggers()) {
        bindings.workers(id).values().forEach(w -> groups.add(((FunctionConsumer) w).groupId()));
      }
      return groups;
    }

    @Override
    public void close() throws Exception {
      bindings.close();
      source.close();
      engine.close();
    }
  }

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
    for (Engine engine : engines) {
      engine.close();
    }
    functions.forEach(RecordingFunction::close);
  }

  @Test
  void aNewGroupStartsAtTheLatestOffsetUnlessTheTriggerSaysEarliest() throws Exception {
    String topic = topic("latest", 1);
    produce(topic, 1, 10);
    RecordingFunction late = function("late", Map.of("app", "late"));
    Engine engine = engine();
    TriggerId trigger = new TriggerId("shop", "late");
    engine.subscribe(trigger, spec(topic, "app", "late", null));
    awaitConsuming(engine, trigger);

    produce(topic, 1, 5);

    await().atMost(TIMEOUT).until(() -> late.distinct() == 5);
    assertThat(late.requests()).allMatch(r -> r.offset() >= 10);
  }

  @Test
  void everyMatchingFunctionHasItsOwnGroupWithKubelessName() throws Exception {
    String topic = topic("fanout", 3);
    RecordingFunction a = function("a", Map.of("app", "orders"));
    RecordingFunction b = function("b", Map.of("app", "orders"));
    RecordingFunction other = function("other", Map.of("app", "billing"));
    Engine engine = engine();
    TriggerId trigger = new TriggerId("shop", "orders");
    engine.subscribe(trigger, spec(topic, "app", "orders", "earliest"));

    produce(topic, 3, 300);

    for (RecordingFunction f : List.of(a, b)) {
      await().atMost(TIMEOUT).until(() -> f.distinct() == 300);
      assertThat(f.duplicates()).isEmpty();
    }
    assertThat(other.received()).isZero();
    assertThat(engine.groups())
        .containsExactlyInAnyOrder("shop_orders_a_" + topic, "shop_orders_b_" + topic);
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
    assertThat(counter("kubeless.trigger.events.received", "a", null)).isEqualTo(300);
    await().atMost(TIMEOUT).until(() -> gauge("kubeless.trigger.lag", "a") == 0);
  }

  @Test
  void consumersFollowSelectorTopicAndFunctionChangesAndNoneLeaks() throws Exception {
    String first = topic("follow-a", 1);
    String second = topic("follow-b", 1);
    RecordingFunction a = function("a", Map.of("app", "x"));
    RecordingFunction b = function("b", Map.of("app", "y"));
    Engine engine = engine();
    TriggerId trigger = new TriggerId("shop", "follow");
    engine.subscribe(trigger, spec(first, "app", "x", "earliest"));
    await().atMost(TIMEOUT).until(() -> engine.groups().equals(Set.of("shop_follow_a_" + first)));
    // only the initial offset changes: same group, a new consumer that starts there
    FunctionConsumer before = (FunctionConsumer) engine.bindings().workers(trigger).get("a");
    engine.subscribe(trigger, spec(first, "app", "x", "latest"));
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                engine.bindings().workers(trigger).get("a") instanceof FunctionConsumer c
                    && c != before);
    assertThat(engine.groups()).containsExactly("shop_follow_a_" + first);

    // the selector changes: a out, b in
    engine.subscribe(trigger, spec(first, "app", "y", "earliest"));
    await().atMost(TIMEOUT).until(() -> engine.groups().equals(Set.of("shop_follow_b_" + first)));
    // a function starts matching
    RecordingFunction c = function("c", Map.of("app", "y"));
    await().atMost(TIMEOUT).until(() -> engine.groups().size() == 2);
    // the topic changes
    engine.subscribe(trigger, spec(second, "app", "y", "earliest"));
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                engine
                    .groups()
                    .equals(Set.of("shop_follow_b_" + second, "shop_follow_c_" + second)));
    produce(second, 1, 20);
    await().atMost(TIMEOUT).until(() -> b.distinct() == 20 && c.distinct() == 20);
    // a function is deleted
    directory.remove("shop", "c");
    await().atMost(TIMEOUT).until(() -> engine.groups().equals(Set.of("shop_follow_b_" + second)));
    // the trigger is deleted
    engine.specs().delete(trigger);
    await().atMost(TIMEOUT).until(() -> engine.bindings().running() == 0);
    assertThat(engine.bindings().state(trigger)).isEmpty();
    assertThat(a.duplicates()).isEmpty();
    assertThat(registry.find("kubeless.trigger.lag").gauges()).isEmpty();
  }

  @Test
  void anUnreachableBrokerShowsAsBrokerUnavailable() throws Exception {
    function("lonely", Map.of("app", "lonely"));
    int closedPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    Engine engine = engineFor("127.0.0.1:" + closedPort);
    TriggerId trigger = new TriggerId("shop", "nowhere");
    engine.subscribe(trigger, spec("orders", "app", "lonely", null));

    await()
        .atMost(TIMEOUT)
        .until(() -> engine.phases(trigger).equals(List.of(Phase.SOURCE_UNAVAILABLE)));
    BindingState state = engine.states(trigger).getFirst();
    assertThat(state.reason()).isEqualTo("BrokerUnavailable");
    assertThat(state.message()).contains("Timeout");
  }

  @Test
  void aBrokerAddressThatDoesNotResolveShowsAsBrokerUnavailableAndTheEngineLivesOn()
      throws Exception {
    function("unresolved", Map.of("app", "unresolved"));
    // constructing the source (and its Admin client) must not throw
    Engine engine = engineFor("nonexistent.invalid:9092");
    TriggerId trigger = new TriggerId("shop", "unresolved");
    engine.subscribe(trigger, spec("orders", "app", "unresolved", null));

    await()
        .atMost(TIMEOUT)
        .until(() -> engine.phases(trigger).equals(List.of(Phase.SOURCE_UNAVAILABLE)));
    assertThat(engine.states(trigger).getFirst().message()).contains("resolvable");
    // the consumer keeps trying rather than ending, and the status does not turn Ready
    await()
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                engine.bindings().running() == 1
                    && engine.phases(trigger).equals(List.of(Phase.SOURCE_UNAVAILABLE)));
  }

  @Test
  void aTopicCreatedAfterTheTriggerIsReadFromItsBeginningAsSoonAsItExists() throws Exception {
    RecordingFunction f = function("waiting", Map.of("app", "waiting"));
    Engine engine = engine();
    TriggerId trigger = new TriggerId("shop", "missing");
    String topic = "missing-" + TOPICS.incrementAndGet();
    // latest: before the fix, records produced before the first assignment were skipped
    engine.subscribe(trigger, spec(topic, "app", "waiting", null));
    await()
        .atMost(TIMEOUT)
        .until(() -> engine.phases(trigger).equals(List.of(Phase.SOURCE_MISSING)));
    assertThat(engine.states(trigger).getFirst().reason()).isEqualTo("TopicNotFound");

    TestingKafka.createTopic(topic, 1);
    produce(topic, 1, 10);

    await().atMost(TIMEOUT).until(() -> f.distinct() == 10);
    awaitConsuming(engine, trigger);
    assertThat(f.duplicates()).isEmpty();
  }

  @Test
  void partitionsAddedToATopicAreNoticedWithinSecondsAndReadFromTheirBeginning() throws Exception {
    String topic = topic("grows", 1);
    RecordingFunction f = function("growing", Map.of("app", "growing"));
    Engine engine = engine();
    TriggerId trigger = new TriggerId("shop", "grows");
    engine.subscribe(trigger, spec(topic, "app", "growing", null));
    awaitConsuming(engine, trigger);
    produce(topic, 1, 5);
    await().atMost(TIMEOUT).until(() -> f.distinct() == 5);

    TestingKafka.shared()
        .admin()
        .createPartitions(Map.of(topic, NewPartitions.increaseTo(2)))
        .all()
        .get();
    TestingKafka.produce(
        IntStream.range(0, 5)
            .mapToObj(i -> TestingKafka.record(topic, 1, ("{\"n\":" + i + "}").getBytes()))
            .toList());

    // Kafka's own metadata refresh takes 5 minutes; the trigger's a few seconds
    await().atMost(Duration.ofSeconds(30)).until(() -> f.distinct() == 10);
    assertThat(f.requests()).filteredOn(r -> r.partition() == 1).hasSize(5);
    assertThat(f.duplicates()).isEmpty();
  }

  @Test
  void aPositionDeletedByRetentionResumesAtTheEarliestRetainedRecordAndCountsTheSkipped()
      throws Exception {
    String topic = topic("retention", 1);
    RecordingFunction f = function("retained", Map.of("app", "retained"));
    Engine engine = engine();
    TriggerId trigger = new TriggerId("shop", "retention");
    engine.subscribe(trigger, spec(topic, "app", "retained", null));
    awaitConsuming(engine, trigger);
    produce(topic, 1, 10);
    await().atMost(TIMEOUT).until(() -> f.distinct() == 10);

    directory.put(f.endpoint("shop", Map.of("app", "retained"), false));
    await()
        .atMost(TIMEOUT)
        .until(() -> engine.phases(trigger).equals(List.of(Phase.FUNCTION_UNAVAILABLE)));
    // the partition is paused; a fetch sent before that has returned (fetch.max.wait.ms 500)
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(3))
        .until(() -> f.distinct() == 10);
    produce(topic, 1, 20);
    // retention deletes offsets 10 to 19 while the function is down
    TestingKafka.shared()
        .admin()
        .deleteRecords(Map.of(partition(topic, 0), RecordsToDelete.beforeOffset(20)))
        .all()
        .get();
    produce(topic, 1, 5);
    directory.put(f.endpoint("shop", Map.of("app", "retained"), true));

    await().atMost(TIMEOUT).until(() -> f.distinct() == 25);
    assertThat(f.requests()).noneMatch(r -> r.offset() >= 10 && r.offset() < 20);
    assertThat(f.duplicates()).isEmpty();
    assertThat(counter("kubeless.trigger.events.skipped", "retained", null)).isEqualTo(10);
  }

  @Test
  void aBindingBackAfterTheBrokersForgotItsOffsetsSendsNothingTwice() throws Exception {
    try (TestingKafka.Broker broker =
        TestingKafka.start(
            Map.of(
                "offsets.retention.minutes", "1",
                "offsets.retention.check.interval.ms", "1000"))) {
      String topic = "expiring-" + TOPICS.incrementAndGet();
      broker.createTopic(topic, 1);
      RecordingFunction f = function("returning", Map.of("app", "returning"));
      Engine engine = engine(settings(broker.bootstrap(), Map.of(), Duration.ofSeconds(5)));
      TriggerId trigger = new TriggerId("shop", "expiring");
      String group = "shop_expiring_returning_" + topic;
      engine.subscribe(trigger, spec(topic, "app", "returning", "earliest"));
      broker.produce(records(topic, 0, 20));
      await().atMost(TIMEOUT).until(() -> f.distinct() == 20);

      // the function is relabelled: its binding ends and the group has no member any more
      directory.put(f.endpoint("shop", Map.of("app", "elsewhere"), true));
      await().atMost(TIMEOUT).until(() -> engine.bindings().running() == 0);
      // a minute later the brokers forget the group's offsets
      await().atMost(Duration.ofMinutes(3)).until(() -> broker.committed(group).isEmpty());
      broker.produce(records(topic, 0, 10));

      directory.put(f.endpoint("shop", Map.of("app", "returning"), true));

      await().atMost(TIMEOUT).until(() -> f.distinct() == 30);
      assertThat(f.duplicates()).isEmpty();
      assertThat(f.received()).isEqualTo(30);
    }
  }

  @Test
  void aFullConnectionPoolIsBackPressureAndNeverPausesTheBinding() throws Exception {
    String topic = topic("pool", 80);
    RecordingFunction f = function("busy", Map.of("app", "busy"));
    // each request outlasts the connect timeout; 80 partitions share 64 connections
    f.delay(Duration.ofMillis(600));
    Invoker small =
        new Invoker(
            vertx,
            new Invoker.Options(
                Duration.ofMillis(300), Duration.ofSeconds(15), 64, Duration.ofSeconds(2)));
    try {
      Engine engine =
          engine(small, settings(TestingKafka.bootstrap(), Map.of(), Duration.ofSeconds(5)));
      TriggerId trigger = new TriggerId("shop", "pool");
      engine.subscribe(trigger, spec(topic, "app", "busy", "earliest"));
      List<Phase> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
      engine.bindings().onStateChange(id -> seen.addAll(engine.phases(id)));

      produce(topic, 80, 240);

      await().atMost(TIMEOUT).until(() -> f.distinct() == 240);
      assertThat(f.mostInFlight()).isGreaterThan(1);
      assertThat(counter("kubeless.trigger.invocations", "busy", "unavailable")).isZero();
      assertThat(seen).doesNotContain(Phase.FUNCTION_UNAVAILABLE);
      engines.remove(engine);
      engine.close();
    } finally {
      small.close();
    }
  }

  @Test
  void aCheckpointWithAnUnknownOutcomeFollowedByAGracefulStopLosesNothing() throws Exception {
    String topic = topic("unknown", 1);
    RecordingFunction f = function("patient", Map.of("app", "patient"));
    String group = "shop_unknown_patient_" + topic;
    String shard = topic + "-0";
    BindingKey binding = new BindingKey(new TriggerId("shop", "unknown"), "patient");
    produce(topic, 1, 20);
    // every checkpoint of a polled batch times out after the API server applied it: its outcome
    // is unknown
    InMemoryShardCoordinator leases = new InMemoryShardCoordinator("replica", null);
    SteeredCoordinator steered = new SteeredCoordinator(leases, "replica-b");
    steered.unknownOutcome(checkpoint -> !checkpoint.equals("0"));
    Engine first = engine(settings(), steered);
    TriggerId trigger = new TriggerId("shop", "unknown");
    first.subscribe(trigger, spec(topic, "app", "patient", "earliest"));
    await()
        .atMost(TIMEOUT)
        .until(() -> leases.checkpoint(binding, shard).equals(Optional.of("20")));
    assertThat(f.received()).isZero();
    await()
        .atMost(TIMEOUT)
        .until(() -> first.phases(trigger).equals(List.of(Phase.SOURCE_UNAVAILABLE)));
    assertThat(first.states(trigger).getFirst().reason()).isEqualTo("CoordinatorUnavailable");

    // a rolling update's SIGTERM: the position is checkpointed back, and committed to the group
    engines.remove(first);
    first.close();
    assertThat(leases.checkpoint(binding, shard)).contains("0");
    assertThat(TestingKafka.committed(group)).containsEntry(partition(topic, 0), 0L);

    Engine second = engine(settings(), leases);
    second.subscribe(trigger, spec(topic, "app", "patient", "earliest"));
    await().atMost(TIMEOUT).until(() -> f.distinct() == 20);
    assertThat(f.duplicates()).isEmpty();
  }

  @Test
  void aTriggerChangedMidStreamHandsOverToItsNewConsumerWithoutDuplicatesOrLoss() throws Exception {
    String topic = topic("changed", 3);
    RecordingFunction f = function("steady", Map.of("app", "steady"));
    // a batch takes about a second to send: the old consumer is mid-batch when replaced
    f.delay(Duration.ofMillis(20));
    Engine engine = engine();
    TriggerId trigger = new TriggerId("shop", "changed");
    engine.subscribe(trigger, spec(topic, "app", "steady", "earliest"));
    awaitConsuming(engine, trigger);

    int produced = 0;
    for (int round = 1; round <= 3; round++) {
      produce(topic, 3, 300);
      produced += 300;
      int before = f.distinct();
      await().atMost(TIMEOUT).until(() -> f.distinct() > before);
      // a new consumer of the same binding replaces the running one while records flow
      KafkaTriggerSpec changed = spec(topic, "app", "steady", "earliest");
      changed.setMaxInFlight(8 * round);
      engine.subscribe(trigger, changed);
    }

    int total = produced;
    await().atMost(TIMEOUT).until(() -> f.distinct() == total);
    assertThat(f.duplicates()).isEmpty();
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(3))
        .until(() -> f.received() == total);
  }

  @Test
  void aDeletedTriggerLeavesNoCheckpointAndOneCreatedAgainResumesWhereItsGroupStood()
      throws Exception {
    String topic = topic("deleted", 2);
    RecordingFunction f = function("tidy", Map.of("app", "tidy"));
    InMemoryShardCoordinator leases = new InMemoryShardCoordinator("replica", null);
    Engine engine = engine(settings(), leases);
    TriggerId trigger = new TriggerId("shop", "deleted");
    BindingKey binding = new BindingKey(trigger, "tidy");
    engine.subscribe(trigger, spec(topic, "app", "tidy", "earliest"));
    produce(topic, 2, 40);
    await().atMost(TIMEOUT).until(() -> f.distinct() == 40);
    assertThat(leases.checkpoint(binding, topic + "-0")).contains("20");

    engine.specs().delete(trigger);

    await().atMost(TIMEOUT).until(() -> engine.bindings().running() == 0);
    assertThat(leases.checkpoint(binding, topic + "-0")).isEmpty();
    assertThat(leases.checkpoint(binding, topic + "-1")).isEmpty();
    // Kubeless's group keeps where the binding stood, as Kubeless left it
    assertThat(TestingKafka.committed("shop_deleted_tidy_" + topic))
        .containsEntry(partition(topic, 0), 20L)
        .containsEntry(partition(topic, 1), 20L);

    // created again under the same name, it resumes there
    produce(topic, 2, 20);
    engine.subscribe(trigger, spec(topic, "app", "tidy", "earliest"));
    await().atMost(TIMEOUT).until(() -> f.distinct() == 60);
    assertThat(f.duplicates()).isEmpty();
    assertThat(leases.checkpoint(binding, topic + "-0")).contains("30");
  }

  @Test
  void twoTriggersBindingAFunctionToTheSameTopicDeliverOnceThroughTheOlder() throws Exception {
    String topic = topic("twice", 2);
    RecordingFunction f = function("shared", Map.of("app", "shared"));
    RecordingFunction other = function("own", Map.of("app", "own"));
    Engine engine = engine();
    TriggerId older = new TriggerId("shop", "older");
    TriggerId later = new TriggerId("shop", "later");
    Instant now = Instant.now();
    engine.specs().apply(older, now.minusSeconds(60), spec(topic, "app", "shared", "earliest"));
    // the later trigger also binds a function of its own, which it delivers to itself
    KafkaTriggerSpec laterSpec = spec(topic, "app", "shared", "earliest");
    laterSpec.setFunctionSelector(
        new LabelSelectorBuilder()
            .addNewMatchExpression()
            .withKey("app")
            .withOperator("In")
            .withValues("shared", "own")
            .endMatchExpression()
            .build());
    engine.specs().apply(later, now, laterSpec);

    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                engine.states(later).stream()
                    .anyMatch(s -> s.function().equals("shared") && s.phase() == Phase.DUPLICATE));
    BindingState duplicate =
        engine.states(later).stream().filter(s -> s.function().equals("shared")).findFirst().get();
    assertThat(duplicate.reason()).isEqualTo("DuplicateBinding");
    assertThat(duplicate.message()).contains("older");
    produce(topic, 2, 100);

    await().atMost(TIMEOUT).until(() -> f.distinct() == 100 && other.distinct() == 100);
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(3))
        .until(() -> f.received() == 100);
    assertThat(f.duplicates()).isEmpty();
    assertThat(engine.groups())
        .containsExactlyInAnyOrder("shop_older_shared_" + topic, "shop_later_own_" + topic);

    // the older trigger goes: the later one delivers to the function itself
    engine.specs().delete(older);
    await().atMost(TIMEOUT).until(() -> engine.groups().contains("shop_later_shared_" + topic));
    awaitConsuming(engine, later);
  }

  @Test
  void aMalformedContentTypeHeaderOrFunctionUrlDropsOnlyThoseRequestsAndThePartitionKeepsFlowing()
      throws Exception {
    String topic = topic("malformed", 1);
    RecordingFunction f = function("tolerant", Map.of("app", "malformed"));
    // a URL the HTTP client cannot use: every request is dropped, none is retried, nothing stalls
    directory.put(
        new FunctionEndpoint(
            "shop",
            "unusable",
            URI.create("gopher://127.0.0.1:1"),
            Duration.ofSeconds(5),
            true,
            Map.of("app", "malformed")));
    Engine engine = engine();
    TriggerId trigger = new TriggerId("shop", "malformed");
    engine.subscribe(trigger, spec(topic, "app", "malformed", "earliest"));
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
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                Long.valueOf(23)
                    .equals(
                        TestingKafka.committed("shop_malformed_unusable_" + topic)
                            .get(partition(topic, 0))));
  }

  @Test
  void aConsumerThatCouldNotBeCreatedAtFirstIsCreatedAgainAndDelivers() throws Exception {
    String topic = topic("retry-create", 1);
    RecordingFunction f = function("patient", Map.of("app", "patient"));
    String group = "shop_retry-create_patient_" + topic;
    ControlledInterceptor.failConstruction(group, 2);
    Engine engine =
        engine(
            settings(
                TestingKafka.bootstrap(),
                Map.of("interceptor.classes", ControlledInterceptor.class.getName()),
                Duration.ofSeconds(5)));
    TriggerId trigger = new TriggerId("shop", "retry-create");
    engine.subscribe(trigger, spec(topic, "app", "patient", "earliest"));
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
    String group = "shop_waits_sleepy_" + topic;
    produce(topic, 2, 10); // before the trigger: 'latest' skips these
    Engine first = engine();
    first.subscribe(trigger, spec(topic, "app", "sleepy", "latest"));
    // assigned: where the group starts is recorded although nothing could be delivered yet
    await().atMost(TIMEOUT).until(() -> TestingKafka.committed(group).size() == 2);
    assertThat(TestingKafka.committed(group)).containsValues(5L, 5L);
    await()
        .atMost(TIMEOUT)
        .until(() -> first.phases(trigger).equals(List.of(Phase.FUNCTION_UNAVAILABLE)));
    produce(topic, 2, 30);

    // the trigger restarts before the function is ever ready
    engines.remove(first);
    first.close();
    // a new coordinator, no checkpoint: the group's offsets say where it stood
    Engine second = engine();
    second.subscribe(trigger, spec(topic, "app", "sleepy", "latest"));
    await()
        .atMost(TIMEOUT)
        .until(() -> second.phases(trigger).equals(List.of(Phase.FUNCTION_UNAVAILABLE)));
    directory.put(f.endpoint("shop", Map.of("app", "sleepy"), true));

    await().atMost(TIMEOUT).until(() -> f.distinct() == 30);
    assertThat(f.requests()).allMatch(r -> r.offset() >= 5);
    assertThat(f.duplicates()).isEmpty();
  }

  @Test
  void aPartitionTakenOverFinishesItsBatchAndNeverHandsBackAStaleOffset() throws Exception {
    String topic = topic("lost", 2);
    RecordingFunction f = function("stalled", Map.of("app", "stalled"));
    CountDownLatch unblock = new CountDownLatch(1);
    f.answer(
        r -> {
          if (r.partition() == 0 && r.offset() == 0) {
            try {
              unblock.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          return 200;
        });
    String shard = topic + "-0";
    BindingKey binding = new BindingKey(new TriggerId("shop", "lost"), "stalled");
    InMemoryShardCoordinator leases = new InMemoryShardCoordinator("replica", null);
    SteeredCoordinator steered = new SteeredCoordinator(leases, "replica-b");
    Engine engine = engine(settings(), steered);
    TriggerId trigger = new TriggerId("shop", "lost");
    engine.subscribe(trigger, spec(topic, "app", "stalled", "earliest"));
    awaitConsuming(engine, trigger);
    TestingKafka.produce(records(topic, 0, 10));
    // the batch of partition 0 (offsets 0-9) is checkpointed and its first request hangs
    await().atMost(TIMEOUT).until(() -> f.receivedId(topic + "-0-0"));
    assertThat(leases.checkpoint(binding, shard)).contains("10");

    // another replica takes partition 0 over (this one's Lease expired unseen)
    steered.takeOver(shard);
    TestingKafka.produce(records(topic, 0, 5));
    TestingKafka.produce(records(topic, 1, 5));

    // partition 1 flows; nothing of partition 0 beyond the checkpoint is sent from here
    await()
        .atMost(TIMEOUT)
        .until(() -> f.requests().stream().filter(r -> r.partition() == 1).count() == 5);
    // the batch taken over goes on when its request returns: its records are checkpointed, and
    // the new owner starts after them
    unblock.countDown();
    await().atMost(TIMEOUT).until(() -> f.distinct() == 15);
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(3))
        .until(() -> f.distinct() == 15);
    assertThat(f.requests()).noneMatch(r -> r.partition() == 0 && r.offset() >= 10);
    assertThat(f.duplicates()).isEmpty();
    // no stale offset (the batch's first unsent, 1) was handed back over the new owner's 10
    engines.remove(engine);
    engine.close();
    assertThat(leases.checkpoint(binding, shard)).contains("10");
    assertThat(leases.checkpoint(binding, topic + "-1")).contains("5");
  }

  // --- helpers ---------------------------------------------------------------------------

  private Engine engine() {
    return engine(settings());
  }

  private static ConsumerSettings settings() {
    return settings(TestingKafka.bootstrap(), Map.of(), Duration.ofSeconds(5));
  }

  /** An engine whose partitions are claimed through {@code coordinator}, which outlives it. */
  private Engine engine(ConsumerSettings settings, ShardCoordinator coordinator) {
    return engine(invoker, settings, coordinator);
  }

  private Engine engine(ConsumerSettings settings) {
    return engine(invoker, settings);
  }

  private Engine engine(Invoker client, ConsumerSettings settings) {
    return engine(client, settings, null);
  }

  /** An engine; with no coordinator, its source reads every partition, checkpoints in memory. */
  private Engine engine(Invoker client, ConsumerSettings settings, ShardCoordinator coordinator) {
    TriggerEngine engine = new TriggerEngine(directory, client, new TriggerMetrics(registry));
    KafkaSource source =
        coordinator == null
            ? new KafkaSource(engine, settings)
            : new KafkaSource(engine, settings, coordinator);
    Bindings<KafkaTriggerSpec, KafkaSubscription> bindings =
        new Bindings<>(engine, source, Duration.ofSeconds(2));
    TestingSpecs<KafkaTriggerSpec> specs = new TestingSpecs<>();
    bindings.open(specs);
    Engine result = new Engine(engine, source, bindings, specs);
    engines.add(result);
    return result;
  }

  private static ConsumerSettings settings(
      String bootstrap, Map<String, Object> extra, Duration stopTimeout) {
    return settings(bootstrap, extra, stopTimeout, Duration.ofSeconds(10));
  }

  private static ConsumerSettings settings(
      String bootstrap, Map<String, Object> extra, Duration stopTimeout, Duration commitTimeout) {
    Map<String, Object> props = KafkaClientProperties.defaults();
    props.put("bootstrap.servers", bootstrap);
    props.put("max.poll.records", 50);
    props.put("max.partition.fetch.bytes", 1024 * 1024);
    props.putAll(extra);
    return new ConsumerSettings(
        props,
        "latest",
        commitTimeout,
        stopTimeout,
        Duration.ofSeconds(1),
        Duration.ofMillis(100),
        "kubeless-trigger-positions",
        ConsumerSettings.CLAIM_INTERVAL);
  }

  /** An engine whose brokers are at the given address, with short timeouts. */
  private Engine engineFor(String bootstrapServers) {
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", bootstrapServers);
    return engine(
        new ConsumerSettings(
            props,
            "latest",
            Duration.ofSeconds(1),
            Duration.ofSeconds(1),
            Duration.ofSeconds(1),
            Duration.ofMillis(100),
            "",
            ConsumerSettings.CLAIM_INTERVAL));
  }

  private RecordingFunction function(String name, Map<String, String> labels) throws Exception {
    RecordingFunction f = new RecordingFunction(name);
    functions.add(f);
    directory.put(f.endpoint("shop", labels, true));
    return f;
  }

  private static KafkaTriggerSpec spec(
      String topic, String key, String value, String initialOffset) {
    KafkaTriggerSpec spec = new KafkaTriggerSpec();
    spec.setTopic(topic);
    spec.setFunctionSelector(
        new LabelSelectorBuilder().withMatchLabels(Map.of(key, value)).build());
    spec.setInitialOffset(initialOffset);
    return spec;
  }

  private static String topic(String prefix, int partitions) {
    String topic = prefix + "-" + TOPICS.incrementAndGet();
    TestingKafka.createTopic(topic, partitions);
    return topic;
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

  private static List<ProducerRecord<byte[], byte[]>> records(String topic, int partition, int n) {
    return IntStream.range(0, n)
        .mapToObj(
            i ->
                TestingKafka.record(
                    topic, partition, ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8)))
        .toList();
  }

  private void awaitConsuming(Engine engine, TriggerId trigger) {
    await()
        .atMost(TIMEOUT)
        .until(
            () -> {
              List<BindingState> states = engine.states(trigger);
              return !states.isEmpty() && states.stream().allMatch(BindingState::ready);
            });
  }

  private double counter(String name, String function, String outcome) {
    var search = registry.find(name).tag("function", function);
    if (outcome != null) {
      search = search.tag("outcome", outcome);
    }
    return search.counters().stream().mapToDouble(c -> c.count()).sum();
  }

  private double gauge(String name, String function) {
    var gauge = registry.find(name).tag("function", function).gauge();
    return gauge == null ? Double.NaN : gauge.value();
  }

  static TopicPartition partition(String topic, int p) {
    return new TopicPartition(topic, p);
  }
}
