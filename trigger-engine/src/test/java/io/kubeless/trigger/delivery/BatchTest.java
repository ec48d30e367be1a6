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
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

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
  void anEventRefusedWhileTheBatchWasDrainedFromElsewhereIsStillSentWhenTheFunctionIsBack()
      throws Exception {
    int port = TestingFunction.freePort();
    directory.put(TestingFunction.endpoint(port, "fn", true));
    Batch batch = delivery(Ordering.PARTITION, 1, RetryPolicy.UNTIL_SENT).batch(items(5, 1));
    batch.start();
    // what a unit's earlier batch (its retry timer, its last answer) does to this one: drain it
    // while its event is in flight, here as often as possible
    AtomicBoolean draining = new AtomicBoolean(true);
    Thread other =
        Thread.ofPlatform()
            .start(
                () -> {
                  while (draining.get()) {
                    batch.drain();
                  }
                });
    try {
      // the first event is refused, retried and refused again several times
      await().atMost(TIMEOUT).until(() -> outcomes("unavailable") >= 5);
    } finally {
      draining.set(false);
      other.join();
    }
    assertThat(batch.isDone()).isFalse();
    try (TestingFunction late = TestingFunction.on(port)) {
      await().atMost(TIMEOUT).until(batch::isDone);
      assertThat(late.bodies).containsExactlyElementsOf(bodies(5, 1));
    }
    assertThat(outcomes("success")).isEqualTo(5);
  }

  @ParameterizedTest
  @EnumSource(Ordering.class)
  void whileTheFunctionComesAndGoesEveryEventEndsOnceCountedNeverTwiceAndInOrder(Ordering ordering)
      throws Exception {
    int batches = 12;
    int size = 25;
    Flapping flapping = new Flapping(delivery(ordering, 4, RetryPolicy.UNTIL_SENT));
    try (flapping) {
      flapping.send(batches, size);
    }
    try (TestingFunction last = TestingFunction.on(flapping.port)) {
      flapping.lives.add(last);
      await().atMost(TIMEOUT).until(() -> flapping.batches.stream().allMatch(Batch::isDone));
    }
    int total = batches * size;
    List<String> received = flapping.received();
    assertThat(received).doesNotHaveDuplicates();
    // each event ended once: answered, or dropped as a failure that may have reached the function
    double success = outcomes("success");
    double failed = outcomes("function_error") + outcomes("timeout");
    assertThat(success + failed).as("events that ended, of %d", total).isEqualTo(total);
    assertThat(received.size()).isBetween((int) success, total);
    assertThat(outcomes("unavailable")).as("refusals while it was down").isPositive();
    if (ordering == Ordering.PARTITION) {
      assertThat(received).isSortedAccordingTo(Comparator.comparingInt(BatchTest::number));
    } else if (ordering == Ordering.KEY) {
      // one life after the other: the next event of a key leaves once the last one has ended
      assertInOrderPerKey(received);
    }
  }

  @ParameterizedTest
  @EnumSource(Ordering.class)
  void stoppedWhileTheFunctionComesAndGoesNoEventHandedBackHasBeenSentAndNoneTwice(
      Ordering ordering) throws Exception {
    int size = 25;
    int batches = ThreadLocalRandom.current().nextInt(3, 10);
    int[] firstUnsent = new int[batches];
    Flapping flapping = new Flapping(delivery(ordering, 4, RetryPolicy.UNTIL_SENT));
    try (flapping) {
      flapping.send(batches, size);
      // a rebalance: the unit's batches stop while the last one is still sending or waiting
      flapping.batches.forEach(Batch::stop);
      for (int b = 0; b < batches; b++) {
        firstUnsent[b] = flapping.batches.get(b).awaitFirstUnsent(TIMEOUT);
      }
    }
    List<String> received = flapping.received();
    assertThat(received).doesNotHaveDuplicates();
    int kept = 0;
    for (int b = 0; b < batches; b++) {
      int from = firstUnsent[b] < 0 ? size : firstUnsent[b];
      kept += from;
      // what is handed back the source sends again: none of it may have left
      for (String body : received) {
        int n = number(body);
        assertThat(n < b * size || n >= (b + 1) * size || n - b * size < from)
            .as("event %d was received but batch %d hands back from %d", n, b, from)
            .isTrue();
      }
      assertThat(flapping.batches.get(b).isDone()).isTrue();
    }
    double ended = outcomes("success") + outcomes("function_error") + outcomes("timeout");
    assertThat(ended)
        .as("events that ended, of the %d not handed back", kept)
        .isLessThanOrEqualTo(kept);
    assertThat(received.size()).isLessThanOrEqualTo((int) ended);
  }

  /**
   * A function that stops (its requests in flight break) and comes back on one port, again and
   * again, while another thread drains a unit's batches as their neighbours and timers do.
   */
  private final class Flapping implements AutoCloseable {

    final int port;
    final Delivery delivery;
    final List<Batch> batches = new CopyOnWriteArrayList<>();
    final List<TestingFunction> lives = new CopyOnWriteArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread flaps;
    private final Thread drains;

    Flapping(Delivery delivery) throws Exception {
      this.port = TestingFunction.freePort();
      this.delivery = delivery;
      directory.put(TestingFunction.endpoint(port, "fn", true));
      flaps = Thread.ofPlatform().start(this::flap);
      drains =
          Thread.ofPlatform()
              .start(
                  () -> {
                    while (running.get()) {
                      batches.forEach(Batch::drain);
                      java.util.concurrent.locks.LockSupport.parkNanos(20_000);
                    }
                  });
    }

    private void flap() {
      try {
        while (running.get()) {
          TestingFunction life = TestingFunction.on(port);
          life.delay(Duration.ofMillis(1));
          lives.add(life);
          Thread.sleep(ThreadLocalRandom.current().nextInt(20, 120));
          life.close();
          Thread.sleep(ThreadLocalRandom.current().nextInt(5, 60));
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    /**
     * Sends {@code count} batches of {@code size} events over 5 keys, each started once the one
     * before has sent everything, as a source does.
     */
    void send(int count, int size) {
      Batch previous = null;
      for (int b = 0; b < count; b++) {
        if (previous != null) {
          await().atMost(TIMEOUT).until(previous::isSent);
        }
        List<Batch.Item> items = new ArrayList<>();
        for (int n = b * size; n < (b + 1) * size; n++) {
          items.add(item("k" + (n % 5), n));
        }
        Batch batch = delivery.batch(items, previous);
        batches.add(batch);
        batch.start();
        previous = batch;
      }
    }

    /** What every life of the function received, one life after the other. */
    List<String> received() {
      return lives.stream().flatMap(l -> l.bodies.stream()).toList();
    }

    /** Stops flapping (the function stays down) and draining. */
    @Override
    public void close() throws InterruptedException {
      running.set(false);
      flaps.join();
      drains.join();
      lives.forEach(TestingFunction::close);
    }
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

  private static int number(String body) {
    return Integer.parseInt(body.substring(body.indexOf(':') + 1));
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
