package io.kubeless.cron.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.kubeless.api.v1beta1.CronJobTriggerSpec;
import io.kubeless.testing.RecordingFunction;
import io.kubeless.testing.TestingSpecs;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.engine.Bindings;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerState;
import io.kubeless.trigger.function.FunctionEndpoint;
import io.kubeless.trigger.function.InMemoryFunctionDirectory;
import io.kubeless.trigger.invoke.Invoker;
import io.kubeless.trigger.metrics.TriggerMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The cron source in an engine, against real HTTP functions: per-second ticks with their payload
 * and headers, GET without payload, Forbid, a function not ready, invalid specs, and a change of
 * the process that fires (no tick twice, the gap counted).
 */
class CronSourceTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final String NS = "cron";
  private static final ObjectMapper JSON = new ObjectMapper();

  private static Vertx vertx;
  private static Invoker invoker;

  private final List<AutoCloseable> closing = new ArrayList<>();
  private InMemoryFunctionDirectory directory;

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

  /** One trigger process: an engine with the cron source and its bindings. */
  private final class Process implements AutoCloseable {
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final TriggerEngine engine = new TriggerEngine(directory, invoker, new TriggerMetrics(meters));
    final CronSource source;
    final Bindings<CronJobTriggerSpec, CronSubscription> bindings;
    final TestingSpecs<CronJobTriggerSpec> specs = new TestingSpecs<>();

    Process(FiringLeadership leadership, TriggerRecords records) {
      source = new CronSource(engine, leadership, records, CronSource.Settings.defaults());
      bindings = new Bindings<>(engine, source, Duration.ofSeconds(2));
      bindings.open(specs);
      closing.add(this);
    }

    Process() {
      this(FiringLeadership.ALWAYS, id -> "uid-" + id.name());
    }

    long dropped(String reason) {
      Counter counter =
          meters.find("kubeless.trigger.events.dropped").tag("reason", reason).counter();
      return counter == null ? 0 : (long) counter.count();
    }

    long missed(TriggerId id) {
      return source.status(id).map(CronStatus::missedTicks).orElse(0L);
    }

    @Override
    public void close() throws Exception {
      bindings.close();
      source.close();
      engine.close();
    }
  }

  private RecordingFunction function(String name, boolean ready) throws Exception {
    RecordingFunction f = new RecordingFunction(name);
    closing.add(f);
    directory.put(f.endpoint(NS, Map.of(), ready));
    return f;
  }

  private static CronJobTriggerSpec spec(String schedule, String function, String payload)
      throws Exception {
    CronJobTriggerSpec spec = new CronJobTriggerSpec();
    spec.setSchedule(schedule);
    spec.setFunctionName(function);
    spec.setPayload(payload == null ? null : JSON.readTree(payload));
    return spec;
  }

  private static long tick(RecordingFunction.Request request) {
    String id = request.eventId();
    return Long.parseLong(id.substring(id.lastIndexOf('-') + 1));
  }

  @Test
  void aPerSecondScheduleFiresEachTickWithItsPayloadAndHeaders() throws Exception {
    RecordingFunction f = function("report", true);
    Process p = new Process();
    TriggerId id = new TriggerId(NS, "every-second");

    p.specs.apply(id, spec("@every 1s", "report", "{\"hello\":\"world\"}"));

    await().atMost(TIMEOUT).until(() -> f.received() >= 4);
    List<RecordingFunction.Request> requests = f.requests();
    RecordingFunction.Request first = requests.getFirst();
    assertThat(first.eventId()).matches("uid-every-second-\\d{10}");
    assertThat(JSON.readTree(first.body())).isEqualTo(JSON.readTree("{\"hello\":\"world\"}"));
    assertThat(first.headers())
        .containsEntry("content-type", "application/json")
        .containsEntry("event-type", "application/json")
        .containsEntry("event-namespace", "cronjobtriggers.kubeless.io")
        .containsEntry("ce-type", "io.kubeless.cron.tick")
        .containsEntry(
            "ce-source", "/apis/kubeless.io/v1beta1/namespaces/cron/cronjobtriggers/every-second")
        .containsEntry("ce-id", first.eventId());
    // event-time is the tick itself, a whole second, and the ids follow each other second by second
    for (RecordingFunction.Request r : requests) {
      assertThat(Instant.parse(r.headers().get("event-time")))
          .isEqualTo(Instant.ofEpochSecond(tick(r)));
    }
    List<Long> ticks = requests.stream().map(CronSourceTest::tick).sorted().toList();
    for (int i = 1; i < ticks.size(); i++) {
      assertThat(ticks.get(i) - ticks.get(i - 1))
          .as("one tick per second, none skipped")
          .isEqualTo(1);
    }
    assertThat(f.duplicates()).isEmpty();
    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () -> {
              CronStatus status = p.source.status(id).orElseThrow();
              assertThat(status.lastScheduleTime()).isNotNull();
              assertThat(status.lastSuccessfulTime()).isNotNull();
              assertThat(status.nextScheduleTime()).isAfter(status.lastScheduleTime());
              assertThat(status.missedTicks()).isZero();
            });
    TriggerState state = p.bindings.state(id).orElseThrow();
    assertThat(state.functions()).singleElement().satisfies(s -> assertThat(s.ready()).isTrue());
    assertThat(state.source()).isEqualTo("schedule @every 1s");
  }

  @Test
  void aTickWithoutPayloadIsAGetWithTheEventHeaders() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 10);
    server.createContext(
        "/",
        exchange -> {
          byte[] body = exchange.getRequestBody().readAllBytes();
          seen.add(
              exchange.getRequestMethod()
                  + " "
                  + exchange.getRequestHeaders().getFirst("event-id")
                  + " "
                  + body.length);
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    server.start();
    closing.add(() -> server.stop(0));
    directory.put(
        new FunctionEndpoint(
            NS,
            "ping",
            URI.create("http://127.0.0.1:" + server.getAddress().getPort()),
            Duration.ofSeconds(5),
            true,
            Map.of()));
    Process p = new Process();
    TriggerId id = new TriggerId(NS, "ping");

    p.specs.apply(id, spec("@every 1s", "ping", null));

    await().atMost(TIMEOUT).until(() -> seen.size() >= 2);
    assertThat(seen).allSatisfy(line -> assertThat(line).matches("GET uid-ping-\\d{10} 0"));
    await()
        .atMost(TIMEOUT)
        .until(() -> p.source.status(id).map(CronStatus::lastSuccessfulTime).isPresent());
  }

  @Test
  void forbidSkipsTicksWhileTheCallRunsAndCountsThem() throws Exception {
    RecordingFunction slow = function("slow", true);
    slow.delay(Duration.ofMillis(2500));
    Process p = new Process();
    TriggerId id = new TriggerId(NS, "forbid");
    CronJobTriggerSpec spec = spec("@every 1s", "slow", "{}");
    spec.setConcurrencyPolicy("Forbid");

    p.specs.apply(id, spec);

    await().atMost(TIMEOUT).until(() -> slow.received() >= 3);
    assertThat(slow.mostInFlight()).as("never two calls at once").isEqualTo(1);
    assertThat(p.dropped(CronWorker.CONCURRENCY_FORBID)).isGreaterThanOrEqualTo(2);
    assertThat(p.missed(id)).isGreaterThanOrEqualTo(2);
    assertThat(slow.duplicates()).isEmpty();
  }

  @Test
  void allowLetsCallsOverlap() throws Exception {
    RecordingFunction slow = function("overlap", true);
    slow.delay(Duration.ofMillis(2500));
    Process p = new Process();
    TriggerId id = new TriggerId(NS, "allow");

    p.specs.apply(id, spec("@every 1s", "overlap", "{}"));

    await().atMost(TIMEOUT).until(() -> slow.mostInFlight() >= 2);
    assertThat(p.dropped(CronWorker.CONCURRENCY_FORBID)).isZero();
  }

  @Test
  void ticksWhileTheFunctionIsNotReadyAreCountedAndNeverFiredLate() throws Exception {
    RecordingFunction f = function("late", false);
    Process p = new Process();
    TriggerId id = new TriggerId(NS, "not-ready");

    p.specs.apply(id, spec("@every 1s", "late", "{\"n\":1}"));

    await().atMost(TIMEOUT).until(() -> p.missed(id) >= 3);
    assertThat(p.dropped(CronWorker.FUNCTION_UNAVAILABLE)).isGreaterThanOrEqualTo(3);
    assertThat(p.bindings.state(id).orElseThrow().functions().getFirst().reason())
        .isEqualTo("FunctionUnavailable");
    assertThat(f.received()).isZero();

    Instant ready = Instant.now();
    directory.put(f.endpoint(NS, Map.of(), true));

    await().atMost(TIMEOUT).until(() -> f.received() >= 2);
    assertThat(f.requests())
        .as("no tick of the outage arrives late")
        .allSatisfy(
            r ->
                assertThat(tick(r))
                    .isGreaterThanOrEqualTo(
                        ready.truncatedTo(ChronoUnit.SECONDS).getEpochSecond()));
    await()
        .atMost(TIMEOUT)
        .until(() -> p.bindings.state(id).orElseThrow().functions().getFirst().ready());
  }

  @Test
  void invalidSpecsAreRefusedWithTheReason() throws Exception {
    Process p = new Process();
    TriggerId badSchedule = new TriggerId(NS, "bad-schedule");
    TriggerId badZone = new TriggerId(NS, "bad-zone");
    TriggerId noFunction = new TriggerId(NS, "no-function");
    CronJobTriggerSpec zone = spec("@hourly", "fn", null);
    zone.setTimeZone("Nowhere/Town");

    p.specs.apply(badSchedule, spec("every minute", "fn", null));
    p.specs.apply(badZone, zone);
    p.specs.apply(noFunction, spec("@hourly", "", null));

    await().atMost(TIMEOUT).until(() -> p.bindings.state(noFunction).isPresent());
    assertThat(problem(p, badSchedule)).contains("spec.schedule 'every minute'");
    assertThat(problem(p, badZone)).contains("spec.timeZone 'Nowhere/Town'");
    assertThat(problem(p, noFunction)).contains("spec.function-name is empty");
  }

  private static String problem(Process p, TriggerId id) {
    return await()
        .atMost(TIMEOUT)
        .until(() -> p.bindings.state(id).map(TriggerState::problem).orElse(null), s -> s != null);
  }

  @Test
  void whenAnotherProcessTakesOverNoTickFiresTwiceAndTheGapIsCounted() throws Exception {
    RecordingFunction f = function("handover", true);
    AtomicBoolean aLeads = new AtomicBoolean(true);
    AtomicReference<TriggerRecords.Recorded> recorded = new AtomicReference<>();
    TriggerRecords records =
        new TriggerRecords() {
          @Override
          public String uid(TriggerId trigger) {
            return "uid";
          }

          @Override
          public Optional<TriggerRecords.Recorded> recorded(TriggerId trigger) {
            return Optional.ofNullable(recorded.get());
          }
        };
    Process a = new Process(aLeads::get, records);
    Process b = new Process(() -> !aLeads.get(), records);
    TriggerId id = new TriggerId(NS, "handover");
    CronJobTriggerSpec spec = spec("@every 1s", "handover", "{}");

    a.specs.apply(id, spec);
    b.specs.apply(id, spec);
    await().atMost(TIMEOUT).until(() -> f.received() >= 3);
    assertThat(b.source.status(id)).as("b does not fire").isEmpty();

    // a's status was written two seconds ago (status writes lag), then a stops leading
    Instant written = Instant.ofEpochSecond(tick(f.requests().getLast())).minusSeconds(2);
    recorded.set(new TriggerRecords.Recorded(written, null, 5));
    aLeads.set(false);
    int before = f.received();

    await().atMost(TIMEOUT).until(() -> f.received() >= before + 3);
    assertThat(f.duplicates()).as("fired twice").isEmpty();
    await().atMost(TIMEOUT).until(() -> b.source.status(id).isPresent());
    assertThat(b.source.status(id).orElseThrow().missedTicks())
        .as("the recorded count, plus the ticks since the recorded one")
        .isGreaterThanOrEqualTo(5 + 2);
    assertThat(a.source.status(id)).isEmpty();
    assertThat(b.dropped(CronWorker.NOT_FIRED)).isPositive();
  }
}
