package io.kubeless.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.delivery.Ordering;
import io.kubeless.trigger.engine.BindingState;
import io.kubeless.trigger.engine.Bindings;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerSource;
import io.kubeless.trigger.engine.TriggerState;
import io.kubeless.trigger.function.InMemoryFunctionDirectory;
import io.kubeless.trigger.invoke.Invoker;
import io.kubeless.trigger.metrics.TriggerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The delivery contract every trigger passes, each against its real source (Kafka: a KRaft broker
 * in the JVM; NATS: {@code nats-server}; Kinesis: {@code kinesis-local}) and functions that are
 * real HTTP servers ({@link RecordingFunction}):
 *
 * <ul>
 *   <li>each event reaches a bound function once, in order per ordering unit (partition, shard,
 *       subject), and with key ordering in order per key while keys run in parallel;
 *   <li>while the function has no ready endpoint, delivery pauses, loses nothing and resumes by
 *       itself; a source that keeps nothing (core NATS, {@link #keepsEvents()} false) instead drops
 *       what arrives meanwhile and counts every event it does not deliver;
 *   <li>a 5xx and a timeout are counted and dropped, and the flow goes on;
 *   <li>empty, binary (invalid UTF-8), large (5 MB, or the source's limit) and JSON payloads arrive
 *       byte-identical with the right content type;
 *   <li>the packaged trigger, SIGKILLed mid-stream and started again, duplicates nothing and loses
 *       within its documented bound; a second replica joining and leaving (SIGTERM) duplicates and
 *       loses nothing. For a source that keeps nothing, the stream is published while the replicas
 *       run (what is published while none runs is gone by design): a SIGKILL duplicates nothing and
 *       delivery resumes after it; a graceful leave loses nothing.
 * </ul>
 *
 * A trigger module extends it with its source: how to make a stream and publish to it, how to bind
 * a function to it in an engine of this JVM, and how to deploy its packaged application. Bound
 * functions are registered in namespace {@link #NAMESPACE} with the label {@code
 * contract-function=<name>}.
 */
@BrokerTest
public abstract class TriggerEngineContractTest {

  protected static final Duration TIMEOUT = Duration.ofSeconds(90);
  protected static final String NAMESPACE = "contract";
  protected static final String LABEL = "contract-function";
  private static final int RECORDS = 20_000;
  private static final Duration DRAIN = Duration.ofMinutes(4);
  private static final Pattern KEYED = Pattern.compile("\\{\"key\":\"([^\"]+)\",\"n\":(\\d+)}");

  /** One message to publish to a unit of a stream, with an ordering key (or null). */
  public record Message(int unit, String key, byte[] payload, String contentType) {

    public static Message json(int unit, String key, int n) {
      String body = key == null ? "{\"n\":" + n + "}" : "{\"key\":\"" + key + "\",\"n\":" + n + "}";
      return new Message(unit, key, body.getBytes(StandardCharsets.UTF_8), null);
    }
  }

  /** A stream of the source under test (a topic, a subject, a stream) with its ordering units. */
  protected interface Stream {

    String name();

    /** Publishes the messages in order, and returns once the source has them all. */
    void publish(List<Message> messages);
  }

  /** A function bound to a stream in an engine of this JVM. */
  protected interface Binding extends AutoCloseable {

    /** The binding's state. */
    List<BindingState> states();
  }

  /** The packaged trigger application, bound to one function, and the cluster it reads. */
  protected interface Deployment extends AutoCloseable {

    /** Starts a replica named {@code identity} (its pod name) and waits until it is live. */
    Replica start(String identity);

    /** Whether everything published has been taken from the source (committed, acknowledged). */
    boolean drained();
  }

  /** One replica of the packaged trigger, as its own OS process. */
  protected interface Replica {

    /** SIGKILL, as the OOM killer or a node loss. */
    void kill() throws InterruptedException;

    /** SIGTERM, as a rolling update; returns whether it ended within {@code timeout}. */
    boolean terminate(Duration timeout) throws InterruptedException;
  }

  // --- what each source supplies ---------------------------------------------------------

  /** A new stream with {@code units} ordering units, named after {@code prefix}. */
  protected abstract Stream stream(String prefix, int units);

  /**
   * Binds the function {@code function} of {@link #NAMESPACE} to {@code stream} in {@code engine}.
   */
  protected abstract Binding bind(
      TriggerEngine engine, Stream stream, String function, Ordering ordering);

  /** Deploys the packaged trigger bound to {@code function} on {@code stream}. */
  protected abstract Deployment deploy(Stream stream, RecordingFunction function);

  /** The ordering unit a received event came from. */
  protected abstract int unit(RecordingFunction.Request request);

  /** The event's position in its unit: larger is later. */
  protected abstract long position(RecordingFunction.Request request);

  /** Most events one SIGKILL of the packaged trigger may lose, for a stream of {@code units}. */
  protected abstract int lossBoundPerKill(int units);

  /**
   * The size of the contract's large payload: 5 MB, or the source's limit when it is smaller
   * (Kinesis takes at most 1 MiB per record).
   */
  protected int largePayload() {
    return 5 * 1024 * 1024;
  }

  /** Whether the source carries a content type with each event. */
  protected boolean declaresContentType() {
    return true;
  }

  /**
   * Whether the source keeps events until they are taken (Kafka, JetStream, Kinesis); core NATS
   * does not: what arrives while nobody is subscribed, or while the function is unavailable, is
   * gone.
   */
  protected boolean keepsEvents() {
    return true;
  }

  /**
   * A binding of {@code spec} (trigger {@code t-<function>} of {@link #NAMESPACE}) through {@code
   * source} in {@code engine}; closing it closes the bindings, then the source.
   */
  protected static <S, W> Binding bindThrough(
      TriggerEngine engine, TriggerSource<S, W> source, String function, S spec) {
    Bindings<S, W> bindings = new Bindings<>(engine, source, Duration.ofSeconds(2));
    TestingSpecs<S> specs = new TestingSpecs<>();
    bindings.open(specs);
    TriggerId id = new TriggerId(NAMESPACE, "t-" + function);
    specs.apply(id, spec);
    return new Binding() {
      @Override
      public List<BindingState> states() {
        return bindings.state(id).map(TriggerState::functions).orElse(List.of());
      }

      @Override
      public void close() throws Exception {
        bindings.close();
        if (source instanceof AutoCloseable closeable) {
          closeable.close();
        }
      }
    };
  }

  /** The label selector of the contract's function {@code function}. */
  protected static io.fabric8.kubernetes.api.model.LabelSelector selecting(String function) {
    return new io.fabric8.kubernetes.api.model.LabelSelectorBuilder()
        .withMatchLabels(Map.of(LABEL, function))
        .build();
  }

  /**
   * The packaged trigger application (its {@code kubeless.trigger.jar}) on {@code api}, with a
   * short status interval and Lease timings so that a killed replica's Lease moves on quickly; the
   * source's own settings are added to it.
   */
  protected static PackagedApp.Builder packagedTrigger(MockApiServer api) {
    return PackagedApp.of("kubeless.trigger.jar")
        .apiServer(api, "kubeless")
        .property("kubeless.trigger.status-interval", "2s")
        .property("kubeless.trigger.leader-election.lease-duration", "4s")
        .property("kubeless.trigger.leader-election.renew-deadline", "3s")
        .property("kubeless.trigger.leader-election.retry-period", "1s");
  }

  /**
   * A deployment whose replicas {@code replica} starts by identity, drained when {@code drained}
   * says so; closing it stops every replica, then {@code api}.
   */
  protected static Deployment packaged(
      MockApiServer api, Function<String, PackagedApp> replica, BooleanSupplier drained) {
    List<PackagedApp> replicas = new CopyOnWriteArrayList<>();
    return new Deployment() {
      @Override
      public Replica start(String identity) {
        PackagedApp app = replica.apply(identity);
        replicas.add(app);
        return new Replica() {
          @Override
          public void kill() throws InterruptedException {
            app.kill();
          }

          @Override
          public boolean terminate(Duration timeout) throws InterruptedException {
            return app.terminate(timeout);
          }
        };
      }

      @Override
      public boolean drained() {
        return drained.getAsBoolean();
      }

      @Override
      public void close() {
        replicas.forEach(PackagedApp::close);
        api.close();
      }
    };
  }

  // --- the fixture -----------------------------------------------------------------------

  private static Vertx vertx;
  private static Invoker invoker;
  protected InMemoryFunctionDirectory directory;
  protected SimpleMeterRegistry registry;
  protected TriggerEngine engine;
  private final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeAll
  static void startClient() {
    vertx = Vertx.vertx();
    // a short grace, so that timeouts are quick to test
    invoker =
        new Invoker(
            vertx,
            new Invoker.Options(
                Duration.ofSeconds(5), Duration.ofSeconds(15), 64, Duration.ofMillis(200)));
  }

  @AfterAll
  static void stopClient() {
    invoker.close();
    vertx.close();
  }

  @BeforeEach
  void startEngine() {
    directory = new InMemoryFunctionDirectory();
    registry = new SimpleMeterRegistry();
    engine = new TriggerEngine(directory, invoker, new TriggerMetrics(registry));
  }

  @AfterEach
  void stopEngine() throws Exception {
    for (AutoCloseable c : closing.reversed()) {
      c.close();
    }
    engine.close();
  }

  /** A function server, registered ready with a timeout of 2 s, closed after the test. */
  protected RecordingFunction function(String name) throws IOException {
    RecordingFunction f = new RecordingFunction(name);
    closing.add(f);
    ready(f, true, Duration.ofSeconds(2));
    return f;
  }

  protected void ready(RecordingFunction f, boolean ready, Duration timeout) {
    directory.put(f.endpoint(NAMESPACE, Map.of(LABEL, f.name()), ready, timeout));
  }

  private Binding bound(Stream stream, RecordingFunction f, Ordering ordering) {
    Binding binding = bind(engine, stream, f.name(), ordering);
    closing.add(binding);
    return binding;
  }

  // --- the contract ----------------------------------------------------------------------

  @Test
  void eachEventReachesTheFunctionOnceInOrderPerUnit() throws Exception {
    Stream stream = stream("ordered", 3);
    RecordingFunction f = function("ordered");
    Binding binding = bound(stream, f, Ordering.PARTITION);
    awaitActive(binding);

    stream.publish(IntStream.range(0, 600).mapToObj(i -> Message.json(i % 3, null, i)).toList());

    await().atMost(TIMEOUT).until(() -> f.distinct() == 600);
    assertThat(f.duplicates()).isEmpty();
    assertInOrderPerUnit(f);
    assertThat(f.requests()).extracting(this::unit).containsOnly(0, 1, 2);
  }

  @Test
  void withKeyOrderingEachKeyIsInOrderAndKeysRunInParallel() throws Exception {
    Stream stream = stream("keyed", 1);
    RecordingFunction f = function("keyed");
    f.delay(Duration.ofMillis(20));
    Binding binding = bound(stream, f, Ordering.KEY);
    awaitActive(binding);

    stream.publish(
        IntStream.range(0, 400).mapToObj(i -> Message.json(0, "k" + (i % 20), i)).toList());

    await().atMost(TIMEOUT).until(() -> f.distinct() == 400);
    assertThat(f.duplicates()).isEmpty();
    Map<String, Integer> last = new HashMap<>();
    for (RecordingFunction.Request r : f.requests()) {
      Matcher m = KEYED.matcher(new String(r.body(), StandardCharsets.UTF_8));
      assertThat(m.matches()).as(r.eventId()).isTrue();
      Integer previous = last.put(m.group(1), Integer.parseInt(m.group(2)));
      assertThat(previous == null || previous < Integer.parseInt(m.group(2)))
          .as("%s after %s of key %s", m.group(2), previous, m.group(1))
          .isTrue();
    }
    assertThat(f.mostInFlight()).as("requests in flight at once").isGreaterThan(1);
  }

  @Test
  void aFunctionWithoutAReadyEndpointPausesDeliveryLosesNothingAndResumesByItself()
      throws Exception {
    Stream stream = stream("paused", 2);
    RecordingFunction f = function("paused");
    Binding binding = bound(stream, f, Ordering.PARTITION);
    awaitActive(binding);
    if (!keepsEvents()) {
      dropsAndCountsWhileTheFunctionIsUnavailable(stream, f, binding);
      return;
    }
    stream.publish(IntStream.range(0, 100).mapToObj(i -> Message.json(i % 2, null, i)).toList());
    await().atMost(TIMEOUT).until(() -> f.distinct() == 100);

    // the pods die before the directory notices: connections are refused
    f.down();
    stream.publish(IntStream.range(100, 200).mapToObj(i -> Message.json(i % 2, null, i)).toList());
    await()
        .atMost(TIMEOUT)
        .until(() -> phases(binding).contains(BindingState.Phase.FUNCTION_UNAVAILABLE));
    // then the directory says so too
    ready(f, false, Duration.ofSeconds(2));
    stream.publish(IntStream.range(200, 300).mapToObj(i -> Message.json(i % 2, null, i)).toList());
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(3))
        .until(() -> f.distinct() == 100);

    f.up();
    ready(f, true, Duration.ofSeconds(2));

    await().atMost(TIMEOUT).until(() -> f.distinct() == 300);
    assertThat(f.duplicates()).isEmpty();
    assertThat(f.received()).isEqualTo(300);
    assertInOrderPerUnit(f);
    awaitActive(binding);
    assertThat(counter("kubeless.trigger.invocations", f.name(), "unavailable")).isPositive();
  }

  /**
   * A source that keeps nothing: what arrives while the function is unavailable is dropped, and
   * every event is either delivered once or counted as dropped; delivery resumes by itself.
   */
  private void dropsAndCountsWhileTheFunctionIsUnavailable(
      Stream stream, RecordingFunction f, Binding binding) throws Exception {
    stream.publish(IntStream.range(0, 100).mapToObj(i -> Message.json(i % 2, null, i)).toList());
    await().atMost(TIMEOUT).until(() -> f.distinct() == 100);

    f.down();
    stream.publish(IntStream.range(100, 200).mapToObj(i -> Message.json(i % 2, null, i)).toList());
    await()
        .atMost(TIMEOUT)
        .until(() -> phases(binding).contains(BindingState.Phase.FUNCTION_UNAVAILABLE));
    ready(f, false, Duration.ofSeconds(2));
    stream.publish(IntStream.range(200, 300).mapToObj(i -> Message.json(i % 2, null, i)).toList());
    // all of the last 100 arrive while it is unavailable: dropped, counted, and the status says so
    await().atMost(TIMEOUT).until(() -> dropped(f.name()) >= 100);
    await()
        .atMost(TIMEOUT)
        .until(() -> binding.states().stream().anyMatch(st -> st.dropped() >= 100));

    f.up();
    ready(f, true, Duration.ofSeconds(2));
    awaitActive(binding);
    stream.publish(IntStream.range(300, 400).mapToObj(i -> Message.json(i % 2, null, i)).toList());

    // a request written on a kept-alive connection just as the function went down may have
    // reached it: that one is dropped as a function error (never retried), counted as such, and
    // it may have been recorded by the function too (it closed the connection before answering);
    // one on a connection the stopping server accepted and never served ends as a timeout
    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () -> {
              int delivered = f.distinct();
              double dropped = dropped(f.name());
              double errors = counter("kubeless.trigger.invocations", f.name(), "function_error");
              double timeouts = counter("kubeless.trigger.invocations", f.name(), "timeout");
              assertThat(
                      delivered + dropped <= 400
                          && delivered + dropped + errors + timeouts >= 400
                          && receivedAll(f, 300, 400))
                  .as(
                      "delivered %d + dropped %s (+ function errors %s, timeouts %s) of 400; of"
                          + " 300..399 missing %s; states %s",
                      delivered, dropped, errors, timeouts, missing(f, 300, 400), binding.states())
                  .isTrue();
            });
    assertThat(f.duplicates()).isEmpty();
    assertInOrderPerUnit(f);
    assertThat(counter("kubeless.trigger.invocations", f.name(), "unavailable")).isPositive();
  }

  private double dropped(String function) {
    return registry
        .find("kubeless.trigger.events.dropped")
        .tag("function", function)
        .counters()
        .stream()
        .mapToDouble(c -> c.count())
        .sum();
  }

  private static List<Integer> missing(RecordingFunction f, int from, int to) {
    Set<Integer> got =
        f.requests().stream().map(TriggerEngineContractTest::n).collect(Collectors.toSet());
    return IntStream.range(from, to).filter(n -> !got.contains(n)).boxed().toList();
  }

  private static boolean receivedAll(RecordingFunction f, int from, int to) {
    return f.requests().stream()
            .map(TriggerEngineContractTest::n)
            .filter(n -> n >= from && n < to)
            .distinct()
            .count()
        == to - from;
  }

  @Test
  void errorsAndTimeoutsAreCountedAndDroppedWhileTheFlowContinues() throws Exception {
    Stream stream = stream("failing", 1);
    RecordingFunction f = function("failing");
    ready(f, true, Duration.ofMillis(300));
    // beyond the 300 ms timeout and the invoker's grace of 200 ms
    f.delay(r -> n(r) == 7 ? Duration.ofMillis(1500) : Duration.ZERO);
    f.answer(r -> n(r) % 10 == 3 ? 500 : 200);
    Binding binding = bound(stream, f, Ordering.PARTITION);
    awaitActive(binding);

    stream.publish(IntStream.range(0, 50).mapToObj(i -> Message.json(0, null, i)).toList());

    await().atMost(TIMEOUT).until(() -> f.distinct() == 50);
    await()
        .atMost(TIMEOUT)
        .until(() -> counter("kubeless.trigger.invocations", f.name(), null) == 50);
    assertThat(f.duplicates()).isEmpty();
    assertThat(counter("kubeless.trigger.invocations", f.name(), "function_error")).isEqualTo(5);
    assertThat(counter("kubeless.trigger.invocations", f.name(), "timeout")).isEqualTo(1);
    assertThat(counter("kubeless.trigger.invocations", f.name(), "success")).isEqualTo(44);
    assertInOrderPerUnit(f);
  }

  @Test
  void payloadsArriveByteIdenticalWithTheRightContentType() throws Exception {
    Stream stream = stream("payloads", 1);
    RecordingFunction f = function("payloads");
    Binding binding = bound(stream, f, Ordering.PARTITION);
    awaitActive(binding);
    byte[] big = new byte[largePayload()];
    new Random(7).nextBytes(big);
    Map<byte[], String> expected = new LinkedHashMap<>();
    expected.put(new byte[0], "text/plain; charset=utf-8");
    expected.put(new byte[] {(byte) 0xc3, 0x28, 0x00, (byte) 0xff}, "application/octet-stream");
    expected.put(big, "application/octet-stream");
    expected.put(utf8("{\"order\": 42, \"items\": [1, 2]}"), "application/json");
    expected.put(utf8(" [1, {\"a\": \"ü\"}]\n"), "application/json");
    expected.put(utf8("héllo {not json"), "text/plain; charset=utf-8");
    List<Message> messages = new ArrayList<>();
    expected.keySet().forEach(body -> messages.add(new Message(0, null, body, null)));
    if (declaresContentType()) {
      byte[] csv = utf8("a,b\n1,2");
      messages.add(new Message(0, null, csv, "text/csv"));
      expected.put(csv, "text/csv");
    }

    stream.publish(messages);

    await().atMost(TIMEOUT).until(() -> f.distinct() == messages.size());
    List<RecordingFunction.Request> got = f.requests();
    int i = 0;
    for (var entry : expected.entrySet()) {
      RecordingFunction.Request request = got.get(i++);
      assertThat(request.body()).as("payload %d", i).isEqualTo(entry.getKey());
      assertThat(request.headers().get("content-type"))
          .as("payload %d", i)
          .isEqualTo(entry.getValue());
      assertThat(request.headers().get("event-type")).isEqualTo(entry.getValue());
    }
  }

  @Test
  void thePackagedTriggerKilledMidStreamDuplicatesNothingAndLosesWithinItsBound() throws Exception {
    int units = 3;
    Stream stream = stream("crash", units);
    RecordingFunction f = new RecordingFunction("counter");
    closing.add(f);
    // slow enough that the stream is still flowing when the kills come
    f.delay(Duration.ofMillis(1));
    if (!keepsEvents()) {
      killedWhileThePublisherRuns(stream, f, units);
      return;
    }
    stream.publish(
        IntStream.range(0, RECORDS).mapToObj(i -> Message.json(i % units, null, i)).toList());
    Deployment deployment = deploy(stream, f);
    closing.add(deployment);

    int kills = 3;
    Replica replica = deployment.start("crash-0");
    for (int kill = 1; kill <= kills; kill++) {
      int threshold = kill * RECORDS / (kills + 2);
      await().atMost(DRAIN).until(() -> f.distinct() >= threshold);
      replica.kill();
      replica = deployment.start("crash-" + kill);
    }
    Figures figures = drain(deployment, f);

    int bound = lossBoundPerKill(units) * kills;
    report(kills + " x SIGKILL", figures, bound);
    assertThat(figures.duplicates()).as("event ids delivered twice").isEmpty();
    assertThat(figures.lost()).as("events lost").isLessThanOrEqualTo(bound);
  }

  @Test
  void aSecondReplicaJoiningAndLeavingMidStreamDuplicatesNothingAndLosesNothing() throws Exception {
    Stream stream = stream("replicas", 3);
    RecordingFunction f = new RecordingFunction("counter");
    closing.add(f);
    f.delay(Duration.ofMillis(1));
    if (!keepsEvents()) {
      aReplicaLeavesWhileThePublisherRuns(stream, f);
      return;
    }
    stream.publish(
        IntStream.range(0, RECORDS).mapToObj(i -> Message.json(i % 3, null, i)).toList());
    Deployment deployment = deploy(stream, f);
    closing.add(deployment);

    deployment.start("replica-a");
    await().atMost(DRAIN).until(() -> f.distinct() >= RECORDS / 5);
    Replica second = deployment.start("replica-b");
    await().atMost(DRAIN).until(() -> f.distinct() >= RECORDS / 2);
    // a rolling update's SIGTERM: the leaving replica hands back what it did not send
    assertThat(second.terminate(Duration.ofSeconds(30))).as("ended within 30 s").isTrue();
    Figures figures = drain(deployment, f);

    report("a replica joins, then leaves with SIGTERM", figures, 0);
    assertThat(figures.duplicates()).as("event ids delivered twice").isEmpty();
    assertThat(figures.lost()).as("events lost by a graceful leave").isZero();
  }

  // --- a source that keeps nothing: published while the replicas run ------------------------

  /** Publishes the stream in chunks, paced, on a thread of its own, until stopped. */
  private static final class Publisher implements AutoCloseable {
    private final Stream stream;
    private final int units;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile int published;
    private volatile int next = -1;

    Publisher(Stream stream, int units) {
      this.stream = stream;
      this.units = units;
      this.thread = Thread.ofPlatform().daemon().name("contract-publisher").start(this::run);
    }

    /** From now on the events count: those before were published to find the subscription. */
    void counting() {
      next = 0;
    }

    private void run() {
      int warmUp = 1_000_000;
      while (running) {
        if (next < 0) {
          // until the first replica is subscribed: events it may never see, kept apart
          stream.publish(List.of(Message.json(0, null, warmUp++)));
        } else {
          int from = next;
          stream.publish(
              IntStream.range(from, from + 50)
                  .mapToObj(i -> Message.json(i % units, null, i))
                  .toList());
          next = from + 50;
          published = next;
        }
        LockSupport.parkNanos(Duration.ofMillis(25).toNanos());
      }
    }

    int published() {
      return published;
    }

    @Override
    public void close() throws InterruptedException {
      running = false;
      thread.join(10_000);
    }
  }

  /** Distinct events of the counted stream received. */
  private static int counted(RecordingFunction f) {
    return (int)
        f.requests().stream()
            .filter(r -> n(r) < 1_000_000)
            .map(RecordingFunction.Request::eventId)
            .distinct()
            .count();
  }

  private Publisher publishing(Stream stream, int units, RecordingFunction f) {
    Publisher publisher = new Publisher(stream, units);
    closing.add(publisher);
    await().atMost(DRAIN).until(() -> f.received() > 0);
    publisher.counting();
    return publisher;
  }

  private void killedWhileThePublisherRuns(Stream stream, RecordingFunction f, int units)
      throws Exception {
    Deployment deployment = deploy(stream, f);
    closing.add(deployment);
    Replica replica = deployment.start("crash-0");
    Publisher publisher = publishing(stream, units, f);
    int kills = 3;
    for (int kill = 1; kill <= kills; kill++) {
      int before = counted(f);
      await().atMost(DRAIN).until(() -> counted(f) >= before + 1000);
      replica.kill();
      replica = deployment.start("crash-" + kill);
    }
    int before = counted(f);
    // delivery resumes after the last restart by itself
    await().atMost(DRAIN).until(() -> counted(f) >= before + 1000);
    publisher.close();
    await().atMost(DRAIN).pollInterval(Duration.ofSeconds(2)).until(new StableCount(f));
    Figures figures =
        new Figures(
            publisher.published(),
            f.received(),
            counted(f),
            f.duplicates(),
            publisher.published() - counted(f));
    report(kills + " x SIGKILL, published while running", figures, -1);
    assertThat(figures.duplicates()).as("event ids delivered twice").isEmpty();
  }

  private void aReplicaLeavesWhileThePublisherRuns(Stream stream, RecordingFunction f)
      throws Exception {
    Deployment deployment = deploy(stream, f);
    closing.add(deployment);
    deployment.start("replica-a");
    Publisher publisher = publishing(stream, 3, f);
    await().atMost(DRAIN).until(() -> counted(f) >= 1000);
    Replica second = deployment.start("replica-b");
    int joined = counted(f);
    await().atMost(DRAIN).until(() -> counted(f) >= joined + 2000);
    // a rolling update's SIGTERM: the leaving member unsubscribes, then sends what it holds
    assertThat(second.terminate(Duration.ofSeconds(30))).as("ended within 30 s").isTrue();
    int left = counted(f);
    await().atMost(DRAIN).until(() -> counted(f) >= left + 1000);
    publisher.close();
    await()
        .atMost(DRAIN)
        .pollInterval(Duration.ofSeconds(2))
        .until(() -> counted(f) == publisher.published());
    Figures figures =
        new Figures(publisher.published(), f.received(), counted(f), f.duplicates(), 0);
    report("a replica joins, then leaves with SIGTERM, published while running", figures, 0);
    assertThat(figures.duplicates()).as("event ids delivered twice").isEmpty();
  }

  // --- helpers -------------------------------------------------------------------------------

  /** What a crash scenario delivered. */
  protected record Figures(
      int sent, int received, int distinct, List<String> duplicates, int lost) {}

  private Figures drain(Deployment deployment, RecordingFunction f) {
    await().atMost(DRAIN).pollInterval(Duration.ofSeconds(1)).until(deployment::drained);
    await().atMost(DRAIN).pollInterval(Duration.ofSeconds(2)).until(new StableCount(f));
    int distinct = f.distinct();
    return new Figures(RECORDS, f.received(), distinct, f.duplicates(), RECORDS - distinct);
  }

  private void report(String scenario, Figures f, int bound) throws IOException {
    String line =
        "%s, %s: sent %d, received %d (distinct %d), duplicates %d, lost %d, bound %d%n"
            .formatted(
                getClass().getSimpleName(),
                scenario,
                f.sent(),
                f.received(),
                f.distinct(),
                f.duplicates().size(),
                f.lost(),
                bound);
    System.out.print(line);
    Files.writeString(
        Path.of("target", "contract-figures.txt"),
        line,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }

  protected void awaitActive(Binding binding) {
    await()
        .atMost(TIMEOUT)
        .until(
            () -> {
              List<BindingState> states = binding.states();
              return !states.isEmpty() && states.stream().allMatch(BindingState::ready);
            });
  }

  private static List<BindingState.Phase> phases(Binding binding) {
    return binding.states().stream().map(BindingState::phase).toList();
  }

  private void assertInOrderPerUnit(RecordingFunction f) {
    Map<Integer, Long> last = new HashMap<>();
    for (RecordingFunction.Request r : f.requests()) {
      Long previous = last.put(unit(r), position(r));
      assertThat(previous == null || previous < position(r))
          .as("%s after position %s of unit %d", r.eventId(), previous, unit(r))
          .isTrue();
    }
  }

  protected double counter(String name, String function, String outcome) {
    var search = registry.find(name).tag("function", function);
    if (outcome != null) {
      search = search.tag("outcome", outcome);
    }
    return search.counters().stream().mapToDouble(c -> c.count()).sum();
  }

  private static int n(RecordingFunction.Request r) {
    String body = new String(r.body(), StandardCharsets.UTF_8);
    return Integer.parseInt(body.replaceAll("\\D+", ""));
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
