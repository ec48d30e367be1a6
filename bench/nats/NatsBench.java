import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.kubeless.api.v1beta1.NATSTriggerSpec;
import io.kubeless.nats.source.NatsSettings;
import io.kubeless.nats.source.NatsSource;
import io.kubeless.nats.source.NatsSubscription;
import io.kubeless.testing.TestingSpecs;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.delivery.Ordering;
import io.kubeless.trigger.engine.BindingState;
import io.kubeless.trigger.engine.Bindings;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerState;
import io.kubeless.trigger.function.FunctionEndpoint;
import io.kubeless.trigger.function.InMemoryFunctionDirectory;
import io.kubeless.trigger.invoke.Event;
import io.kubeless.trigger.invoke.Invoker;
import io.kubeless.trigger.invoke.Outcome;
import io.kubeless.trigger.metrics.TriggerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.ConsumerContext;
import io.nats.client.FetchConsumeOptions;
import io.nats.client.FetchConsumer;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.vertx.core.Vertx;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The NATS trigger's engine measured side by side with a baseline in one run, against a real
 * nats-server and a function runtime with a no-op handler (run.sh starts both). Three benchmarks,
 * chosen by the first argument:
 *
 * <ul>
 *   <li>{@code core}: the engine ({@code ordering: partition}, a queue subscription) next to a bare
 *       jnats loop (a sync queue subscription, each message invoked in order with the same {@link
 *       Invoker}); per turn the side subscribes, MESSAGES messages of SIZE bytes are published at
 *       once (pending limits raised so that nothing is dropped: a round with drops is invalid),
 *       and the rate is taken from the first delivery to the last;
 *   <li>{@code jetstream}: the engine (a durable pull consumer, {@code ordering: partition}) next
 *       to a bare jnats loop doing what it does by hand: fetch 100, ackSync the last ({@code
 *       AckPolicy.All}), invoke each in order; MESSAGES messages are published to a stream of their
 *       own first, and the drain rate is taken from the first delivery to the last;
 *   <li>{@code keys}: the engine with {@code ordering: key} (KEYS subjects under one wildcard; the
 *       subject is a NATS binding's key) and {@code ordering: none}, core NATS and JetStream, next
 *       to the function's own capacity measured with wrk (POSTs of the same body with the trigger's
 *       headers, as many connections as maxInFlight).
 * </ul>
 *
 * <p>Sides alternate from round to round (ABAB, BABA, ...), and the medians of ROUNDS rounds are
 * reported. Run with bench/nats/run.sh.
 */
public class NatsBench {

  static final int MESSAGES = Integer.getInteger("messages", 20_000);
  static final int WARMUP = Integer.getInteger("warmup", Math.max(1_000, MESSAGES / 2));
  static final int ROUNDS = Integer.getInteger("rounds", 3);
  static final int KEYS = Integer.getInteger("keys", 1_000);
  static final int SIZE = Integer.getInteger("size", 1024);
  static final int MAX_IN_FLIGHT = Integer.getInteger("maxInFlight", 64);
  static final int BATCH = 100;
  static final String NS = "bench";
  static final Duration STALL = Duration.ofSeconds(Long.getLong("stallSeconds", 20));
  static final AtomicInteger SUBJECTS = new AtomicInteger();

