package io.kubeless.trigger.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.function.InMemoryFunctionDirectory;
import io.kubeless.trigger.invoke.Event;
import io.kubeless.trigger.invoke.Invoker;
import io.kubeless.trigger.metrics.TriggerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Ordered at-most-once delivery of committed batches, against a real HTTP function. */
class BatchTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static Vertx vertx;
  private static Invoker invoker;

  private final InMemoryFunctionDirectory directory = new InMemoryFunctionDirectory();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<Boolean> waits = new CopyOnWriteArrayList<>();
  private final List<Batch> done = new CopyOnWriteArrayList<>();
  private TriggerEngine engine;
  private TestingFunction function;

  @BeforeAll
  static void client() {
    vertx = Vertx.vertx();
    invoker = new Invoker(vertx, Invoker.Options.defaults());
  }

  @AfterAll
  static void closeClient() {
    invoker.close();
    vertx.close();
  }

  @BeforeEach
  void start() throws Exception {
    engine = new TriggerEngine(directory, invoker, new TriggerMetrics(registry));
    function = new TestingFunction();
    directory.put(function.endpoint("fn", true));
  }

  @AfterEach
  void stop() throws Exception {
    function.close();
    engine.close();
  }

  @Test
  void partitionOrderingSendsOneEventAtATimeInOrder() {
    function.delay(Duration.ofMillis(5));
    Batch batch = delivery(Ordering.PARTITION, 64, RetryPolicy.UNTIL_SENT).batch(items(50, 5));

    batch.start();

    await().atMost(TIMEOUT).until(batch::isDone);
    assertThat(function.bodies).containsExactlyElementsOf(bodies(50, 5));
    assertThat(function.mostInFlight()).isEqualTo(1);
    assertThat(done).containsExactly(batch);
  }

  @Test
  void keyOrderingKeepsEachKeyInOrderAndRunsKeysInParallelUpToTheBound() {
    function.delay(Duration.ofMillis(30));
    Batch batch = delivery(Ordering.KEY, 4, RetryPolicy.UNTIL_SENT).batch(items(80, 8));

    batch.start();

    await().atMost(TIMEOUT).until(batch::isDone);
    assertThat(function.bodies).hasSize(80).doesNotHaveDuplicates();
    assertInOrderPerKey(function.bodies);
    assertThat(function.mostInFlight()).isBetween(2, 4);
  }

  @Test
  void aUnitsNextBatchStartsOnceThisOneIsSentAndKeepsEachKeysOrderAcrossBothUnderFewSlots() {
    function.delay(Duration.ofMillis(5));
    Delivery delivery = delivery(Ordering.KEY, 4, RetryPolicy.UNTIL_SENT);
    // two units (partitions), five batches each, competing for four slots; a unit's next batch
    // starts as soon as its last one has sent everything, as a source does
    Map<Integer, Batch> last = new HashMap<>();
    List<Batch> all = new ArrayList<>();
    for (int round = 0; round < 5; round++) {
      for (int unit = 0; unit < 2; unit++) {
        Batch previous = last.get(unit);
        if (previous != null) {
          await().atMost(TIMEOUT).until(previous::isSent);
        }
        List<Batch.Item> items = new ArrayList<>();
        for (int n = 0; n < 40; n++) {
          items.add(item("u" + unit + "k" + (n % 6), round * 40 + n));
        }
        Batch batch = delivery.batch(items, previous);
        batch.start();
        last.put(unit, batch);
        all.add(batch);
      }
    }

    await().atMost(TIMEOUT).until(() -> all.stream().allMatch(Batch::isDone));
    assertThat(function.bodies).hasSize(400).doesNotHaveDuplicates();
    assertInOrderPerKey(function.bodies);
    assertThat(function.mostInFlight()).isBetween(2, 4);
    assertThat(delivery.inFlight()).isZero();
  }

  @Test
  void noOrderingRunsEverythingInParallelUpToTheBoundSharedByTheBindingsBatches() {
    function.delay(Duration.ofMillis(30));
    Delivery delivery = delivery(Ordering.NONE, 6, RetryPolicy.UNTIL_SENT);
    Batch first = delivery.batch(items(30, 1));
    Batch second = delivery.batch(items(30, 1));

    first.start();
    second.start();

    await().atMost(TIMEOUT).until(() -> first.isDone() && second.isDone());
    assertThat(function.bodies).hasSize(60);
    assertThat(function.mostInFlight()).isBetween(2, 6);
    assertThat(delivery.inFlight()).isZero();
  }

  @Test
  void anUnreachableFunctionIsWaitedForAndEachEventSentOnceWhenItIsBack() throws Exception {
    int port = TestingFunction.freePort();
    directory.put(TestingFunction.endpoint(port, "fn", true));
    Delivery delivery = delivery(Ordering.KEY, 8, RetryPolicy.UNTIL_SENT);
    Batch batch = delivery.batch(items(20, 4));

    batch.start();

    await().atMost(TIMEOUT).until(() -> waits.contains(true));
    assertThat(delivery.available()).isFalse();
    try (TestingFunction late = TestingFunction.on(port)) {
      await().atMost(TIMEOUT).until(batch::isDone);
      assertThat(late.bodies).hasSize(20).doesNotHaveDuplicates();
      assertInOrderPerKey(late.bodies);
    }
    assertThat(waits).containsExactly(true, false);
    assertThat(outcomes("unavailable")).isPositive();
    assertThat(outcomes("success")).isEqualTo(20);
  }

  @Test
  void aFunctionWithoutAReadyEndpointIsWaitedForAcrossRetriesUntilItIsReady() {
    directory.put(function.endpoint("fn", false));
    Delivery delivery = delivery(Ordering.PARTITION, 1, RetryPolicy.UNTIL_SENT);
    Batch batch = delivery.batch(items(10, 1));

    batch.start();

    // several retries find it still not ready
    await().during(Duration.ofMillis(500)).atMost(TIMEOUT).until(() -> function.bodies.isEmpty());
    assertThat(waits).containsExactly(true);
    assertThat(paused()).as("kubeless_trigger_paused while it waits").isEqualTo(1.0);
    directory.put(function.endpoint("fn", true));
    await().atMost(TIMEOUT).until(batch::isDone);
    assertThat(function.bodies).containsExactlyElementsOf(bodies(10, 1));
    assertThat(waits).containsExactly(true, false);
    assertThat(paused()).isEqualTo(0.0);
    // the invocations' durations also land in histogram buckets (for percentiles)
    assertThat(
            registry
                .get("kubeless.trigger.invocation.duration")
                .tag("function", "fn")
                .timer()
                .takeSnapshot()
                .histogramCounts())
        .isNotEmpty()
        .anySatisfy(b -> assertThat(b.count()).isEqualTo(10.0));
  }

  @Test
  void withoutRetriesWhatCouldNotLeaveIsCountedAndDropped() throws Exception {
    directory.put(TestingFunction.endpoint(TestingFunction.freePort(), "fn", true));
    Batch batch = delivery(Ordering.PARTITION, 1, RetryPolicy.NEVER).batch(items(5, 1));

    batch.start();

    await().atMost(TIMEOUT).until(batch::isDone);
    assertThat(outcomes("unavailable")).isEqualTo(5);
    assertThat(waits).isEmpty();
  }

  @Test
  void aStoppedBatchSendsNothingAfterTheEventInFlightAndSaysWhereTheUnsentRestStarts()
      throws Exception {
    function.delay(Duration.ofMillis(300));
    Batch batch = delivery(Ordering.PARTITION, 1, RetryPolicy.UNTIL_SENT).batch(items(10, 1));
    batch.start();
    await().atMost(TIMEOUT).until(() -> function.bodies.size() == 1);

    batch.stop();

    assertThat(batch.awaitFirstUnsent(Duration.ofSeconds(5))).isEqualTo(1);
    await()
        .during(Duration.ofMillis(500))
        .atMost(Duration.ofSeconds(2))
        .until(() -> function.bodies.size() == 1);
  }

  @Test
  void aStoppedKeyOrderedBatchStillSendsWhatWaitedBehindTheLastEventSentSoTheUnsentRestIsARun()
      throws Exception {
    function.delay(Duration.ofMillis(300));
    // k0, k0, k1, k2, k3: with two slots, 0 and 2 leave first; 1 waits for its key
    List<Batch.Item> items = new ArrayList<>();
    for (String key : List.of("k0", "k0", "k1", "k2", "k3")) {
      items.add(item(key, items.size()));
    }
    Batch batch = delivery(Ordering.KEY, 2, RetryPolicy.UNTIL_SENT).batch(items);
    batch.start();
    await().atMost(TIMEOUT).until(() -> function.bodies.size() == 2);

    batch.stop();

    // event 1 is behind event 2, which may have reached the function: it is sent; 3 and 4 are not
    assertThat(batch.awaitFirstUnsent(Duration.ofSeconds(5))).isEqualTo(3);
    await().atMost(TIMEOUT).until(() -> function.bodies.size() == 3);
    assertThat(function.bodies).containsExactlyInAnyOrder("k0:0", "k1:2", "k0:1");
  }

  @Test
  void aBatchStoppedWhileItsFunctionIsUnavailableHandsBackTheEventThatNeverLeft() throws Exception {
    directory.put(TestingFunction.endpoint(TestingFunction.freePort(), "fn", true));
    Batch batch = delivery(Ordering.PARTITION, 1, RetryPolicy.UNTIL_SENT).batch(items(5, 1));
    batch.start();
    await().atMost(TIMEOUT).until(() -> waits.contains(true));

    batch.stop();

    assertThat(batch.awaitFirstUnsent(Duration.ofSeconds(5))).isZero();
    assertThat(batch.isDone()).isTrue();
    assertThat(waits).containsExactly(true, false);
  }

  // --- helpers -------------------------------------------------------------------------------

  private double paused() {
    return registry.get("kubeless.trigger.paused").tag("function", "fn").gauge().value();
  }

  private Delivery delivery(Ordering ordering, int maxInFlight, RetryPolicy retry) {
    return new Delivery(
        engine,
        "TestTrigger",
        new TriggerId("ns", "t"),
        "fn",
        new Delivery.Settings(ordering, maxInFlight, retry),
        new TriggerMetrics(registry).binding("ns", "t", "fn"),
        new Delivery.Listener() {
          @Override
          public void waiting(boolean waiting, String why) {
            waits.add(waiting);
          }

          @Override
          public void batchSent(Batch batch) {
            done.add(batch);
          }
        });
  }

  /** {@code count} events over {@code keys} keys: body {@code k<key>:<n>}. */
  private static List<Batch.Item> items(int count, int keys) {
    return IntStream.range(0, count).mapToObj(n -> item("k" + (n % keys), n)).toList();
  }

  private static List<String> bodies(int count, int keys) {
    return IntStream.range(0, count).mapToObj(n -> "k" + (n % keys) + ":" + n).toList();
  }

  private static Batch.Item item(String key, int n) {
    return new Batch.Item(
        key,
        new Event(
            "t-0-" + n,
            Instant.now(),
            "tests.kubeless.io",
            "t",
            "/test",
            "io.kubeless.test",
            "text/plain",
            (key + ":" + n).getBytes(StandardCharsets.UTF_8)));
  }

  private static void assertInOrderPerKey(List<String> bodies) {
    Map<String, Integer> last = new HashMap<>();
    for (String body : bodies) {
      String[] parts = body.split(":");
      Integer previous = last.put(parts[0], Integer.parseInt(parts[1]));
      assertThat(previous == null || previous < Integer.parseInt(parts[1]))
          .as("%s after %s", body, previous)
          .isTrue();
    }
  }

  private double outcomes(String outcome) {
    return registry.find("kubeless.trigger.invocations").tag("outcome", outcome).counters().stream()
        .mapToDouble(c -> c.count())
        .sum();
  }
}
