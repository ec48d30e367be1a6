package io.kubeless.nats.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.kubeless.api.v1beta1.NATSTriggerSpec;
import io.kubeless.testing.BrokerTest;
import io.kubeless.testing.NatsServer;
import io.kubeless.testing.RecordingFunction;
import io.kubeless.testing.TestingSpecs;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.engine.BindingState;
import io.kubeless.trigger.engine.Bindings;
import io.kubeless.trigger.engine.InvalidTriggerException;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerState;
import io.kubeless.trigger.function.InMemoryFunctionDirectory;
import io.kubeless.trigger.invoke.Invoker;
import io.kubeless.trigger.metrics.TriggerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The NATS source against a real {@code nats-server} (JetStream, its own store): fan-out,
 * wildcards, queue groups across two engines, a server restart, a function that is down, headers,
 * message ids and request-reply, and JetStream resuming without redelivery.
 */
@BrokerTest
class NatsSourceTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final String NS = "shop";

  private static NatsServer server;
  private static Vertx vertx;
  private static Invoker invoker;
  private static Connection publisher;

  private final List<AutoCloseable> closing = new ArrayList<>();
  private InMemoryFunctionDirectory directory;
  private int subjects;

  @BeforeAll
  static void startServer() throws Exception {
    server = NatsServer.start();
    vertx = Vertx.vertx();
    invoker = new Invoker(vertx, Invoker.Options.defaults());
    publisher = Nats.connect(server.url());
  }

  @AfterAll
  static void stopServer() throws Exception {
    publisher.close();
    invoker.close();
    vertx.close();
    server.close();
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

  /** An engine with its NATS source and bindings, as one trigger process. */
  private final class Process implements AutoCloseable {
    final TriggerEngine engine;
    final NatsSource source;
    final Bindings<NATSTriggerSpec, NatsSubscription> bindings;
    final TestingSpecs<NATSTriggerSpec> specs = new TestingSpecs<>();
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    Process(String name) {
      this(settings(name));
    }

    Process(NatsSettings settings) {
      engine = new TriggerEngine(directory, invoker, new TriggerMetrics(meters));
      source = new NatsSource(engine, settings);
      bindings = new Bindings<>(engine, source, Duration.ofSeconds(2));
      bindings.open(specs);
      closing.add(this);
    }

    List<BindingState> states(TriggerId id) {
      return bindings.state(id).map(TriggerState::functions).orElse(List.of());
    }

    void awaitActive(TriggerId id, int functions) {
      await()
          .atMost(TIMEOUT)
          .until(
              () -> {
                List<BindingState> states = states(id);
                return states.size() == functions && states.stream().allMatch(BindingState::ready);
              });
    }

    @Override
    public void close() throws Exception {
      bindings.close();
      source.close();
      engine.close();
    }
  }

  private static NatsSettings settings(String name) {
    NatsSettings d = NatsSettings.defaults(NatsSettings.Server.at(server.url(), name));
    return settings(name, d.batchSize(), d.ackWait());
  }

  /** The defaults with a JetStream batch size and ack wait of the test's own. */
  private static NatsSettings settings(String name, int batchSize, Duration ackWait) {
    NatsSettings d = NatsSettings.defaults(NatsSettings.Server.at(server.url(), name));
    return new NatsSettings(
        d.server(),
        d.pendingMessages(),
        d.pendingBytes(),
        batchSize,
        d.fetchWait(),
        d.ackTimeout(),
        ackWait,
        Duration.ofSeconds(5),
        d.idleInterval(),
        d.consumerRetention());
  }

  /** The defaults with a retention of the consumers of bindings that ended. */
  private static NatsSettings retaining(String name, Duration retention) {
    NatsSettings d = NatsSettings.defaults(NatsSettings.Server.at(server.url(), name));
    return new NatsSettings(
        d.server(),
        d.pendingMessages(),
        d.pendingBytes(),
        d.batchSize(),
        d.fetchWait(),
        d.ackTimeout(),
        d.ackWait(),
        Duration.ofSeconds(5),
        d.idleInterval(),
        retention);
  }

  private static void awaitUnavailable(Process p, TriggerId id) {
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                p.states(id).stream()
                    .anyMatch(s -> s.reason().equals(BindingState.FUNCTION_UNAVAILABLE)));
  }

  private RecordingFunction function(String name, Map<String, String> labels) throws Exception {
    RecordingFunction f = new RecordingFunction(name);
    closing.add(f);
    directory.put(f.endpoint(NS, labels, true, Duration.ofSeconds(2)));
    return f;
  }

  private static NATSTriggerSpec spec(String topic, Map<String, String> selector) {
    NATSTriggerSpec spec = new NATSTriggerSpec();
    spec.setTopic(topic);
    spec.setFunctionSelector(new LabelSelectorBuilder().withMatchLabels(selector).build());
    return spec;
  }

  private String subject(String prefix) {
    return prefix + (++subjects) + "x" + System.nanoTime() % 100_000;
  }

  private static void publish(String subject, int from, int to) throws Exception {
    for (int i = from; i < to; i++) {
      publisher.publish(subject, ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8));
    }
    publisher.flush(Duration.ofSeconds(5));
  }

  @Test
  void everyFunctionMatchingTheSelectorGetsEachMessageOnce() throws Exception {
    Process p = new Process("fan-out");
    List<RecordingFunction> fs = new ArrayList<>();
    for (String name : List.of("audit", "billing", "mail")) {
      fs.add(function(name, Map.of("team", "orders")));
    }
    RecordingFunction other = function("other", Map.of("team", "other"));
    String subject = subject("orders");
    TriggerId id = new TriggerId(NS, "fan-out");
    p.specs.apply(id, spec(subject, Map.of("team", "orders")));
    p.awaitActive(id, 3);

    publish(subject, 0, 200);

    for (RecordingFunction f : fs) {
      await().atMost(TIMEOUT).until(() -> f.distinct() == 200);
      assertThat(f.duplicates()).isEmpty();
      assertThat(f.received()).isEqualTo(200);
    }
    assertThat(other.received()).isZero();
    RecordingFunction.Request r = fs.getFirst().requests().getFirst();
    assertThat(r.headers())
        .containsEntry("event-topic", subject)
        .containsEntry("event-namespace", "natstriggers.kubeless.io")
        .containsEntry("content-type", "application/json")
        .containsEntry("ce-type", "io.kubeless.nats.message")
        .containsKey("event-id");
  }

  @Test
  void wildcardSubjectsDeliverEachMessageWithItsConcreteSubject() throws Exception {
    Process p = new Process("wildcards");
    RecordingFunction one = function("one-level", Map.of("w", "one"));
    RecordingFunction all = function("all-levels", Map.of("w", "all"));
    String root = subject("w");
    TriggerId star = new TriggerId(NS, "star");
    TriggerId tail = new TriggerId(NS, "tail");
    p.specs.apply(star, spec(root + ".*", Map.of("w", "one")));
    p.specs.apply(tail, spec(root + ".>", Map.of("w", "all")));
    p.awaitActive(star, 1);
    p.awaitActive(tail, 1);

    publisher.publish(root + ".created", "a".getBytes(StandardCharsets.UTF_8));
    publisher.publish(root + ".eu.paid", "b".getBytes(StandardCharsets.UTF_8));
    publisher.publish(root, "c".getBytes(StandardCharsets.UTF_8));
    publisher.flush(Duration.ofSeconds(5));

    await().atMost(TIMEOUT).until(() -> all.received() == 2 && one.received() == 1);
    assertThat(one.requests())
        .extracting(r -> r.headers().get("event-topic"))
        .containsExactly(root + ".created");
    assertThat(all.requests())
        .extracting(r -> r.headers().get("event-topic"))
        .containsExactlyInAnyOrder(root + ".created", root + ".eu.paid");
  }

  @Test
  void twoReplicasInOneQueueGroupShareTheMessagesWithoutDuplicates() throws Exception {
    Process a = new Process("replica-a");
    Process b = new Process("replica-b");
    RecordingFunction f = function("shared", Map.of("app", "shared"));
    String subject = subject("shared");
    TriggerId id = new TriggerId(NS, "shared");
    a.specs.apply(id, spec(subject, Map.of("app", "shared")));
    b.specs.apply(id, spec(subject, Map.of("app", "shared")));
    a.awaitActive(id, 1);
    b.awaitActive(id, 1);

    publish(subject, 0, 2000);

    await().atMost(TIMEOUT).until(() -> f.distinct() == 2000);
    assertThat(f.duplicates()).isEmpty();
    assertThat(f.received()).isEqualTo(2000);
    // both members took a share, and together everything once
    assertThat(received(a, "shared")).isPositive();
    assertThat(received(b, "shared")).isPositive();
    assertThat(received(a, "shared") + received(b, "shared")).isEqualTo(2000);
    assertThat(CoreSubscriber.queueGroup(id, "shared", subject))
        .isEqualTo(NS + "_shared_shared_" + subject);
  }

  /** What one process took for {@code function}. */
  private static double received(Process p, String function) {
    return p
        .meters
        .find("kubeless.trigger.events.received")
        .tag("function", function)
        .counters()
        .stream()
        .mapToDouble(c -> c.count())
        .sum();
  }

  @Test
  void aServerRestartIsReportedAndDeliveryResumesByItself() throws Exception {
    Process p = new Process("restart");
    RecordingFunction f = function("survivor", Map.of("app", "survivor"));
    String subject = subject("restart");
    TriggerId id = new TriggerId(NS, "restart");
    p.specs.apply(id, spec(subject, Map.of("app", "survivor")));
    p.awaitActive(id, 1);
    publish(subject, 0, 100);
    await().atMost(TIMEOUT).until(() -> f.distinct() == 100);

    server.stop();
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                p.states(id).stream()
                    .anyMatch(
                        s ->
                            s.phase() == BindingState.Phase.SOURCE_UNAVAILABLE
                                && s.reason().equals("ServerUnavailable")));
    server.restart();
    p.awaitActive(id, 1);
    // the publisher reconnects too
    await().atMost(TIMEOUT).until(() -> publisher.getStatus() == Connection.Status.CONNECTED);
    publish(subject, 100, 200);

    await().atMost(TIMEOUT).until(() -> f.distinct() == 200);
    assertThat(f.duplicates()).isEmpty();
  }

  @Test
  void headersPassThroughTheMessageIdIsTheEventIdAndARequestGetsTheFunctionsReply()
      throws Exception {
    Process p = new Process("reply");
    RecordingFunction f = function("answering", Map.of("app", "answering"));
    f.respond(r -> ("hello " + new String(r.body(), StandardCharsets.UTF_8)).getBytes());
    String subject = subject("ask");
    TriggerId id = new TriggerId(NS, "ask");
    p.specs.apply(id, spec(subject, Map.of("app", "answering")));
    p.awaitActive(id, 1);

    Headers headers =
        new Headers()
            .put("Nats-Msg-Id", "order-42")
            .put("X-Tenant", "acme")
            .put("Content-Type", "text/csv")
            .put("event-id", "forged")
            .put("Content-Length", "1");
    Message answer =
        publisher
            .request(
                NatsMessage.builder()
                    .subject(subject)
                    .headers(headers)
                    .data("world".getBytes(StandardCharsets.UTF_8))
                    .build())
            .get(30, java.util.concurrent.TimeUnit.SECONDS);

    assertThat(new String(answer.getData(), StandardCharsets.UTF_8)).isEqualTo("hello world");
    assertThat(answer.getHeaders().getFirst("Kubeless-Status")).isEqualTo("200");
    RecordingFunction.Request r = f.requests().getFirst();
    assertThat(r.eventId()).isEqualTo("order-42");
    assertThat(r.headers())
        .containsEntry("x-tenant", "acme")
        .containsEntry("content-type", "text/csv")
        .containsEntry("content-length", "5");
  }

  @Test
  void coreNatsDropsAndCountsWhatArrivesWhileTheFunctionIsDown() throws Exception {
    Process p = new Process("down");
    RecordingFunction f = function("sleeper", Map.of("app", "sleeper"));
    String subject = subject("down");
    TriggerId id = new TriggerId(NS, "down");
    p.specs.apply(id, spec(subject, Map.of("app", "sleeper")));
    p.awaitActive(id, 1);

    directory.put(f.endpoint(NS, Map.of("app", "sleeper"), false, Duration.ofSeconds(2)));
    awaitUnavailable(p, id);
    publish(subject, 0, 50);

    await().atMost(TIMEOUT).until(() -> p.states(id).getFirst().dropped() == 50);
    assertThat(
            p.meters
                .find("kubeless.trigger.events.dropped")
                .tag("reason", "function_unavailable")
                .counter()
                .count())
        .isEqualTo(50);
    directory.put(f.endpoint(NS, Map.of("app", "sleeper"), true, Duration.ofSeconds(2)));
    p.awaitActive(id, 1);
    publish(subject, 50, 60);
    await().atMost(TIMEOUT).until(() -> f.distinct() == 10);
    assertThat(f.received()).isEqualTo(10);
  }

  @Test
  void aSlowFunctionMakesNatsDropBeyondThePendingLimitsAndEveryMessageIsAccountedFor()
      throws Exception {
    NatsSettings d = settings("slow");
    Process p =
        new Process(
            new NatsSettings(
                d.server(),
                20,
                1024 * 1024,
                5,
                d.fetchWait(),
                d.ackTimeout(),
                d.ackWait(),
                d.stopTimeout(),
                d.idleInterval(),
                d.consumerRetention()));
    RecordingFunction f = function("slow", Map.of("app", "slow"));
    f.delay(Duration.ofMillis(20));
    String subject = subject("slow");
    TriggerId id = new TriggerId(NS, "slow");
    NATSTriggerSpec spec = spec(subject, Map.of("app", "slow"));
    spec.setOrdering("partition");
    p.specs.apply(id, spec);
    p.awaitActive(id, 1);

    publish(subject, 0, 500);

    await().atMost(TIMEOUT).until(() -> f.distinct() + dropped(p, "slow_consumer") == 500);
    assertThat(dropped(p, "slow_consumer")).isPositive();
    assertThat(f.duplicates()).isEmpty();
    assertThat(p.states(id).getFirst().dropped()).isEqualTo((long) dropped(p, "slow_consumer"));
  }

  private static double dropped(Process p, String reason) {
    var counter = p.meters.find("kubeless.trigger.events.dropped").tag("reason", reason).counter();
    return counter == null ? 0 : counter.count();
  }

  @Test
  void jetStreamLosesNothingWhileTheFunctionIsDownAndResumesWithoutRedelivery() throws Exception {
    String stream = "ORDERS" + (++subjects);
    String subject = "js" + subjects + ".orders";
    JetStreamManagement jsm = publisher.jetStreamManagement();
    jsm.addStream(
        StreamConfiguration.builder()
            .name(stream)
            .subjects(subject + ".>")
            .storageType(StorageType.File)
            .build());
    RecordingFunction f = function("ledger", Map.of("app", "ledger"));
    // an answer that would be an acknowledgement verb: a JetStream message's reply subject is its
    // acknowledgement's, so the function's answer must never go there
    f.respond(r -> "-NAK".getBytes(StandardCharsets.UTF_8));
    List<String> acks = new java.util.concurrent.CopyOnWriteArrayList<>();
    io.nats.client.Dispatcher watcher =
        publisher.createDispatcher(m -> acks.add(new String(m.getData(), StandardCharsets.UTF_8)));
    watcher.subscribe("$JS.ACK." + stream + ".>");
    NATSTriggerSpec spec = spec(subject + ".>", Map.of("app", "ledger"));
    spec.setStream(stream);
    spec.setDeliverPolicy("all");
    TriggerId id = new TriggerId(NS, "ledger");

    Process first = new Process("js-first");
    first.specs.apply(id, spec);
    first.awaitActive(id, 1);
    for (int i = 0; i < 100; i++) {
      publisher.jetStream().publish(subject + "." + (i % 4), ("{\"n\":" + i + "}").getBytes());
    }
    await().atMost(TIMEOUT).until(() -> f.distinct() == 100);

    // the function goes away: nothing is taken, nothing lost
    directory.put(f.endpoint(NS, Map.of("app", "ledger"), false, Duration.ofSeconds(2)));
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                first.states(id).stream()
                    .anyMatch(s -> s.reason().equals(BindingState.FUNCTION_UNAVAILABLE)));
    for (int i = 100; i < 200; i++) {
      publisher.jetStream().publish(subject + "." + (i % 4), ("{\"n\":" + i + "}").getBytes());
    }
    // the trigger restarts meanwhile (a graceful stop), and the function comes back
    first.close();
    closing.remove(first);
    directory.put(f.endpoint(NS, Map.of("app", "ledger"), true, Duration.ofSeconds(2)));
    Process second = new Process("js-second");
    second.specs.apply(id, spec);

    await().atMost(TIMEOUT).until(() -> f.distinct() == 200);
    assertThat(f.duplicates()).isEmpty();
    assertThat(f.received()).isEqualTo(200);
    assertThat(f.requests().getLast().eventId()).startsWith(stream + "-");
    // per subject in order
    var last = new java.util.HashMap<String, Integer>();
    for (RecordingFunction.Request r : f.requests()) {
      int n = Integer.parseInt(new String(r.body()).replaceAll("\\D+", ""));
      Integer previous = last.put(r.headers().get("event-topic"), n);
      assertThat(previous == null || previous < n).as("%d after %s", n, previous).isTrue();
    }
    assertThat(jsm.getConsumerInfo(stream, NS + "_ledger_ledger").getNumPending()).isZero();
    publisher.flush(Duration.ofSeconds(5));
    assertThat(acks).isNotEmpty().allMatch(a -> a.equals("+ACK"));
    publisher.closeDispatcher(watcher);
  }

  private String stream(String subjects) throws Exception {
    String stream = "S" + (++this.subjects) + "x" + System.nanoTime() % 100_000;
    publisher
        .jetStreamManagement()
        .addStream(
            StreamConfiguration.builder()
                .name(stream)
                .subjects(subjects)
                .storageType(StorageType.File)
                .build());
    return stream;
  }

  @Test
  void aJetStreamMessageDeliveredButNeverTakenIsDeliveredAgainNotLost() throws Exception {
    // a replica that dies holding a message it was delivered, or a connection cut while the
    // message was on its way: the later messages' acknowledgements must not acknowledge it
    String subject = subject("held");
    String stream = stream(subject);
    Process p = new Process(settings("held", 100, Duration.ofSeconds(8)));
    RecordingFunction f = function("holder", Map.of("app", "holder"));
    NATSTriggerSpec spec = spec(subject, Map.of("app", "holder"));
    spec.setStream(stream);
    spec.setDeliverPolicy("all");
    TriggerId id = new TriggerId(NS, "held");
    p.specs.apply(id, spec);
    p.awaitActive(id, 1);
    directory.put(f.endpoint(NS, Map.of("app", "holder"), false, Duration.ofSeconds(2)));
    awaitUnavailable(p, id);
    for (int i = 0; i < 10; i++) {
      publisher.jetStream().publish(subject, ("{\"n\":" + i + "}").getBytes());
    }
    // another holder of the consumer takes the first message and never acknowledges it
    String durable = JetStreamConsumer.durable(id, "holder", null);
    Message held =
        publisher
            .jetStream()
            .getStreamContext(stream)
            .getConsumerContext(durable)
            .next(Duration.ofSeconds(5));
    assertThat(held).isNotNull();
    assertThat(held.metaData().streamSequence()).isEqualTo(1);

    directory.put(f.endpoint(NS, Map.of("app", "holder"), true, Duration.ofSeconds(2)));
    await().atMost(TIMEOUT).until(() -> f.distinct() == 9);
    assertThat(f.requests()).noneMatch(r -> r.eventId().equals(stream + "-1"));
    // after the ack wait, JetStream delivers it again, and it is sent once
    await().atMost(TIMEOUT).until(() -> f.distinct() == 10);
    assertThat(f.requests().getLast().eventId()).isEqualTo(stream + "-1");
    assertThat(f.duplicates()).isEmpty();
    assertThat(f.received()).isEqualTo(10);
    var info = publisher.jetStreamManagement().getConsumerInfo(stream, durable);
    assertThat(info.getNumPending()).isZero();
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                publisher.jetStreamManagement().getConsumerInfo(stream, durable).getNumAckPending()
                    == 0);
  }

  @Test
  void jetStreamTakesManySmallBatchesEachMessageOnceAndInOrderPerSubject() throws Exception {
    // many rounds, each a full batch: every message once, none left behind between two rounds
    String prefix = subject("many");
    String stream = stream(prefix + ".>");
    Process p = new Process(settings("many", 10, Duration.ofSeconds(30)));
    RecordingFunction f = function("many", Map.of("app", "many"));
    NATSTriggerSpec spec = spec(prefix + ".>", Map.of("app", "many"));
    spec.setStream(stream);
    spec.setDeliverPolicy("all");
    TriggerId id = new TriggerId(NS, "many");
    int total = 20_000;
    var js = publisher.jetStream();
    List<java.util.concurrent.CompletableFuture<?>> acks = new ArrayList<>();
    for (int i = 0; i < total; i++) {
      acks.add(js.publishAsync(prefix + "." + (i % 4), ("{\"n\":" + i + "}").getBytes()));
    }
    java.util.concurrent.CompletableFuture.allOf(
            acks.toArray(new java.util.concurrent.CompletableFuture<?>[0]))
        .get(60, java.util.concurrent.TimeUnit.SECONDS);
    p.specs.apply(id, spec);

    await().atMost(Duration.ofMinutes(3)).until(() -> f.received() >= total);
    assertThat(f.duplicates()).isEmpty();
    assertThat(f.distinct()).isEqualTo(total);
    var last = new java.util.HashMap<String, Integer>();
    for (RecordingFunction.Request r : f.requests()) {
      int n = Integer.parseInt(new String(r.body()).replaceAll("\\D+", ""));
      Integer previous = last.put(r.headers().get("event-topic"), n);
      assertThat(previous == null || previous < n).as("%d after %s", n, previous).isTrue();
    }
    assertThat(dropped(p, "late_ack")).isZero();
  }

  private static io.nats.client.api.ConsumerInfo consumer(String stream, String durable)
      throws Exception {
    try {
      return publisher.jetStreamManagement().getConsumerInfo(stream, durable);
    } catch (io.nats.client.JetStreamApiException e) {
      if (e.getApiErrorCode() == 10014) {
        return null; // no such consumer
      }
      throw e;
    }
  }

  private static boolean unlimited(io.nats.client.api.ConsumerInfo info) {
    Duration threshold = info.getConsumerConfiguration().getInactiveThreshold();
    return threshold == null || threshold.isZero();
  }

  @Test
  void theConsumerOfABindingThatEndedIsKeptForTheRetentionAndABindingThatComesBackResumes()
      throws Exception {
    String subject = subject("kept");
    String stream = stream(subject);
    RecordingFunction a = function("audit", Map.of("app", "kept"));
    RecordingFunction b = function("billing", Map.of("app", "kept", "tier", "b"));
    NATSTriggerSpec spec = spec(subject, Map.of("app", "kept"));
    spec.setStream(stream);
    TriggerId id = new TriggerId(NS, "kept");
    String durableA = NS + "_kept_audit";
    String durableB = NS + "_kept_billing";

    Process p = new Process(retaining("kept", Duration.ofDays(1)));
    p.specs.apply(id, spec);
    p.awaitActive(id, 2);
    assertThat(unlimited(consumer(stream, durableA))).isTrue();
    publisher.jetStream().publish(subject, "{\"n\":0}".getBytes());
    await().atMost(TIMEOUT).until(() -> a.received() == 1 && b.received() == 1);

    // billing is no longer selected: its consumer is given the retention, audit's is untouched
    directory.put(b.endpoint(NS, Map.of("tier", "b"), true, Duration.ofSeconds(2)));
    p.awaitActive(id, 1);
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                Duration.ofDays(1)
                    .equals(
                        consumer(stream, durableB)
                            .getConsumerConfiguration()
                            .getInactiveThreshold()));
    assertThat(unlimited(consumer(stream, durableA))).isTrue();

    // messages meanwhile wait in its consumer; selected again, it resumes with them, and its
    // consumer has no threshold any more (its function may be down for however long)
    for (int i = 1; i <= 5; i++) {
      publisher.jetStream().publish(subject, ("{\"n\":" + i + "}").getBytes());
    }
    await().atMost(TIMEOUT).until(() -> a.received() == 6);
    directory.put(b.endpoint(NS, Map.of("app", "kept", "tier", "b"), true, Duration.ofSeconds(2)));
    p.awaitActive(id, 2);
    await().atMost(TIMEOUT).until(() -> b.received() == 6);
    assertThat(b.duplicates()).isEmpty();
    assertThat(unlimited(consumer(stream, durableB))).isTrue();

    // the trigger is deleted: both consumers get the retention
    p.specs.delete(id);
    await()
        .atMost(TIMEOUT)
        .until(
            () -> !unlimited(consumer(stream, durableA)) && !unlimited(consumer(stream, durableB)));
    assertThat(a.duplicates()).isEmpty();
  }

  @Test
  void jetStreamDeletesTheConsumerOfABindingThatEndedOnceItsRetentionPassed() throws Exception {
    Process p = new Process(retaining("gone", Duration.ofSeconds(1)));
    String stream = bindOne(p, "gone").getStream();
    p.specs.delete(new TriggerId(NS, "gone"));
    await().atMost(TIMEOUT).until(() -> consumer(stream, NS + "_gone_gone") == null);
  }

  /**
   * A JetStream trigger {@code name} on a stream of its own, bound to one function {@code name},
   * applied to {@code p} and consuming; returns its spec.
   */
  private NATSTriggerSpec bindOne(Process p, String name) throws Exception {
    String subject = subject(name);
    String stream = stream(subject);
    function(name, Map.of("app", name));
    NATSTriggerSpec spec = spec(subject, Map.of("app", name));
    spec.setStream(stream);
    TriggerId id = new TriggerId(NS, name);
    p.specs.apply(id, spec);
    p.awaitActive(id, 1);
    assertThat(consumer(stream, NS + "_" + name + "_" + name)).isNotNull();
    return spec;
  }

  @Test
  void aRetentionOfZeroDeletesTheConsumerAsItsBindingEnds() throws Exception {
    Process p = new Process(retaining("now", Duration.ZERO));
    NATSTriggerSpec spec = bindOne(p, "now");
    String stream = spec.getStream();
    TriggerId id = new TriggerId(NS, "now");

    // a graceful stop (a restart) keeps it: the next process resumes from it
    p.close();
    closing.remove(p);
    assertThat(consumer(stream, NS + "_now_now")).isNotNull();

    Process q = new Process(retaining("now", Duration.ZERO));
    q.specs.apply(id, spec);
    q.awaitActive(id, 1);
    q.specs.delete(id);
    await().atMost(TIMEOUT).until(() -> consumer(stream, NS + "_now_now") == null);
  }

  /**
   * Two replicas read through one consumer with deliverPolicy all; the first one's binding ends
   * with a retention of zero (it saw the trigger's deletion first) and deletes the consumer while
   * the second still reads: the second creates it again at the stream's new messages, not at its
   * start, which would send every retained message a second time.
   */
  @Test
  void aConsumerDeletedUnderABoundReplicaIsCreatedAgainAtTheNewMessagesNotReplayed()
      throws Exception {
    String subject = subject("gone");
    String stream = stream(subject);
    RecordingFunction f = function("again", Map.of("app", "again"));
    NATSTriggerSpec spec = spec(subject, Map.of("app", "again"));
    spec.setStream(stream);
    spec.setDeliverPolicy("all");
    TriggerId id = new TriggerId(NS, "again");
    String durable = NS + "_again_again";
    for (int i = 0; i < 20; i++) {
      publisher.jetStream().publish(subject, ("{\"n\":" + i + "}").getBytes());
    }
    Process first = new Process(retaining("again", Duration.ZERO));
    Process second = new Process(retaining("again", Duration.ZERO));
    first.specs.apply(id, spec);
    second.specs.apply(id, spec);
    first.awaitActive(id, 1);
    second.awaitActive(id, 1);
    await().atMost(TIMEOUT).until(() -> f.received() == 20);
    var created = consumer(stream, durable).getCreationTime();

    first.specs.delete(id);
    await()
        .atMost(TIMEOUT)
        .until(
            () -> {
              var info = consumer(stream, durable);
              return info != null && info.getCreationTime().isAfter(created);
            });
    second.awaitActive(id, 1);
    for (int i = 20; i < 30; i++) {
      publisher.jetStream().publish(subject, ("{\"n\":" + i + "}").getBytes());
    }
    await().atMost(TIMEOUT).until(() -> f.distinct() == 30);
    assertThat(f.duplicates()).isEmpty();
    assertThat(f.received()).isEqualTo(30);
    assertThat(consumer(stream, durable).getConsumerConfiguration().getDeliverPolicy())
        .isEqualTo(io.nats.client.api.DeliverPolicy.New);
  }

  @Test
  void aTriggerMovedToAnotherConsumerOrStreamRetiresTheConsumerItLeft() throws Exception {
    String subject = subject("moved");
    String first = stream(subject);
    RecordingFunction f = function("moved", Map.of("app", "moved"));
    NATSTriggerSpec spec = spec(subject, Map.of("app", "moved"));
    spec.setStream(first);
    TriggerId id = new TriggerId(NS, "moved");
    String durable = NS + "_moved_moved";
    Process p = new Process(retaining("moved", Duration.ofDays(1)));
    p.specs.apply(id, spec);
    p.awaitActive(id, 1);
    publisher.jetStream().publish(subject, "{\"n\":0}".getBytes());
    await().atMost(TIMEOUT).until(() -> f.received() == 1);

    // another consumer name on the same stream: the one left is given the retention, the new one
    // has none and starts at the stream's new messages
    spec.setDurable("renamed");
    p.specs.apply(id, spec);
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                consumer(first, "renamed_moved") != null
                    && Duration.ofDays(1)
                        .equals(
                            consumer(first, durable)
                                .getConsumerConfiguration()
                                .getInactiveThreshold()));
    p.awaitActive(id, 1);
    assertThat(unlimited(consumer(first, "renamed_moved"))).isTrue();
    publisher.jetStream().publish(subject, "{\"n\":1}".getBytes());
    await().atMost(TIMEOUT).until(() -> f.received() == 2);

    // another stream: the consumer on the first is retired too, the new stream's messages flow
    String other = subject("moved");
    String second = stream(other);
    NATSTriggerSpec moved = spec(other, Map.of("app", "moved"));
    moved.setStream(second);
    p.specs.apply(id, moved);
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                consumer(second, durable) != null && !unlimited(consumer(first, "renamed_moved")));
    p.awaitActive(id, 1);
    assertThat(unlimited(consumer(second, durable))).isTrue();
    publisher.jetStream().publish(other, "{\"n\":2}".getBytes());
    await().atMost(TIMEOUT).until(() -> f.received() == 3);

    // core NATS: the JetStream consumer is retired as well
    p.specs.apply(id, spec(other, Map.of("app", "moved")));
    await().atMost(TIMEOUT).until(() -> !unlimited(consumer(second, durable)));
    assertThat(f.duplicates()).isEmpty();
  }

  @Test
  void aMissingStreamIsReportedAndConsumptionStartsWhenItIsCreated() throws Exception {
    Process p = new Process("missing");
    RecordingFunction f = function("late", Map.of("app", "late"));
    String stream = "LATE" + (++subjects);
    String subject = "late" + subjects;
    NATSTriggerSpec spec = spec(subject, Map.of("app", "late"));
    spec.setStream(stream);
    TriggerId id = new TriggerId(NS, "late");
    p.specs.apply(id, spec);
    await()
        .atMost(TIMEOUT)
        .until(() -> p.states(id).stream().anyMatch(s -> s.reason().equals("StreamNotFound")));
    assertThat(p.states(id))
        .filteredOn(s -> s.reason().equals("StreamNotFound"))
        .first()
        .extracting(BindingState::message)
        .isEqualTo(
            "stream %s does not exist; consumption starts when it is created (e.g. kubeless"
                    .formatted(stream)
                + " trigger nats create-stream %s --subjects '%s')".formatted(stream, subject));

    publisher
        .jetStreamManagement()
        .addStream(StreamConfiguration.builder().name(stream).subjects(subject).build());
    p.awaitActive(id, 1);
    publisher.jetStream().publish(subject, "{\"n\":1}".getBytes());
    await().atMost(TIMEOUT).until(() -> f.received() == 1);
  }

  @Test
  void aStreamCreatedAfterTheBindingIsReadFromItsFirstMessageEvenWithNew() throws Exception {
    Process p = new Process("created-later");
    RecordingFunction f = function("early", Map.of("app", "early"));
    String stream = "EARLY" + (++subjects);
    String subject = "early" + subjects;
    NATSTriggerSpec spec = spec(subject, Map.of("app", "early"));
    spec.setStream(stream); // deliverPolicy new, the default
    TriggerId id = new TriggerId(NS, "early");
    p.specs.apply(id, spec);
    await()
        .atMost(TIMEOUT)
        .until(() -> p.states(id).stream().anyMatch(s -> s.reason().equals("StreamNotFound")));

    // published before the binding finds the stream: every message is newer than the binding
    publisher
        .jetStreamManagement()
        .addStream(StreamConfiguration.builder().name(stream).subjects(subject).build());
    for (int i = 0; i < 20; i++) {
      publisher.jetStream().publish(subject, ("{\"n\":" + i + "}").getBytes());
    }

    await().atMost(TIMEOUT).until(() -> f.received() == 20);
    p.awaitActive(id, 1);
    assertThat(f.duplicates()).isEmpty();
    var config = consumer(stream, NS + "_early_early").getConsumerConfiguration();
    assertThat(config.getDeliverPolicy()).isEqualTo(io.nats.client.api.DeliverPolicy.All);
    // nats consumer info tells whose it is
    assertThat(config.getDescription())
        .isEqualTo("kubeless NATSTrigger " + NS + "/early -> function early");
  }

  @Test
  void invalidSpecsAreRefusedNamingTheField() {
    TriggerEngine engine =
        new TriggerEngine(directory, invoker, new TriggerMetrics(new SimpleMeterRegistry()));
    closing.add(engine);
    NatsSource source = new NatsSource(engine, settings("validation"));
    closing.add(source);
    assertThatThrownBy(() -> source.subscription(spec("", Map.of())))
        .isInstanceOf(InvalidTriggerException.class)
        .hasMessageContaining("spec.topic is empty");
    for (String bad : List.of("orders..x", "orders.>.x", "ord*rs", "orders x", ".orders")) {
      assertThatThrownBy(() -> source.subscription(spec(bad, Map.of())))
          .as(bad)
          .isInstanceOf(InvalidTriggerException.class)
          .hasMessageContaining("is not a NATS subject");
    }
    NATSTriggerSpec js = spec("orders.>", Map.of());
    js.setStream("ORDERS.EU");
    assertThatThrownBy(() -> source.subscription(js)).hasMessageContaining("spec.stream");
    NATSTriggerSpec durable = spec("orders.>", Map.of());
    durable.setDurable("d");
    assertThatThrownBy(() -> source.subscription(durable))
        .hasMessageContaining("set spec.stream too");
    NATSTriggerSpec ordering = spec("orders.>", Map.of());
    ordering.setOrdering("random");
    assertThatThrownBy(() -> source.subscription(ordering)).hasMessageContaining("ordering");
  }

  @Test
  void subjectsOfEveryShapeAreAccepted() throws Exception {
    TriggerEngine engine =
        new TriggerEngine(directory, invoker, new TriggerMetrics(new SimpleMeterRegistry()));
    closing.add(engine);
    NatsSource source = new NatsSource(engine, settings("shapes"));
    closing.add(source);
    for (String good : List.of("orders", "orders.*", "orders.>", ">", "*.created", "a-b_c.d")) {
      assertThat(source.subscription(spec(good, Map.of())).topic()).isEqualTo(good);
    }
  }
}