  static String url;
  static URI function;
  static String functionName;
  static Path work;
  static Invoker invoker;
  static Connection publisher;
  static byte[] payload;

  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "core";
    url = required("natsUrl");
    function = URI.create(required("functionUrl"));
    functionName = System.getProperty("functionName", "function");
    work = Path.of(System.getProperty("workDir", System.getProperty("java.io.tmpdir")));
    payload = new byte[SIZE];
    Arrays.fill(payload, (byte) 'x');
    Vertx vertx = Vertx.vertx();
    invoker = new Invoker(vertx, Invoker.Options.defaults());
    publisher = Nats.connect(options("bench-publisher"));
    int status =
        switch (mode) {
          case "core" -> compare(false);
          case "jetstream" -> compare(true);
          case "keys" -> keys();
          default -> throw new IllegalArgumentException("unknown benchmark " + mode);
        };
    System.exit(status);
  }

  static String required(String property) {
    String value = System.getProperty(property);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("-D" + property + " is not set; run bench/nats/run.sh");
    }
    return value;
  }

  static Options options(String name) {
    return new Options.Builder()
        .server(url)
        .connectionName(name)
        .maxMessagesInOutgoingQueue(Math.max(100_000, 2 * MESSAGES))
        .build();
  }

  // --- core and jetstream: engine vs bare jnats loop --------------------------------------------

  /** One measured turn of one side: its rate, or why it is not valid. */
  record Turn(double rate, long drops, String problem) {
    boolean valid() {
      return problem == null;
    }
  }

  interface Side {
    Turn run(int messages) throws Exception;
  }

  static int compare(boolean jetStream) throws Exception {
    String kind = jetStream ? "JetStream" : "core NATS";
    Side bare = n -> jetStream ? jetStreamTurn(n, Target.BARE, null) : coreTurn(n, Target.BARE, null);
    Side engine =
        n ->
            jetStream
                ? jetStreamTurn(n, Target.ENGINE, Ordering.PARTITION)
                : coreTurn(n, Target.ENGINE, Ordering.PARTITION);
    // warm-up, not measured: both sides' code paths (and the function) warm before round 1
    bare.run(WARMUP);
    engine.run(WARMUP);
    List<double[]> rounds = new ArrayList<>();
    int invalid = 0;
    for (int round = 1; round <= ROUNDS; round++) {
      boolean bareFirst = round % 2 == 1;
      Turn b = null;
      Turn e = null;
      for (int turn = 0; turn < 2; turn++) {
        settle();
        if ((turn == 0) == bareFirst) {
          b = bare.run(MESSAGES);
        } else {
          e = engine.run(MESSAGES);
        }
      }
      boolean valid = b.valid() && e.valid();
      System.out.printf(
          "round %d: bare %.0f msgs/s, engine %.0f msgs/s, ratio %.2f; drops bare %d, engine %d%s%n",
          round,
          b.rate(),
          e.rate(),
          e.rate() / b.rate(),
          b.drops(),
          e.drops(),
          valid ? "" : " INVALID (" + (b.valid() ? e.problem() : b.problem()) + ")");
      if (valid) {
        rounds.add(new double[] {b.rate(), e.rate()});
      } else {
        invalid++;
      }
    }
    System.out.printf(
        "%n%s, %d x %d B messages, ordering partition (one at a time, in order), %s with a no-op"
            + " handler;%n%s; median of %d valid rounds (%d invalid); %d cores%n",
        kind,
        MESSAGES,
        SIZE,
        functionName,
        jetStream
            ? "pre-published to a stream, fetched 100 at a time, acknowledged before sending;"
                + " rate from first to last delivery"
            : "published at once while the side is subscribed; rate from first to last delivery",
        rounds.size(),
        invalid,
        Runtime.getRuntime().availableProcessors());
    if (rounds.isEmpty()) {
      System.out.println("no valid round: nothing to report");
      return 1;
    }
    double[] m = medians(rounds, 2);
    double ratio = m[1] / m[0];
    System.out.printf("%-34s %12s %8s %8s%n", "side", "msgs/s", "ratio", "goal");
    System.out.printf("%-34s %12.0f %8s%n", "bare jnats loop + Invoker", m[0], "1.00");
    System.out.printf(
        "%-34s %12.0f %8.2f %8s  %s%n",
        "trigger engine (NatsSource)", m[1], ratio, ">= 0.90", ratio >= 0.9 ? "PASS" : "BELOW");
    System.out.printf(
        "engine/bare %.2fx (geometric mean of the rounds' ratios)%n", geomean(rounds, 1, 0));
    return 0;
  }

  enum Target {
    BARE,
    ENGINE
  }

  /**
   * Subscribes a side to a fresh subject, publishes {@code messages} at once and measures its rate
   * from the first delivery to the last.
   */
  static Turn coreTurn(int messages, Target target, Ordering ordering) throws Exception {
    int n = SUBJECTS.incrementAndGet();
    boolean keyed = ordering != null && ordering != Ordering.PARTITION;
    String topic = keyed ? "core" + n + ".>" : "core" + n + ".m";
    List<String> subjects = subjects("core" + n, ordering);
    try (Running side =
        target == Target.BARE ? bareCore(topic) : engine(topic, null, ordering)) {
      side.awaitReady();
      Thread publishing =
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      for (int i = 0; i < messages; i++) {
                        publisher.publish(subjects.get(i % subjects.size()), payload);
                        if (i % 2_000 == 1_999) {
                          publisher.flush(Duration.ofSeconds(10));
                        }
                      }
                      publisher.flush(Duration.ofSeconds(10));
                    } catch (Exception e) {
                      throw new IllegalStateException(e);
                    }
                  });
      Turn turn = side.measure(messages);
      publishing.join();
      return turn;
    }
  }

  /** Publishes {@code messages} to a stream of their own, then measures a side draining it. */
  static Turn jetStreamTurn(int messages, Target target, Ordering ordering) throws Exception {
    int n = SUBJECTS.incrementAndGet();
    String stream = "BENCH" + n;
    boolean keyed = ordering != null && ordering != Ordering.PARTITION;
    String topic = keyed ? "js" + n + ".>" : "js" + n + ".m";
    List<String> subjects = subjects("js" + n, ordering);
    JetStreamManagement jsm = publisher.jetStreamManagement();
    jsm.addStream(
        StreamConfiguration.builder()
            .name(stream)
            .subjects("js" + n + ".>")
            .storageType(StorageType.File)
            .build());
    try {
      JetStream js = publisher.jetStream();
      List<CompletableFuture<PublishAck>> window = new ArrayList<>();
      for (int i = 0; i < messages; i++) {
        window.add(js.publishAsync(subjects.get(i % subjects.size()), payload));
        if (window.size() == 1_000) {
          CompletableFuture.allOf(window.toArray(CompletableFuture[]::new)).get();
          window.clear();
        }
      }
      CompletableFuture.allOf(window.toArray(CompletableFuture[]::new)).get();
      long stored = jsm.getStreamInfo(stream).getStreamState().getMsgCount();
      if (stored != messages) {
        throw new IllegalStateException(stream + " holds " + stored + " of " + messages);
      }
      settle();
      try (Running side =
          target == Target.BARE ? bareJetStream(stream, topic) : engine(topic, stream, ordering)) {
        return side.measure(messages);
      }
    } finally {
      jsm.deleteStream(stream);
    }
  }

  /** One subject for ordering partition; KEYS subjects (keys of a NATS binding) otherwise. */
  static List<String> subjects(String prefix, Ordering ordering) {
    if (ordering == null || ordering == Ordering.PARTITION) {
      return List.of(prefix + ".m");
    }
    List<String> subjects = new ArrayList<>();
    for (int k = 0; k < KEYS; k++) {
      subjects.add(prefix + ".k" + k);
    }
    return subjects;
  }

  // --- keys: ordering key / none vs the function's capacity -------------------------------------

  static int keys() throws Exception {
    record Row(String name, boolean jetStream, Ordering ordering) {}
    List<Row> rows =
        List.of(
            new Row("trigger, core, ordering: key", false, Ordering.KEY),
            new Row("trigger, core, ordering: none", false, Ordering.NONE),
            new Row("trigger, JetStream, ordering: key", true, Ordering.KEY),
            new Row("trigger, JetStream, ordering: none", true, Ordering.NONE));
    String duration = System.getProperty("duration", "10s");
    // warm-up, not measured
    wrk("5s");
    for (Row row : rows) {
      keyTurn(row.jetStream(), row.ordering(), WARMUP);
    }
    // per round: capacity, then each row
    List<double[]> rounds = new ArrayList<>();
    int invalid = 0;
    for (int round = 1; round <= ROUNDS; round++) {
      double[] r = new double[rows.size() + 1];
      settle();
      r[0] = wrk(duration);
      StringBuilder line =
          new StringBuilder(
              "round %d: capacity (wrk -c%d) %.0f req/s".formatted(round, MAX_IN_FLIGHT, r[0]));
      String problem = null;
      // the rows in a rotating order, so that none always runs right after wrk
      for (int i = 0; i < rows.size(); i++) {
        int k = (i + round - 1) % rows.size();
        settle();
        Turn t = keyTurn(rows.get(k).jetStream(), rows.get(k).ordering(), MESSAGES);
        r[k + 1] = t.rate();
        if (!t.valid()) {
          problem = rows.get(k).name() + ": " + t.problem();
        }
      }
      for (int k = 0; k < rows.size(); k++) {
        line.append(
            ", %s %.0f (%.2fx)"
                .formatted(rows.get(k).name().replace("trigger, ", ""), r[k + 1], r[k + 1] / r[0]));
      }
      System.out.println(line + (problem == null ? "" : " INVALID (" + problem + ")"));
      if (problem == null) {
        rounds.add(r);
      } else {
        invalid++;
      }
    }
    System.out.printf(
        "%n%s with a no-op handler; %d x %d B messages over %d subjects (the key), maxInFlight %d;"
            + "%nmedian of %d valid rounds (%d invalid); %d cores%n",
        functionName,
        MESSAGES,
        SIZE,
        KEYS,
        MAX_IN_FLIGHT,
        rounds.size(),
        invalid,
        Runtime.getRuntime().availableProcessors());
    if (rounds.isEmpty()) {
      System.out.println("no valid round: nothing to report");
      return 1;
    }
    double[] m = medians(rounds, rows.size() + 1);
    System.out.printf("%-36s %12s %8s %8s%n", "side", "msgs/s", "ratio", "goal");
    System.out.printf(
        "%-36s %12.0f %8s%n", "function capacity (wrk -c" + MAX_IN_FLIGHT + ")", m[0], "1.00");
    for (int k = 0; k < rows.size(); k++) {
      double ratio = m[k + 1] / m[0];
      System.out.printf(
          "%-36s %12.0f %8.2f %8s  %s%n",
          rows.get(k).name(), m[k + 1], ratio, ">= 0.80", ratio >= 0.8 ? "PASS" : "BELOW");
    }
    StringBuilder means = new StringBuilder("geometric means of the rounds' ratios:");
    for (int k = 0; k < rows.size(); k++) {
      means.append(
          " %s %.2fx%s"
              .formatted(
                  rows.get(k).name().replace("trigger, ", ""),
                  geomean(rounds, k + 1, 0),
                  k < rows.size() - 1 ? ";" : ""));
    }
    System.out.println(means);
    return 0;
  }

  static Turn keyTurn(boolean jetStream, Ordering ordering, int messages) throws Exception {
    return jetStream
        ? jetStreamTurn(messages, Target.ENGINE, ordering)
        : coreTurn(messages, Target.ENGINE, ordering);
  }

  /** Requests/s of wrk POSTing the same body with the trigger's headers, MAX_IN_FLIGHT connections. */
  static double wrk(String duration) throws Exception {
    Path script = Files.createTempFile(work, "post", ".lua");
    try {
      Files.writeString(
          script,
          "wrk.method = \"POST\"\nwrk.body = string.rep(\"x\", " + SIZE + ")\n" + headers());
      Process wrk =
          new ProcessBuilder(
                  "wrk",
                  "-t2",
                  "-c" + MAX_IN_FLIGHT,
                  "-d" + duration,
                  "-s",
                  script.toString(),
                  function.toString())
              .redirectErrorStream(true)
              .start();
      String out = new String(wrk.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      wrk.waitFor();
      if (out.contains("Non-2xx")) {
        throw new IllegalStateException("the function answered errors to wrk: " + out);
      }
      for (String line : out.split("\n")) {
        if (line.startsWith("Requests/sec:")) {
          return Double.parseDouble(line.substring("Requests/sec:".length()).trim());
        }
      }
      throw new IllegalStateException("wrk said: " + out);
    } finally {
      Files.deleteIfExists(script);
    }
  }

  /** The headers the trigger sends with each message, as a wrk script sets them. */
  static String headers() {
    String time = "2026-01-01T00:00:00.000Z";
    String id = "0123456789ab-12345";
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("User-Agent", "kubeless-trigger/1");
    headers.put("Content-Type", "text/plain; charset=utf-8");
    headers.put("event-id", id);
    headers.put("event-time", time);
    headers.put("event-namespace", "natstriggers.kubeless.io");
    headers.put("event-type", "text/plain; charset=utf-8");
    headers.put("event-topic", "core1.k1");
    headers.put("ce-specversion", "1.0");
    headers.put("ce-id", id);
    headers.put("ce-source", "/apis/kubeless.io/v1beta1/namespaces/bench/natstriggers/keys");
    headers.put("ce-type", "io.kubeless.nats.message");
    headers.put("ce-time", time);
    StringBuilder lua = new StringBuilder();
    headers.forEach(
        (name, value) ->
            lua.append("wrk.headers[\"").append(name).append("\"] = \"").append(value).append("\"\n"));
    return lua.toString();
  }

  // --- the sides --------------------------------------------------------------------------------

  /** A side consuming one subject: the engine, or a bare loop. */
  abstract static class Running implements AutoCloseable {

    /** Messages the function answered 2xx. */
    abstract long delivered();

    /** Messages lost (slow consumer, function errors) so far. */
    abstract long lost();

    abstract boolean ready();

    void awaitReady() throws InterruptedException {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!ready()) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the side did not subscribe within 60 s");
        }
        Thread.sleep(10);
      }
    }

    /**
     * Messages/s from the first delivery to the {@code messages}-th; invalid when messages were
     * lost or delivery stalled.
     */
    Turn measure(int messages) throws InterruptedException {
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (delivered() < 1) {
        if (System.nanoTime() > deadline || lost() > 0) {
          return new Turn(Double.NaN, lost(), "nothing delivered; lost " + lost());
        }
        Thread.sleep(Duration.ofNanos(100_000));
      }
      long t0 = System.nanoTime();
      long first = delivered();
      long last = first;
      long progress = t0;
      while (true) {
        long now = delivered();
        if (now >= messages) {
          double rate = (now - first) / ((System.nanoTime() - t0) / 1e9);
          long lost = lost();
          return new Turn(rate, lost, lost == 0 ? null : lost + " messages lost");
        }
        if (now != last) {
          last = now;
          progress = System.nanoTime();
        } else if (System.nanoTime() - progress > STALL.toNanos()) {
          return new Turn(
              Double.NaN,
              lost(),
              "stalled at %d of %d delivered, %d lost".formatted(now, messages, lost()));
        }
        Thread.sleep(1);
      }
    }
  }

  static FunctionEndpoint endpoint() {
    return new FunctionEndpoint(
        NS, "noop", function, Duration.ofSeconds(30), true, Map.of("app", "noop"));
  }

  static NatsSettings settings(String name) {
    NatsSettings d = NatsSettings.defaults(NatsSettings.Server.at(url, name));
    return new NatsSettings(
        d.server(),
        pendingMessages(),
        pendingBytes(),
        Integer.getInteger("batchSize", d.batchSize()),
        d.fetchWait(),
        d.ackTimeout(),
        d.ackWait(),
        Duration.ofSeconds(10),
        d.idleInterval(),
        d.consumerRetention());
  }

  /** Pending limits of both sides' core subscriptions: room for a whole turn's messages. */
  static int pendingMessages() {
    return Math.max(65_536, 2 * MESSAGES);
  }

  static long pendingBytes() {
    return Math.max(64L * 1024 * 1024, 2L * MESSAGES * (SIZE + 512));
  }

  /** The engine as the NATS trigger runs it: one trigger bound to the no-op function. */
  static Running engine(String topic, String stream, Ordering ordering) {
    InMemoryFunctionDirectory directory = new InMemoryFunctionDirectory();
    directory.put(endpoint());
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    TriggerEngine engine = new TriggerEngine(directory, invoker, new TriggerMetrics(registry));
    NatsSource source = new NatsSource(engine, settings("bench-engine"));
    Bindings<NATSTriggerSpec, NatsSubscription> bindings =
        new Bindings<>(engine, source, Duration.ofSeconds(30));
    TestingSpecs<NATSTriggerSpec> specs = new TestingSpecs<>();
    bindings.open(specs);
    NATSTriggerSpec spec = new NATSTriggerSpec();
    spec.setTopic(topic);
    spec.setFunctionSelector(
        new LabelSelectorBuilder().withMatchLabels(Map.of("app", "noop")).build());
    spec.setOrdering(ordering.label());
    spec.setMaxInFlight(MAX_IN_FLIGHT);
    if (stream != null) {
      spec.setStream(stream);
      spec.setDeliverPolicy("all");
    }
    TriggerId id = new TriggerId(NS, "t" + SUBJECTS.get());
    specs.apply(id, spec);
    return new Running() {
      @Override
      long delivered() {
        return (long) sum("kubeless.trigger.invocations", "outcome", "success");
      }

      @Override
      long lost() {
        double failed =
            registry.find("kubeless.trigger.invocations").counters().stream()
                    .mapToDouble(c -> c.count())
                    .sum()
                - delivered();
        return (long) (sum("kubeless.trigger.events.dropped", null, null) + failed);
      }

      double sum(String name, String tag, String value) {
        var search = registry.find(name);
        if (tag != null) {
          search = search.tag(tag, value);
        }
        return search.counters().stream().mapToDouble(c -> c.count()).sum();
      }

      @Override
      boolean ready() {
        List<BindingState> states =
            bindings.state(id).map(TriggerState::functions).orElse(List.of());
        return states.size() == 1 && states.getFirst().ready();
      }

      @Override
      public void close() throws Exception {
        bindings.close();
        source.close();
        engine.close();
      }
    };
  }

  /** A bare loop's state: its connection, its thread, what it delivered and lost. */
  static final class BareLoop extends Running {
    final AtomicLong delivered = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final AtomicBoolean stop = new AtomicBoolean();
    final FunctionEndpoint endpoint = endpoint();
    final String source = "/apis/kubeless.io/v1beta1/namespaces/" + NS + "/natstriggers/bare";
    Connection conn;
    Subscription sub;
    Thread thread;
    volatile Exception error;

    @Override
    long delivered() {
      return delivered.get();
    }

    /** Slow-consumer drops of a core subscription, function errors, and a failed loop. */
    @Override
    long lost() {
      return (sub == null ? 0 : sub.getDroppedCount()) + failed.get() + (error == null ? 0 : 1);
    }

    @Override
    boolean ready() {
      return true;
    }

    /** Invokes the function with the event the trigger would build; counts the outcome. */
    void invoke(Message m, String id, Instant time) throws InterruptedException {
      Event event =
          new Event(
              id,
              time,
              "natstriggers.kubeless.io",
              m.getSubject(),
              source,
              "io.kubeless.nats.message",
              null,
              m.getData(),
              Map.of(),
              null);
      Outcome outcome = invoker.invoke(endpoint, event);
      if (outcome.kind() == Outcome.Kind.SUCCESS) {
        delivered.incrementAndGet();
      } else {
        failed.incrementAndGet();
      }
    }

    void loop(String name, Body body) {
      thread =
          Thread.ofPlatform()
              .name(name)
              .start(
                  () -> {
                    try {
                      while (!stop.get()) {
                        body.run();
                      }
                    } catch (Exception e) {
                      error = e;
                      e.printStackTrace();
                    }
                  });
    }

    interface Body {
      void run() throws Exception;
    }

    @Override
    public void close() throws Exception {
      stop.set(true);
      thread.join();
      conn.close();
    }
  }

  /** What one writes by hand for core NATS: a sync queue subscription, one message at a time. */
  static Running bareCore(String topic) throws Exception {
    BareLoop loop = new BareLoop();
    loop.conn = Nats.connect(options("bench-bare"));
    Subscription sub = loop.conn.subscribe(topic, "bare_" + topic);
    sub.setPendingLimits(pendingMessages(), pendingBytes());
    // the server has the interest before anything is published
    loop.conn.flush(Duration.ofSeconds(5));
    loop.sub = sub;
    AtomicLong sequence = new AtomicLong();
    loop.loop(
        "bare-core",
        () -> {
          Message m = sub.nextMessage(Duration.ofMillis(100));
          if (m != null) {
            loop.invoke(m, "bare-" + sequence.incrementAndGet(), Instant.now());
          }
        });
    return loop;
  }

  /**
   * What one writes by hand for JetStream: a durable pull consumer (AckPolicy.All), fetch 100,
   * ackSync the last, then invoke each in order.
   */
  static Running bareJetStream(String stream, String topic) throws Exception {
    BareLoop loop = new BareLoop();
    loop.conn = Nats.connect(options("bench-bare"));
    JetStreamManagement jsm = loop.conn.jetStreamManagement();
    jsm.addOrUpdateConsumer(
        stream,
        ConsumerConfiguration.builder()
            .durable("bare")
            .filterSubject(topic)
            .ackPolicy(AckPolicy.All)
            .ackWait(Duration.ofSeconds(30))
            .deliverPolicy(DeliverPolicy.All)
            .maxAckPending(Math.max(1000L, 4L * BATCH))
            .build());
    ConsumerContext consumer = loop.conn.getStreamContext(stream).getConsumerContext("bare");
    FetchConsumeOptions fetch =
        FetchConsumeOptions.builder().maxMessages(BATCH).noWaitExpiresIn(1000).build();
    loop.loop(
        "bare-jetstream",
        () -> {
          List<Message> messages = new ArrayList<>(BATCH);
          try (FetchConsumer f = consumer.fetch(fetch)) {
            for (Message m = f.nextMessage(); m != null; m = f.nextMessage()) {
              if (m.isJetStream()) {
                messages.add(m);
              }
            }
          }
          if (messages.isEmpty()) {
            return;
          }
          messages.getLast().ackSync(Duration.ofSeconds(5));
          for (Message m : messages) {
            loop.invoke(
                m,
                stream + "-" + m.metaData().streamSequence(),
                m.metaData().timestamp().toInstant());
          }
        });
    return loop;
  }

  // --- helpers -----------------------------------------------------------------------------------

  /** The geometric mean over the rounds of r[num] / r[den]. */
  static double geomean(List<double[]> rounds, int num, int den) {
    return Math.exp(
        rounds.stream().mapToDouble(r -> Math.log(r[num] / r[den])).average().orElse(Double.NaN));
  }

  static double[] medians(List<double[]> rounds, int width) {
    double[] m = new double[width];
    for (int i = 0; i < width; i++) {
      int k = i;
      double[] values = rounds.stream().mapToDouble(r -> r[k]).sorted().toArray();
      int mid = values.length / 2;
      m[i] = values.length % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }
    return m;
  }

  /** Lets the JVM, the server and the function calm down between measurements. */
  static void settle() throws InterruptedException {
    System.gc();
    Thread.sleep(Long.getLong("settleMillis", 2000));
  }
}
