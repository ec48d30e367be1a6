package io.kubeless.kinesis.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kubeless.api.v1beta1.KinesisTriggerSpec;
import io.kubeless.testing.BrokerTest;
import io.kubeless.testing.KinesisLocal;
import io.kubeless.testing.RecordingFunction;
import io.kubeless.testing.SteeredCoordinator;
import io.kubeless.testing.TestingSpecs;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.coordination.BindingKey;
import io.kubeless.trigger.coordination.InMemoryShardCoordinator;
import io.kubeless.trigger.coordination.ShardCoordinator;
import io.kubeless.trigger.engine.BindingState;
import io.kubeless.trigger.engine.Bindings;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerState;
import io.kubeless.trigger.function.InMemoryFunctionDirectory;
import io.kubeless.trigger.invoke.Invoker;
import io.kubeless.trigger.metrics.TriggerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.math.BigInteger;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * The Kinesis source against the real {@code kinesis-local} emulator: every shard in order,
 * checkpoints across a restart, where a shard starts, a missing stream or shard, a function that is
 * down, payloads byte for byte, resharding, and key ordering.
 */
@BrokerTest
class KinesisSourceTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final String NS = "shop";
  private static final CredentialsResolver DUMMY =
      (namespace, secret) ->
          StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"));

  private static KinesisLocal emulator;
  private static Vertx vertx;
  private static Invoker invoker;
  private static KinesisClient kinesis;

  private final List<AutoCloseable> closing = new ArrayList<>();
  private InMemoryFunctionDirectory directory;
  private int streams;

  @BeforeAll
  static void startEmulator() throws Exception {
    emulator = KinesisLocal.start();
    vertx = Vertx.vertx();
    invoker = new Invoker(vertx, Invoker.Options.defaults());
    kinesis =
        KinesisClient.builder()
            .httpClient(UrlConnectionHttpClient.create())
            .region(Region.US_EAST_1)
            .endpointOverride(URI.create(emulator.endpoint()))
            .credentialsProvider(DUMMY.resolve(NS, null))
            .build();
  }

  @AfterAll
  static void stopEmulator() throws Exception {
    kinesis.close();
    invoker.close();
    vertx.close();
    emulator.close();
  }

  @BeforeEach
  void directory() {
    directory = new InMemoryFunctionDirectory();
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closing.reversed()) {
      c.close();
    }
  }

  /** An engine with its Kinesis source and bindings, as one trigger process. */
  private final class Process implements AutoCloseable {
    final TriggerEngine engine;
    final KinesisSource source;
    final Bindings<KinesisTriggerSpec, KinesisSubscription> bindings;
    final TestingSpecs<KinesisTriggerSpec> specs = new TestingSpecs<>();
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private boolean closed;

    Process(ShardCoordinator coordinator) {
      this(coordinator, DUMMY);
    }

    Process(ShardCoordinator coordinator, CredentialsResolver credentials) {
      this(coordinator, credentials, settings());
    }

    Process(
        ShardCoordinator coordinator, CredentialsResolver credentials, KinesisSettings settings) {
      engine = new TriggerEngine(directory, invoker, new TriggerMetrics(meters));
      source = new KinesisSource(engine, settings, coordinator, credentials);
      bindings = new Bindings<>(engine, source, Duration.ofSeconds(2));
      bindings.open(specs);
      closing.add(this);
    }

    List<BindingState> states(TriggerId id) {
      return bindings.state(id).map(TriggerState::functions).orElse(List.of());
    }

    void awaitActive(TriggerId id) {
      await()
          .atMost(TIMEOUT)
          .until(
              () -> {
                List<BindingState> states = states(id);
                return states.size() == 1 && states.getFirst().ready();
              });
    }

    void awaitReason(TriggerId id, String reason) {
      await()
          .atMost(TIMEOUT)
          .until(() -> states(id).stream().anyMatch(s -> s.reason().equals(reason)));
    }

    double received(String function) {
      return meters
          .find("kubeless.trigger.events.received")
          .tag("function", function)
          .counters()
          .stream()
          .mapToDouble(c -> c.count())
          .sum();
    }

    @Override
    public void close() throws Exception {
      if (closed) {
        return;
      }
      closed = true;
      bindings.close();
      source.close();
      engine.close();
    }
  }

  private static KinesisSettings settings() {
    return new KinesisSettings(
        100,
        Duration.ofMillis(50),
        Duration.ofMillis(500),
        Duration.ofSeconds(1),
        Duration.ofSeconds(10),
        Duration.ofMillis(50));
  }

  private RecordingFunction function(String name) throws Exception {
    RecordingFunction f = new RecordingFunction(name);
    closing.add(f);
    directory.put(f.endpoint(NS, Map.of(), true, Duration.ofSeconds(5)));
    return f;
  }

  private String stream(String prefix) {
    return prefix + "-" + (++streams) + "-" + System.nanoTime() % 100_000;
  }

  private static void create(String stream, int shards) {
    kinesis.createStream(b -> b.streamName(stream).shardCount(shards));
    awaitActive(stream);
  }

  private static void awaitActive(String stream) {
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                kinesis
                        .describeStreamSummary(b -> b.streamName(stream))
                        .streamDescriptionSummary()
                        .streamStatus()
                    == StreamStatus.ACTIVE);
  }

  private static KinesisTriggerSpec spec(String function, String stream, String startFrom) {
    KinesisTriggerSpec spec = new KinesisTriggerSpec();
    spec.setFunctionName(function);
    spec.setStream(stream);
    spec.setEndpoint(emulator.endpoint());
    spec.setRegion("us-east-1");
    spec.setStartFrom(startFrom);
    return spec;
  }

  /** Puts {@code n} JSON records {"n": i} with keys {@code key-<i % keys>}, in order per key. */
  private static void put(String stream, int from, int to, int keys) {
    for (int start = from; start < to; start += 100) {
      List<PutRecordsRequestEntry> entries = new ArrayList<>();
      for (int i = start; i < Math.min(to, start + 100); i++) {
        entries.add(
            PutRecordsRequestEntry.builder()
                .partitionKey("key-" + (i % keys))
                .data(SdkBytes.fromUtf8String("{\"n\":" + i + "}"))
                .build());
      }
      var response = kinesis.putRecords(b -> b.streamName(stream).records(entries));
      assertThat(response.failedRecordCount()).isZero();
    }
  }

  private static String shardOf(String stream, RecordingFunction.Request r) {
    String rest = r.eventId().substring(stream.length() + 1);
    return rest.substring(0, rest.lastIndexOf('-'));
  }

  private static BigInteger sequenceOf(RecordingFunction.Request r) {
    return new BigInteger(r.eventId().substring(r.eventId().lastIndexOf('-') + 1));
  }

  private static int n(RecordingFunction.Request r) {
    String body = new String(r.body(), StandardCharsets.UTF_8);
    return Integer.parseInt(body.replaceAll("\\D", ""));
  }

  /** Asserts that each shard's records arrived in increasing sequence numbers. */
  private static void assertInOrderPerShard(String stream, List<RecordingFunction.Request> rs) {
    Map<String, BigInteger> last = new HashMap<>();
    for (RecordingFunction.Request r : rs) {
      BigInteger seq = sequenceOf(r);
      BigInteger before = last.put(shardOf(stream, r), seq);
      if (before != null) {
        assertThat(seq).as("order in shard %s", shardOf(stream, r)).isGreaterThan(before);
      }
    }
  }

  @Test
  void everyShardOfAFourShardStreamIsDeliveredInOrderPerShard() throws Exception {
    String stream = stream("orders");
    create(stream, 4);
    put(stream, 0, 400, 40);
    Process p = new Process(new InMemoryShardCoordinator("local", null));
    RecordingFunction f = function("audit");
    TriggerId id = new TriggerId(NS, "orders");
    p.specs.apply(id, spec("audit", stream, "trim_horizon"));

    await().atMost(TIMEOUT).until(() -> f.distinct() == 400);
    assertThat(f.duplicates()).isEmpty();
    List<RecordingFunction.Request> rs = f.requests();
    assertThat(rs.stream().map(r -> shardOf(stream, r)).collect(Collectors.toSet()))
        .hasSize(4)
        .allMatch(s -> s.startsWith("shardId-"));
    assertInOrderPerShard(stream, rs);
    assertThat(rs.stream().map(KinesisSourceTest::n).collect(Collectors.toSet())).hasSize(400);
    assertThat(rs.getFirst().headers())
        .containsEntry("event-topic", stream)
        .containsEntry("event-namespace", "kinesistriggers.kubeless.io")
        .containsEntry("ce-type", "io.kubeless.kinesis.record")
        .containsEntry("content-type", "application/json")
        .containsKey("event-time");
    p.awaitActive(id);
    BindingState state = p.states(id).getFirst();
    assertThat(state.reason()).isEqualTo("Reading");
    assertThat(state.message()).contains("reading 4 of 4 shards of stream " + stream);
    assertThat(state.units())
        .hasSize(4)
        .allSatisfy(
            u -> {
              assertThat(u.owner()).isEqualTo("local");
              assertThat(u.state()).isEqualTo("Reading");
            });
    await()
        .atMost(TIMEOUT)
        .until(
            () -> p.states(id).getFirst().units().stream().allMatch(u -> u.millisBehind() != null));
    assertThat(p.received("audit")).isEqualTo(400);
  }

  @Test
  void aRestartResumesAfterTheCheckpointWithoutDuplicatesOrLosses(@TempDir Path dir)
      throws Exception {
    String stream = stream("resume");
    create(stream, 2);
    RecordingFunction f = function("ledger");
    f.delay(Duration.ofMillis(2));
    TriggerId id = new TriggerId(NS, "resume");
    put(stream, 0, 300, 7);

    Process first = new Process(new InMemoryShardCoordinator("one", dir));
    first.specs.apply(id, spec("ledger", stream, "trim_horizon"));
    await().atMost(TIMEOUT).until(() -> f.distinct() >= 50);
    first.close(); // graceful: what was taken is sent
    int afterFirst = f.received();
    assertThat(afterFirst).isLessThan(600);
    assertThat(Files.list(dir).map(path -> path.getFileName().toString()))
        .contains(NS + "_resume_ledger.json");

    put(stream, 300, 600, 7);
    Process second = new Process(new InMemoryShardCoordinator("two", dir));
    second.specs.apply(id, spec("ledger", stream, "trim_horizon"));

    await().atMost(TIMEOUT).until(() -> f.distinct() == 600);
    assertThat(f.duplicates()).isEmpty();
    assertThat(f.received()).isEqualTo(600);
    assertInOrderPerShard(stream, f.requests());
    assertThat(second.received("ledger")).isEqualTo(600 - afterFirst);
  }

  @Test
  void aChangedTriggerHandsItsShardsOverAndADeletedOneLeavesNoCheckpoint(@TempDir Path dir)
      throws Exception {
    String stream = stream("changed");
    create(stream, 2);
    RecordingFunction f = function("journal");
    // a batch takes a while to send: the old reader is mid-batch when replaced
    f.delay(Duration.ofMillis(5));
    TriggerId id = new TriggerId(NS, "changed");
    BindingKey binding = new BindingKey(id, "journal");
    InMemoryShardCoordinator coordinator = new InMemoryShardCoordinator("one", dir);
    Process p = new Process(coordinator);
    p.specs.apply(id, spec("journal", stream, "trim_horizon"));

    int put = 0;
    for (int round = 1; round <= 3; round++) {
      put(stream, put, put + 200, 7);
      put += 200;
      int before = f.distinct();
      await().atMost(TIMEOUT).until(() -> f.distinct() > before);
      // a new reader of the same binding replaces the running one while records flow
      KinesisTriggerSpec changed = spec("journal", stream, "trim_horizon");
      changed.setMaxInFlight(4 * round);
      p.specs.apply(id, changed);
    }
    int total = put;
    await().atMost(TIMEOUT).until(() -> f.distinct() == total);
    assertThat(f.duplicates()).isEmpty();
    assertThat(dir.resolve(NS + "_changed_journal.json")).exists();

    p.specs.delete(id);

    await().atMost(TIMEOUT).until(() -> p.bindings.running() == 0);
    assertThat(coordinator.checkpoint(binding, stream + "/shardId-000000000000")).isEmpty();
    assertThat(dir.resolve(NS + "_changed_journal.json")).doesNotExist();
    assertThat(f.received()).isEqualTo(total);
  }

  @Test
  void aTriggerMovedToAnotherStreamStartsItAsItsStartFromSaysAndOneMovedBackResumes(
      @TempDir Path dir) throws Exception {
    String first = stream("left");
    String second = stream("moved");
    create(first, 1);
    create(second, 1);
    RecordingFunction f = function("mover");
    TriggerId id = new TriggerId(NS, "mover");
    Process p = new Process(new InMemoryShardCoordinator("one", dir));
    put(first, 0, 100, 3);
    p.specs.apply(id, spec("mover", first, "trim_horizon"));
    await().atMost(TIMEOUT).until(() -> f.distinct() == 100);

    // both streams number their shard shardId-000000000000: the first's checkpoint must not be
    // taken for the second's, whose records all arrive from its oldest
    put(second, 0, 50, 3);
    p.specs.apply(id, spec("mover", second, "trim_horizon"));
    await().atMost(TIMEOUT).until(() -> f.distinct() == 150);
    assertThat(f.requests()).filteredOn(r -> r.eventId().startsWith(second + "-")).hasSize(50);

    // moved back, it resumes where it left the first stream
    put(first, 100, 120, 3);
    p.specs.apply(id, spec("mover", first, "trim_horizon"));
    await().atMost(TIMEOUT).until(() -> f.distinct() == 170);
    assertThat(f.duplicates()).isEmpty();
    assertThat(f.received()).isEqualTo(170);
    assertInOrderPerShard(
        first, f.requests().stream().filter(r -> r.eventId().startsWith(first + "-")).toList());
  }

  /** Registers the stream consumer that makes the binding read by enhanced fan-out. */
  private static void registerConsumer(String stream, TriggerId trigger, String function) {
    String arn =
        kinesis
            .describeStreamSummary(b -> b.streamName(stream))
            .streamDescriptionSummary()
            .streamARN();
    String name = ShardReader.consumerName(trigger, function);
    assertThat(name)
        .isEqualTo("kubeless." + trigger.namespace() + "." + trigger.name() + "." + function);
    kinesis.registerStreamConsumer(b -> b.streamARN(arn).consumerName(name));
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                kinesis
                        .describeStreamConsumer(b -> b.streamARN(arn).consumerName(name))
                        .consumerDescription()
                        .consumerStatus()
                    == software.amazon.awssdk.services.kinesis.model.ConsumerStatus.ACTIVE);
  }

  @Test
  void aRegisteredConsumerMakesItReadByEnhancedFanOutInOrderAndARestartResumes(@TempDir Path dir)
      throws Exception {
    String stream = stream("fanout");
    create(stream, 2);
    TriggerId id = new TriggerId(NS, "fanout");
    registerConsumer(stream, id, "push");
    RecordingFunction f = function("push");
    put(stream, 0, 200, 9);

    Process first = new Process(new InMemoryShardCoordinator("one", dir));
    first.specs.apply(id, spec("push", stream, "trim_horizon"));
    await().atMost(TIMEOUT).until(() -> f.distinct() == 200);
    assertThat(first.states(id).getFirst().message())
        .contains("by enhanced fan-out (consumer kubeless.shop.fanout.push)");
    put(stream, 200, 300, 9); // pushed while subscribed
    await().atMost(TIMEOUT).until(() -> f.distinct() == 300);
    first.close();

    put(stream, 300, 400, 9);
    Process second = new Process(new InMemoryShardCoordinator("two", dir));
    second.specs.apply(id, spec("push", stream, "trim_horizon"));
    await().atMost(TIMEOUT).until(() -> f.distinct() == 400);
    assertThat(f.duplicates()).isEmpty();
    assertThat(f.received()).isEqualTo(400);
    assertInOrderPerShard(stream, f.requests());
    assertThat(f.requests().stream().map(KinesisSourceTest::n).collect(Collectors.toSet()))
        .hasSize(400);
    assertThat(second.received("push")).isEqualTo(100);
  }

  @Test
  void withoutItsOwnConsumerABindingPolls() throws Exception {
    String stream = stream("polled");
    create(stream, 1);
    TriggerId id = new TriggerId(NS, "polled");
    registerConsumer(stream, id, "someone-else"); // another binding's consumer
    RecordingFunction f = function("poller");
    put(stream, 0, 20, 2);
    Process p = new Process(new InMemoryShardCoordinator("local", null));
    p.specs.apply(id, spec("poller", stream, "trim_horizon"));
    await().atMost(TIMEOUT).until(() -> f.distinct() == 20);
    p.awaitActive(id);
    assertThat(p.states(id).getFirst().message())
        .isEqualTo("reading 1 of 1 shards of stream " + stream);
  }

  @Test
  void latestStartsAtTheTipAndTrimHorizonAtTheOldestRecord() throws Exception {
    String stream = stream("start");
    create(stream, 2);
    put(stream, 0, 20, 5);
    Process p = new Process(new InMemoryShardCoordinator("local", null));
    RecordingFunction newest = function("newest");
    RecordingFunction oldest = function("oldest");
    TriggerId latest = new TriggerId(NS, "latest");
    TriggerId horizon = new TriggerId(NS, "horizon");
    p.specs.apply(latest, spec("newest", stream, null));
    p.specs.apply(horizon, spec("oldest", stream, "trim_horizon"));
    p.awaitActive(latest);
    p.awaitActive(horizon);

    put(stream, 20, 30, 5);

    await().atMost(TIMEOUT).until(() -> oldest.distinct() == 30 && newest.distinct() == 10);
    assertThat(newest.requests().stream().map(KinesisSourceTest::n))
        .allMatch(n -> n >= 20)
        .hasSize(10);
    assertThat(oldest.duplicates()).isEmpty();
    assertThat(newest.duplicates()).isEmpty();
  }

  @Test
  void throttledReadsBackOffAndLoseNothing() throws Exception {
    String stream = stream("throttled");
    create(stream, 1);
    put(stream, 0, 50, 5);
    ThrottlingProxy proxy = new ThrottlingProxy(emulator.endpoint(), 4);
    closing.add(proxy);
    Process p = new Process(new InMemoryShardCoordinator("local", null));
    RecordingFunction f = function("steady");
    TriggerId id = new TriggerId(NS, "throttled");
    KinesisTriggerSpec spec = spec("steady", stream, "trim_horizon");
    spec.setEndpoint(proxy.endpoint());
    p.specs.apply(id, spec);

    await().atMost(TIMEOUT).until(() -> f.distinct() == 50);
    assertThat(proxy.throttled()).as("GetRecords answered as throttled").isEqualTo(4);
    // taken for what it is (after the AWS SDK's own retries): counted, and backed off from
    assertThat(
            p.meters
                .get("kubeless.trigger.source.throttled")
                .tag("function", "steady")
                .counter()
                .count())
        .isPositive();
    assertThat(f.duplicates()).isEmpty();
    assertThat(f.received()).isEqualTo(50);
    assertInOrderPerShard(stream, f.requests());
    p.awaitActive(id);
    // throttling is a pace, not a failure: the binding stays ready and nothing is counted lost
    assertThat(p.states(id).getFirst().reason()).isEqualTo("Reading");
    assertThat(p.states(id).getFirst().dropped()).isZero();
  }

  @Test
  void aMissingStreamIsReportedAndItsRecordsFlowOnceItIsCreated() throws Exception {
    String stream = stream("later");
    Process p = new Process(new InMemoryShardCoordinator("local", null));
    RecordingFunction f = function("patient");
    TriggerId id = new TriggerId(NS, "later");
    p.specs.apply(id, spec("patient", stream, "trim_horizon"));

    p.awaitReason(id, "StreamNotFound");
    assertThat(p.states(id).getFirst().phase()).isEqualTo(BindingState.Phase.SOURCE_MISSING);
    assertThat(p.states(id).getFirst().message()).contains(stream);

    create(stream, 1);
    put(stream, 0, 25, 3);

    await().atMost(TIMEOUT).until(() -> f.distinct() == 25);
    p.awaitActive(id);
    assertThat(f.duplicates()).isEmpty();
  }

  @Test
  void aStreamCreatedAfterTheBindingIsReadFromItsFirstRecordEvenFromLatest() throws Exception {
    String stream = stream("created-later");
    Process p = new Process(new InMemoryShardCoordinator("local", null));
    RecordingFunction f = function("early");
    TriggerId id = new TriggerId(NS, "created-later");
    p.specs.apply(id, spec("early", stream, "latest"));
    p.awaitReason(id, "StreamNotFound");

    // put before the binding finds the stream (it looks again a discovery interval later): every
    // record is newer than the binding, so latest must not skip them
    create(stream, 2);
    put(stream, 0, 40, 8);

    await().atMost(TIMEOUT).until(() -> f.distinct() == 40);
    p.awaitActive(id);
    assertThat(f.duplicates()).isEmpty();
  }

  @Test
  void aShardThatDoesNotExistIsReportedAndAnExistingOneIsReadAlone() throws Exception {
    String stream = stream("one-shard");
    create(stream, 2);
    Process p = new Process(new InMemoryShardCoordinator("local", null));
    RecordingFunction missing = function("missing");
    RecordingFunction single = function("single");
    TriggerId absent = new TriggerId(NS, "absent");
    TriggerId present = new TriggerId(NS, "present");
    KinesisTriggerSpec absentSpec = spec("missing", stream, "trim_horizon");
    absentSpec.setShard("shardId-000000000009");
    KinesisTriggerSpec presentSpec = spec("single", stream, "trim_horizon");
    presentSpec.setShard("shardId-000000000001");
    p.specs.apply(absent, absentSpec);
    p.specs.apply(present, presentSpec);

    p.awaitReason(absent, "ShardNotFound");
    assertThat(p.states(absent).getFirst().message()).contains("shardId-000000000009");
    put(stream, 0, 100, 20);
    p.awaitActive(present);
    await().atMost(TIMEOUT).until(() -> single.distinct() > 0);
    long inShardOne =
        kinesis
            .getRecords(
                b ->
                    b.shardIterator(
                        kinesis
                            .getShardIterator(
                                i ->
                                    i.streamName(stream)
                                        .shardId("shardId-000000000001")
                                        .shardIteratorType("TRIM_HORIZON"))
                            .shardIterator()))
            .records()
            .size();
    await().atMost(TIMEOUT).until(() -> single.distinct() == inShardOne);
    assertThat(single.requests()).allMatch(r -> shardOf(stream, r).equals("shardId-000000000001"));
    assertThat(missing.received()).isZero();
    assertThat(p.states(present).getFirst().units())
        .extracting(BindingState.UnitState::id)
        .containsExactly("shardId-000000000001");
  }

  @Test
  void nothingIsTakenWhileTheFunctionIsUnavailableAndNothingIsLostAfter() throws Exception {
    String stream = stream("down");
    create(stream, 2);
    Process p = new Process(new InMemoryShardCoordinator("local", null));
    RecordingFunction f = function("sleeper");
    TriggerId id = new TriggerId(NS, "down");
    p.specs.apply(id, spec("sleeper", stream, "trim_horizon"));
    p.awaitActive(id);

    directory.put(f.endpoint(NS, Map.of(), false, Duration.ofSeconds(5)));
    p.awaitReason(id, BindingState.FUNCTION_UNAVAILABLE);
    put(stream, 0, 80, 8);
    // several discovery and read intervals pass: still nothing is taken
    await()
        .pollDelay(Duration.ofSeconds(2))
        .atMost(TIMEOUT)
        .until(() -> p.states(id).getFirst().reason().equals(BindingState.FUNCTION_UNAVAILABLE));
    assertThat(p.received("sleeper")).isZero();
    assertThat(f.received()).isZero();

    directory.put(f.endpoint(NS, Map.of(), true, Duration.ofSeconds(5)));
    await().atMost(TIMEOUT).until(() -> f.distinct() == 80);
    assertThat(f.duplicates()).isEmpty();
    assertThat(p.received("sleeper")).isEqualTo(80);
  }

  @Test
  void payloadsArriveByteForByte() throws Exception {
    String stream = stream("bytes");
    create(stream, 1);
    Process p = new Process(new InMemoryShardCoordinator("local", null));
    RecordingFunction f = function("bytes");
    TriggerId id = new TriggerId(NS, "bytes");
    p.specs.apply(id, spec("bytes", stream, "trim_horizon"));
    byte[] binary = new byte[4096];
    new Random(7).nextBytes(binary);
    binary[0] = (byte) 0xff; // not UTF-8
    byte[] json = "{\"order\":42,\"items\":[\"é\",\"✓\"]}".getBytes(StandardCharsets.UTF_8);
    byte[] text = "hello, world".getBytes(StandardCharsets.UTF_8);
    byte[] large = new byte[1_000_000];
    new Random(11).nextBytes(large);
    List<byte[]> payloads = List.of(binary, json, text, large, new byte[] {0});
    for (byte[] payload : payloads) {
      kinesis.putRecord(
          b -> b.streamName(stream).partitionKey("k").data(SdkBytes.fromByteArray(payload)));
    }

    await().atMost(TIMEOUT).until(() -> f.distinct() == payloads.size());
    List<RecordingFunction.Request> rs = f.requests();
    for (int i = 0; i < payloads.size(); i++) {
      assertThat(rs.get(i).body()).as("payload %d", i).isEqualTo(payloads.get(i));
    }
    assertThat(rs.get(0).headers()).containsEntry("content-type", "application/octet-stream");
    assertThat(rs.get(1).headers()).containsEntry("content-type", "application/json");
    assertThat(rs.get(2).headers()).containsEntry("content-type", "text/plain; charset=utf-8");
  }

  @Test
  void afterASplitTheChildrenAreReadOnlyOnceTheParentIsFinished() throws Exception {
    String stream = stream("split");
    create(stream, 1);
    put(stream, 0, 60, 12);
    Shard parent = kinesis.listShards(b -> b.streamName(stream)).shards().getFirst();
    BigInteger middle =
        new BigInteger(parent.hashKeyRange().startingHashKey())
            .add(new BigInteger(parent.hashKeyRange().endingHashKey()))
            .shiftRight(1);
    kinesis.splitShard(
        b ->
            b.streamName(stream)
                .shardToSplit(parent.shardId())
                .newStartingHashKey(middle.toString()));
    awaitActive(stream);
    put(stream, 60, 120, 12);
    List<Shard> shards = kinesis.listShards(b -> b.streamName(stream)).shards();
    assertThat(shards).hasSize(3);

    Process p = new Process(new InMemoryShardCoordinator("local", null));
    RecordingFunction f = function("splitter");
    TriggerId id = new TriggerId(NS, "split");
    p.specs.apply(id, spec("splitter", stream, "trim_horizon"));

    await().atMost(TIMEOUT).until(() -> f.distinct() == 120);
    assertThat(f.duplicates()).isEmpty();
    List<RecordingFunction.Request> rs = f.requests();
    int lastOfParent = -1;
    int firstOfChild = Integer.MAX_VALUE;
    for (int i = 0; i < rs.size(); i++) {
      if (shardOf(stream, rs.get(i)).equals(parent.shardId())) {
        lastOfParent = i;
      } else {
        firstOfChild = Math.min(firstOfChild, i);
      }
    }
    assertThat(lastOfParent).isEqualTo(59);
    assertThat(firstOfChild).isEqualTo(60);
    assertInOrderPerShard(stream, rs);
    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () ->
                assertThat(p.states(id).getFirst().units())
                    .filteredOn(u -> u.id().equals(parent.shardId()))
                    .extracting(BindingState.UnitState::state)
                    .containsExactly("Finished"));
  }

  @Test
  void afterAMergeTheChildIsReadOnlyOnceBothParentsAreFinished() throws Exception {
    String stream = stream("merge");
    create(stream, 2);
    put(stream, 0, 60, 12);
    List<Shard> parents = kinesis.listShards(b -> b.streamName(stream)).shards();
    kinesis.mergeShards(
        b ->
            b.streamName(stream)
                .shardToMerge(parents.get(0).shardId())
                .adjacentShardToMerge(parents.get(1).shardId()));
    awaitActive(stream);
    put(stream, 60, 100, 12);

    Process p = new Process(new InMemoryShardCoordinator("local", null));
    RecordingFunction f = function("merger");
    TriggerId id = new TriggerId(NS, "merge");
    p.specs.apply(id, spec("merger", stream, "trim_horizon"));

    await().atMost(TIMEOUT).until(() -> f.distinct() == 100);
    assertThat(f.duplicates()).isEmpty();
    Set<String> parentIds = Set.of(parents.get(0).shardId(), parents.get(1).shardId());
    List<RecordingFunction.Request> rs = f.requests();
    for (int i = 0; i < rs.size(); i++) {
      assertThat(parentIds.contains(shardOf(stream, rs.get(i))))
          .as("request %d comes from a parent", i)
          .isEqualTo(i < 60);
    }
    assertInOrderPerShard(stream, rs);
  }

  @Test
  void keyOrderingKeepsEachPartitionKeyInOrderAndSendsKeysInParallel() throws Exception {
    String stream = stream("keys");
    create(stream, 1);
    put(stream, 0, 300, 10);
    Process p = new Process(new InMemoryShardCoordinator("local", null));
    RecordingFunction f = function("keyed");
    f.delay(Duration.ofMillis(10));
    TriggerId id = new TriggerId(NS, "keys");
    KinesisTriggerSpec spec = spec("keyed", stream, "trim_horizon");
    spec.setOrdering("key");
    spec.setMaxInFlight(8);
    p.specs.apply(id, spec);

    await().atMost(TIMEOUT).until(() -> f.distinct() == 300);
    assertThat(f.duplicates()).isEmpty();
    Map<Integer, Integer> last = new HashMap<>();
    for (RecordingFunction.Request r : f.requests()) {
      int n = n(r);
      Integer before = last.put(n % 10, n);
      if (before != null) {
        assertThat(n).as("order of key-%d", n % 10).isGreaterThan(before);
      }
    }
    assertThat(f.mostInFlight()).isGreaterThan(1).isLessThanOrEqualTo(8);
  }

  @Test
  void credentialsThatCannotBeHadAreReported() throws Exception {
    String stream = stream("secret");
    create(stream, 1);
    Process p =
        new Process(
            new InMemoryShardCoordinator("local", null),
            (namespace, secret) -> {
              throw new CredentialsResolver.CredentialsException(
                  "secret " + namespace + "/" + secret + " has no aws_access_key_id");
            });
    function("guarded");
    TriggerId id = new TriggerId(NS, "secret");
    KinesisTriggerSpec spec = spec("guarded", stream, "trim_horizon");
    spec.setSecret("aws");
    p.specs.apply(id, spec);

    p.awaitReason(id, "CredentialsInvalid");
    BindingState state = p.states(id).getFirst();
    assertThat(state.phase()).isEqualTo(BindingState.Phase.SOURCE_UNAVAILABLE);
    assertThat(state.message()).isEqualTo("secret shop/aws has no aws_access_key_id");
  }

  /** How many records a shard holds now, as another reader sees it. */
  @Test
  void aRecordPutByTheAwsCliIsDelivered() throws Exception {
    Path aws = AwsCli.install();
    String stream = stream("aws-cli");
    create(stream, 1);
    RecordingFunction f = function("cli");
    Process p = new Process(new InMemoryShardCoordinator("cli", null));
    TriggerId id = new TriggerId(NS, "cli");
    p.specs.apply(id, spec("cli", stream, "trim_horizon"));
    p.awaitActive(id);

    ProcessBuilder put =
        new ProcessBuilder(
                aws.toString(),
                "kinesis",
                "put-record",
                "--endpoint-url",
                emulator.endpoint(),
                "--region",
                "us-east-1",
                "--stream-name",
                stream,
                "--partition-key",
                "cli-key",
                "--data",
                "hello from the aws cli")
            .redirectErrorStream(true);
    put.environment().put("AWS_ACCESS_KEY_ID", "local");
    put.environment().put("AWS_SECRET_ACCESS_KEY", "local");
    java.lang.Process cli = put.start();
    String out = new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(cli.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(cli.exitValue()).as(out).isZero();
    assertThat(out).contains("SequenceNumber");

    await().atMost(TIMEOUT).until(() -> f.received() == 1);
    RecordingFunction.Request r = f.requests().getFirst();
    assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("hello from the aws cli");
    assertThat(r.eventId()).startsWith(stream + "-shardId-000000000000-");
    assertThat(r.headers()).containsEntry("event-topic", stream);
  }

  private static int count(String stream, String shard) {
    String iterator =
        kinesis
            .getShardIterator(
                i -> i.streamName(stream).shardId(shard).shardIteratorType("TRIM_HORIZON"))
            .shardIterator();
    return kinesis.getRecords(b -> b.shardIterator(iterator).limit(10_000)).records().size();
  }

  @Test
  void aShardTakenOverByAnotherReplicaIsNoLongerSentAndIsReleased() throws Exception {
    String stream = stream("takeover");
    create(stream, 2);
    put(stream, 0, 400, 20);
    String kept = "shardId-000000000000";
    String lost = "shardId-000000000001";
    SteeredCoordinator coordinator =
        new SteeredCoordinator(new InMemoryShardCoordinator("replica-a", null), "replica-b");
    Process p = new Process(coordinator);
    RecordingFunction f = function("shared");
    f.delay(Duration.ofMillis(5));
    TriggerId id = new TriggerId(NS, "takeover");
    p.specs.apply(id, spec("shared", stream, "trim_horizon"));
    await()
        .atMost(TIMEOUT)
        .until(() -> f.requests().stream().anyMatch(r -> shardOf(stream, r).equals(lost)));

    // the coordinator knows a shard by its stream and id
    coordinator.takeOver(stream + "/" + lost);

    await().atMost(TIMEOUT).until(() -> coordinator.released().contains(stream + "/" + lost));
    int inKept = count(stream, kept);
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                f.requests().stream().filter(r -> shardOf(stream, r).equals(kept)).count()
                    == inKept);
    BindingKey key = new BindingKey(id, "shared");
    BigInteger checkpoint =
        new BigInteger(coordinator.checkpoint(key, stream + "/" + lost).orElseThrow());
    // nothing after the last checkpoint of the lost shard was sent: its new owner sends that
    assertThat(f.requests())
        .filteredOn(r -> shardOf(stream, r).equals(lost))
        .isNotEmpty()
        .allMatch(r -> sequenceOf(r).compareTo(checkpoint) <= 0);
    assertThat(f.duplicates()).isEmpty();
    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () -> {
              BindingState state = p.states(id).getFirst();
              assertThat(state.message()).contains("reading 1 of 2 shards");
              assertThat(state.units())
                  .filteredOn(u -> u.id().equals(lost))
                  .singleElement()
                  .satisfies(
                      u -> {
                        assertThat(u.owner()).isEqualTo("replica-b");
                        assertThat(u.state()).isEqualTo("Waiting");
                      });
            });

    coordinator.takeOver(stream + "/" + kept);

    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () -> {
              BindingState state = p.states(id).getFirst();
              assertThat(state.phase()).isEqualTo(BindingState.Phase.ACTIVE);
              assertThat(state.message()).contains("reading none of the 2 shards");
            });
    assertThat(coordinator.released()).contains(stream + "/" + kept, stream + "/" + lost);
  }

  @Test
  void aStopDropsAndCountsWhatItCannotSendInTimeAndNothingOfItIsSentAgain() throws Exception {
    String stream = stream("stop");
    create(stream, 1);
    put(stream, 0, 40, 4);
    ShardCoordinator coordinator = new InMemoryShardCoordinator("local", null);
    KinesisSettings d = settings();
    Process first =
        new Process(
            coordinator,
            DUMMY,
            new KinesisSettings(
                40,
                d.readInterval(),
                d.discoveryInterval(),
                d.throttleBackoff(),
                Duration.ofMillis(300),
                d.idleInterval()));
    RecordingFunction f = function("slowpoke");
    f.delay(Duration.ofMillis(100));
    TriggerId id = new TriggerId(NS, "stop");
    first.specs.apply(id, spec("slowpoke", stream, "trim_horizon"));
    // held here too, so the counters outlive the binding
    TriggerMetrics.Binding meters = first.engine.metrics().binding(NS, "stop", "slowpoke");
    await().atMost(TIMEOUT).until(() -> f.received() >= 1);

    first.close();

    double dropped =
        first
            .meters
            .find("kubeless.trigger.events.dropped")
            .tag("reason", "stopped")
            .counter()
            .count();
    meters.close();
    assertThat(dropped).isPositive();
    assertThat(f.distinct() + dropped).isEqualTo(40);
    int sent = f.distinct();

    Process second = new Process(coordinator);
    second.specs.apply(id, spec("slowpoke", stream, "trim_horizon"));
    put(stream, 40, 45, 4);
    await().atMost(TIMEOUT).until(() -> f.distinct() == sent + 5);
    assertThat(f.duplicates()).isEmpty();
    assertThat(f.requests().subList(sent, sent + 5)).allMatch(r -> n(r) >= 40);
  }

  @Test
  void atTimestampStartsAtTheFirstRecordThatArrivedThen() throws Exception {
    String stream = stream("since");
    create(stream, 1);
    put(stream, 0, 20, 1);
    await()
        .atMost(TIMEOUT)
        .until(
            () -> {
              put(stream, 20, 21, 1);
              List<software.amazon.awssdk.services.kinesis.model.Record> all = records(stream);
              return all.getLast()
                  .approximateArrivalTimestamp()
                  .isAfter(all.getFirst().approximateArrivalTimestamp());
            });
    List<software.amazon.awssdk.services.kinesis.model.Record> all = records(stream);
    java.time.Instant since = all.getLast().approximateArrivalTimestamp();
    Set<String> expected =
        all.stream()
            .filter(r -> !r.approximateArrivalTimestamp().isBefore(since))
            .map(r -> stream + "-shardId-000000000000-" + r.sequenceNumber())
            .collect(Collectors.toSet());
    assertThat(expected).hasSizeLessThan(all.size());
    Process p = new Process(new InMemoryShardCoordinator("local", null));
    RecordingFunction f = function("recent");
    TriggerId id = new TriggerId(NS, "since");
    KinesisTriggerSpec spec = spec("recent", stream, "at_timestamp");
    spec.setTimestamp(since.toString());
    p.specs.apply(id, spec);

    await().atMost(TIMEOUT).until(() -> f.distinct() == expected.size());
    p.awaitActive(id);
    assertThat(f.requests().stream().map(RecordingFunction.Request::eventId))
        .containsExactlyInAnyOrderElementsOf(expected);
  }

  private static List<software.amazon.awssdk.services.kinesis.model.Record> records(String stream) {
    String iterator =
        kinesis
            .getShardIterator(
                i ->
                    i.streamName(stream)
                        .shardId("shardId-000000000000")
                        .shardIteratorType("TRIM_HORIZON"))
            .shardIterator();
    return kinesis.getRecords(b -> b.shardIterator(iterator).limit(10_000)).records();
  }
}
