import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.kubeless.api.v1beta1.KafkaTriggerSpec;
import io.kubeless.kafka.TestingKafka;
import io.kubeless.kafka.source.ConsumerSettings;
import io.kubeless.kafka.source.KafkaClientProperties;
import io.kubeless.kafka.source.KafkaSource;
import io.kubeless.kafka.source.KafkaSubscription;
import io.kubeless.testing.TestingSpecs;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.delivery.Ordering;
import io.kubeless.trigger.engine.BindingState;
import io.kubeless.trigger.engine.Bindings;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerState;
import io.kubeless.trigger.function.FunctionEndpoint;
import io.kubeless.trigger.function.InMemoryFunctionDirectory;
import io.kubeless.trigger.invoke.Invoker;
import io.kubeless.trigger.metrics.TriggerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The Kafka trigger's engine measured side by side with a baseline in one run, with the broker in a
 * JVM of its own (run.sh starts it). Three benchmarks, chosen by the first argument:
 *
 * <ul>
 *   <li>{@code throughput}: the engine next to a bare loop (plain kafka-clients, commitSync before
 *       sending, one Vert.x HTTP client), both delivering to the same in-JVM no-op Vert.x server:
 *       RECORDS records of 1 KB drained from a one-partition topic (ABBA order per round), and
 *       latency at a steady LATENCY_RATE records/s;
 *   <li>{@code keys}: a one-partition topic whose records carry KEYS keys, delivered to a function
 *       runtime with a no-op handler (started by run.sh; FUNCTION_URL) with {@code ordering: key}
 *       and with {@code ordering: partition}, next to the function's own capacity measured with wrk
 *       at the same concurrency (64, the default maxInFlight);
 *   <li>{@code bindings}: threads and heap of one process holding 1, 100 and 500 bindings (each
 *       its own consumer, assigned its partitions), idle and after delivering, against the same
 *       process before.
 * </ul>
 *
 * <p>Run with bench/kafka/run.sh.
 */
public class KafkaBench {

  static final int RECORDS = Integer.getInteger("records", 100_000);
  static final int LATENCY_RECORDS = Integer.getInteger("latencyRecords", 5_000);
  static final int LATENCY_RATE = Integer.getInteger("latencyRate", 1_000);
  static final int ROUNDS = Integer.getInteger("rounds", 5);
  static final int KEYS = Integer.getInteger("keys", 1_000);
  static final int SIZE = 1024;
  static final int WARMUP = 20_000;
  static final AtomicInteger TOPICS = new AtomicInteger();

  /** Counts requests and records latencies per side (URL path) of the in-JVM function. */
  static final Map<String, AtomicInteger> COUNTS = new HashMap<>();
  static final Map<String, List<Long>> LATENCIES = new HashMap<>();
  static volatile boolean measureLatency;

  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "throughput";
    Vertx vertx = Vertx.vertx();
    Invoker invoker = new Invoker(vertx, Invoker.Options.defaults());
    switch (mode) {
      case "throughput" -> throughput(vertx, invoker);
      case "keys" -> keys(invoker);
      case "bindings" -> bindings(vertx, invoker);
      default -> throw new IllegalArgumentException("unknown benchmark " + mode);
    }
    System.exit(0);
  }

  // --- throughput and latency: engine vs bare loop -------------------------------------------

  static void throughput(Vertx vertx, Invoker invoker) throws Exception {
    String base = "http://127.0.0.1:" + noopServer(vertx);
    HttpClient bareClient =
        vertx.createHttpClient(
            new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
            new PoolOptions().setHttp1MaxSize(64));
    Side bare = topic -> bareLoop(topic, base + "/bare", bareClient);
    Side engine = topic -> engine(topic, base + "/engine", invoker, Ordering.PARTITION, 1);
    // warm-up, not measured: both sides' code paths compiled before round 1
    drain("/bare", fill(WARMUP, 0), bare, WARMUP);
    drain("/engine", fill(WARMUP, 0), engine, WARMUP);
    // per round: {bare events/s, engine events/s, bare p50, bare p99, engine p50, engine p99}
    List<double[]> rounds = new ArrayList<>();
    for (int round = 1; round <= ROUNDS; round++) {
      boolean bareFirst = round % 2 == 1;
      double bareRate = 0;
      double engineRate = 0;
      double[] bareLatency = null;
      double[] engineLatency = null;
      // ABBA: each side drains twice per round, once early and once late, so neither profits
      // from going second; all four topics are filled before anything is measured
      List<String> topics =
          List.of(fill(RECORDS, 0), fill(RECORDS, 0), fill(RECORDS, 0), fill(RECORDS, 0));
      String[] order =
          bareFirst
              ? new String[] {"/bare", "/engine", "/engine", "/bare"}
              : new String[] {"/engine", "/bare", "/bare", "/engine"};
      for (int turn = 0; turn < 4; turn++) {
        settle();
        if (order[turn].equals("/bare")) {
          bareRate += drain("/bare", topics.get(turn), bare, RECORDS) / 2;
        } else {
          engineRate += drain("/engine", topics.get(turn), engine, RECORDS) / 2;
        }
      }
      for (String side : bareFirst ? List.of("/bare", "/engine") : List.of("/engine", "/bare")) {
        settle();
        if (side.equals("/bare")) {
          bareLatency = latency("/bare", bare);
        } else {
          engineLatency = latency("/engine", engine);
        }
      }
      System.out.printf(
          "round %d: bare %.0f events/s (p50 %.2f ms, p99 %.2f ms), engine %.0f events/s (p50 %.2f"
              + " ms, p99 %.2f ms), ratio %.2f%n",
          round,
          bareRate,
          bareLatency[0],
          bareLatency[1],
          engineRate,
          engineLatency[0],
          engineLatency[1],
          engineRate / bareRate);
      rounds.add(
          new double[] {
            bareRate, engineRate, bareLatency[0], bareLatency[1], engineLatency[0], engineLatency[1]
          });
    }
    double[] m = medians(rounds, 6);
    System.out.printf(
        "%n%d x %d B records, 1 partition, max.poll.records 500; latency at %d records/s;"
            + " median of %d rounds; %d cores%n",
        RECORDS, SIZE, LATENCY_RATE, ROUNDS, Runtime.getRuntime().availableProcessors());
    System.out.printf("%-8s %12s %10s %10s%n", "side", "events/s", "p50 ms", "p99 ms");
    System.out.printf("%-8s %12.0f %10.2f %10.2f%n", "bare", m[0], m[2], m[3]);
    System.out.printf("%-8s %12.0f %10.2f %10.2f%n", "engine", m[1], m[4], m[5]);
    System.out.printf(
        "engine/bare throughput %.2fx; added latency p50 %+.2f ms, p99 %+.2f ms%n",
        m[1] / m[0], m[4] - m[2], m[5] - m[3]);
  }

  // --- key ordering vs the function's own capacity --------------------------------------------

  static void keys(Invoker invoker) throws Exception {
    String url = System.getProperty("functionUrl");
    String function = System.getProperty("functionName", "function");
    int partitionRecords = Math.max(1_000, RECORDS / 10);
    // warm-up, not measured: the JIT compiles both orderings' paths before round 1
    // (twice: a single pass left round 1 some 15% below the others)
    for (int pass = 0; pass < 2; pass++) {
      wrk(url, "5s");
      meter(fill(RECORDS, KEYS), url, invoker, Ordering.KEY, RECORDS);
    }
    meter(fill(WARMUP, KEYS), url, invoker, Ordering.PARTITION, WARMUP);
    // per round: {capacity, key, partition}
    List<double[]> rounds = new ArrayList<>();
    for (int round = 1; round <= ROUNDS; round++) {
      String keyed = fill(RECORDS, KEYS);
      String ordered = fill(partitionRecords, KEYS);
      settle();
      double capacity = wrk(url, System.getProperty("duration", "10s"));
      settle();
      double key = meter(keyed, url, invoker, Ordering.KEY, RECORDS);
      settle();
      double partition = meter(ordered, url, invoker, Ordering.PARTITION, partitionRecords);
      System.out.printf(
          "round %d: function capacity (wrk -c64) %.0f req/s, ordering key %.0f events/s (%.2fx),"
              + " ordering partition %.0f events/s (%.2fx)%n",
          round, capacity, key, key / capacity, partition, partition / capacity);
      rounds.add(new double[] {capacity, key, partition});
    }
    double[] m = medians(rounds, 3);
    double ratio =
        Math.exp(rounds.stream().mapToDouble(r -> Math.log(r[1] / r[0])).average().orElse(0));
    System.out.printf(
        "%n%s with a no-op handler; 1 partition, %d keys, %d x %d B records (partition ordering:"
            + " %d); median of %d rounds; %d cores%n",
        function,
        KEYS,
        RECORDS,
        SIZE,
        partitionRecords,
        ROUNDS,
        Runtime.getRuntime().availableProcessors());
    System.out.printf("%-32s %12s %8s%n", "side", "events/s", "ratio");
    System.out.printf("%-32s %12.0f %8s%n", "function capacity (wrk -c64)", m[0], "1.00");
    System.out.printf("%-32s %12.0f %8.2f%n", "trigger, ordering: key", m[1], m[1] / m[0]);
    System.out.printf("%-32s %12.0f %8.2f%n", "trigger, ordering: partition", m[2], m[2] / m[0]);
    System.out.printf("key ordering / capacity: %.2fx (geometric mean of the rounds)%n", ratio);
  }

  /**
   * Events/s the engine delivers from {@code topic} to the function at {@code url}, from its first
   * delivered event on: claiming the partitions is a one-time cost, not throughput.
   */
  static double meter(String topic, String url, Invoker invoker, Ordering ordering, int records)
      throws Exception {
    try (Running running = engine(topic, url, invoker, ordering, 1)) {
      while (running.succeeded() < 1) {
        Thread.sleep(1);
      }
      long t0 = System.nanoTime();
      double first = running.succeeded();
      while (running.succeeded() < records) {
        Thread.sleep(5);
      }
      return (records - first) / ((System.nanoTime() - t0) / 1e9);
    }
  }

  /** Requests/s of wrk at 64 connections POSTing 1 KB bodies with the trigger's headers. */
  static double wrk(String url, String duration) throws Exception {
    Path script = Files.createTempFile("post", ".lua");
    Files.writeString(
        script,
        "wrk.method = \"POST\"\n"
            + "wrk.body = string.rep(\"x\", "
            + SIZE
            + ")\n"
            + headers());
    Process wrk =
        new ProcessBuilder("wrk", "-t2", "-c64", "-d" + duration, "-s", script.toString(), url)
            .redirectErrorStream(true)
            .start();
    String out = new String(wrk.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    wrk.waitFor();
    Files.delete(script);
    for (String line : out.split("\n")) {
      if (line.startsWith("Requests/sec:")) {
        return Double.parseDouble(line.substring("Requests/sec:".length()).trim());
      }
    }
    throw new IllegalStateException("wrk said: " + out);
  }

  /** The headers the trigger sends with each record of the keys run, as a wrk script sets them. */
  static String headers() {
    String time = "2026-01-01T00:00:00.000Z";
    String id = "keys-0-12345";
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("User-Agent", "kubeless-trigger/1");
    headers.put("Content-Type", "text/plain; charset=utf-8");
    headers.put("event-id", id);
    headers.put("event-time", time);
    headers.put("event-namespace", "kafkatriggers.kubeless.io");
    headers.put("event-type", "text/plain; charset=utf-8");
    headers.put("event-topic", "keys");
    headers.put("ce-specversion", "1.0");
    headers.put("ce-id", id);
    headers.put("ce-source", "/apis/kubeless.io/v1beta1/namespaces/bench/kafkatriggers/keys");
    headers.put("ce-type", "io.kubeless.kafka.record");
    headers.put("ce-time", time);
    StringBuilder lua = new StringBuilder();
    headers.forEach(
        (name, value) ->
            lua.append("wrk.headers[\"").append(name).append("\"] = \"").append(value).append("\"\n"));
    return lua.toString();
  }

  // --- bindings: threads and heap --------------------------------------------------------------

  static void bindings(Vertx vertx, Invoker invoker) throws Exception {
    String url = "http://127.0.0.1:" + noopServer(vertx) + "/bindings";
    var threads = ManagementFactory.getThreadMXBean();
    System.out.printf(
        "%-9s %9s %9s %12s %12s %14s %14s%n",
        "bindings",
        "threads",
        "per bind.",
        "heap MB idle",
        "per bind. KB",
        "heap MB after",
        "per bind. KB");
    for (int n : new int[] {1, 100, 500}) {
      String topic = fill(0, 0);
      settle();
      int baseThreads = threads.getThreadCount();
      double baseHeap = heapMb();
      AtomicInteger delivered = COUNTS.get("/bindings");
      int before = delivered.get();
      Running running = engine(topic, url, invoker, Ordering.PARTITION, n);
      try (running) {
        while (running.active() < n) {
          Thread.sleep(100);
        }
        settle();
        int idleThreads = threads.getThreadCount() - baseThreads;
        double idleHeap = heapMb() - baseHeap;
        // every binding takes 10 records of 1 KB
        TestingKafka.produce(records(topic, 10, 0));
        while (delivered.get() - before < 10 * n) {
          Thread.sleep(100);
        }
        settle();
        double afterHeap = heapMb() - baseHeap;
        System.out.printf(
            "%-9d %9d %9.2f %12.1f %12.1f %14.1f %14.1f%n",
            n,
            idleThreads,
            idleThreads / (double) n,
            idleHeap,
            idleHeap * 1024 / n,
            afterHeap,
            afterHeap * 1024 / n);
      }
    }
    System.out.printf(
        "platform threads and heap used after GC, beyond the same JVM before the bindings;"
            + " broker in its own JVM; %d cores%n",
        Runtime.getRuntime().availableProcessors());
  }

  static double heapMb() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024.0 * 1024);
  }

  // --- the engine as the application runs it ----------------------------------------------------

  /** An engine delivering one topic to {@code functions} functions at {@code url}. */
  record Running(
      TriggerEngine engine,
      KafkaSource source,
      Bindings<KafkaTriggerSpec, KafkaSubscription> bindings,
      TriggerId id,
      SimpleMeterRegistry registry)
      implements AutoCloseable {

    double succeeded() {
      return registry.find("kubeless.trigger.invocations").tag("outcome", "success").counters()
          .stream()
          .mapToDouble(c -> c.count())
          .sum();
    }

    long active() {
      return bindings.state(id).map(TriggerState::functions).orElse(List.of()).stream()
          .filter(BindingState::ready)
          .count();
    }

    @Override
    public void close() throws Exception {
      bindings.close();
      source.close();
      engine.close();
    }
  }

  static Running engine(String topic, String url, Invoker invoker, Ordering ordering, int functions) {
    InMemoryFunctionDirectory directory = new InMemoryFunctionDirectory();
    for (int i = 0; i < functions; i++) {
      directory.put(
          new FunctionEndpoint(
              "bench",
              "noop-" + i,
              URI.create(url),
              Duration.ofSeconds(30),
              true,
              Map.of("app", "noop")));
    }
    Map<String, Object> props = KafkaClientProperties.defaults();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestingKafka.bootstrap());
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    TriggerEngine engine = new TriggerEngine(directory, invoker, new TriggerMetrics(registry));
    KafkaSource source =
        new KafkaSource(
            engine,
            new ConsumerSettings(
                props,
                "earliest",
                Duration.ofSeconds(10),
                Duration.ofSeconds(10),
                Duration.ofSeconds(10),
                Duration.ofMillis(Long.getLong("idlePollMillis", 100)),
                "kubeless-trigger-positions",
                ConsumerSettings.CLAIM_INTERVAL));
    Bindings<KafkaTriggerSpec, KafkaSubscription> bindings =
        new Bindings<>(engine, source, Duration.ofSeconds(30));
    TestingSpecs<KafkaTriggerSpec> specs = new TestingSpecs<>();
    bindings.open(specs);
    KafkaTriggerSpec spec = new KafkaTriggerSpec();
    spec.setTopic(topic);
    spec.setFunctionSelector(new LabelSelectorBuilder().withMatchLabels(Map.of("app", "noop")).build());
    spec.setInitialOffset("earliest");
    spec.setOrdering(ordering.label());
    spec.setMaxInFlight(Integer.getInteger("maxInFlight", 64));
    TriggerId id = new TriggerId("bench", topic);
    specs.apply(id, spec);
    return new Running(engine, source, bindings, id, registry);
  }

  // --- shared helpers -------------------------------------------------------------------------------

  interface Side {
    AutoCloseable start(String topic) throws Exception;
  }

  /** The port of an in-JVM no-op function server counting requests per path. */
  static int noopServer(Vertx vertx) throws Exception {
    for (String side : List.of("/engine", "/bare", "/bindings")) {
      COUNTS.put(side, new AtomicInteger());
      LATENCIES.put(side, java.util.Collections.synchronizedList(new ArrayList<>()));
    }
    return vertx
        .createHttpServer()
        .requestHandler(
            request ->
                request
                    .body()
                    .onSuccess(
                        body -> {
                          String side = request.path();
                          String stamp = body.getString(0, 19).trim();
                          if (measureLatency && !stamp.isEmpty() && !side.equals("/bindings")) {
                            LATENCIES.get(side).add(System.nanoTime() - Long.parseLong(stamp));
                          }
                          COUNTS.get(side).incrementAndGet();
                          request.response().setStatusCode(200).end();
                        }))
        .listen(0, "127.0.0.1")
        .toCompletionStage()
        .toCompletableFuture()
        .get()
        .actualPort();
  }

  /** A new one-partition topic holding {@code records} records of SIZE bytes over {@code keys}. */
  static String fill(int records, int keys) {
    String topic = "bench-" + TOPICS.incrementAndGet();
    TestingKafka.createTopic(topic, 1);
    for (int from = 0; from < records; from += 10_000) {
      TestingKafka.produce(records(topic, Math.min(10_000, records - from), keys));
    }
    return topic;
  }

  static List<ProducerRecord<byte[], byte[]>> records(String topic, int count, int keys) {
    byte[] payload = new byte[SIZE];
    Arrays.fill(payload, (byte) 'x');
    List<ProducerRecord<byte[], byte[]>> batch = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      byte[] key = keys == 0 ? null : ("k" + (i % keys)).getBytes(StandardCharsets.UTF_8);
      batch.add(new ProducerRecord<>(topic, 0, key, payload));
    }
    return batch;
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

  /** Lets the JVM and the broker calm down between measurements. */
  static void settle() throws InterruptedException {
    System.gc();
    Thread.sleep(2000);
  }

  /** Events/s from the start of a side until it delivered {@code records} records. */
  static double drain(String side, String topic, Side start, int records) throws Exception {
    AtomicInteger count = COUNTS.get(side);
    int before = count.get();
    long t0 = System.nanoTime();
    try (AutoCloseable running = start.start(topic)) {
      while (count.get() - before < records) {
        Thread.sleep(5);
      }
      return records / ((System.nanoTime() - t0) / 1e9);
    }
  }

  /**
   * Produces at a steady rate while the side runs; returns {p50, p99} in ms of the records after a
   * lead-in of one second at the same rate (the latency of a steady stream, not of the first
   * records after an idle pause, which idle-poll-interval bounds).
   */
  static double[] latency(String side, Side start) throws Exception {
    String topic = "bench-" + TOPICS.incrementAndGet();
    TestingKafka.createTopic(topic, 1);
    AtomicInteger count = COUNTS.get(side);
    LATENCIES.get(side).clear();
    int before = count.get();
    try (AutoCloseable running = start.start(topic)) {
      // one record first: the side reads its partition and is idle at the end of the topic
      byte[] first = new byte[SIZE];
      Arrays.fill(first, (byte) ' ');
      TestingKafka.produceAsync(TestingKafka.record(topic, 0, first));
      while (count.get() - before < 1) {
        Thread.sleep(5);
      }
      Thread.sleep(500);
      before = count.get();
      measureLatency = true;
      long interval = 1_000_000_000L / LATENCY_RATE;
      long next = System.nanoTime();
      for (int i = 0; i < LATENCY_RATE + LATENCY_RECORDS; i++) {
        while (System.nanoTime() < next) {
          Thread.onSpinWait();
        }
        byte[] payload = new byte[SIZE];
        Arrays.fill(payload, (byte) ' ');
        if (i >= LATENCY_RATE) {
          byte[] stamp =
              String.format("%19d", System.nanoTime()).getBytes(StandardCharsets.US_ASCII);
          System.arraycopy(stamp, 0, payload, 0, stamp.length);
        }
        TestingKafka.produceAsync(TestingKafka.record(topic, 0, payload));
        next += interval;
      }
      while (count.get() - before < LATENCY_RATE + LATENCY_RECORDS) {
        Thread.sleep(5);
      }
    } finally {
      measureLatency = false;
    }
    long[] sorted = LATENCIES.get(side).stream().mapToLong(Long::longValue).sorted().toArray();
    return new double[] {
      sorted[sorted.length / 2] / 1e6, sorted[(int) (sorted.length * 0.99)] / 1e6
    };
  }

  /** What one would write by hand: poll, commit, send each record, wait for its answer. */
  static AutoCloseable bareLoop(String topic, String url, HttpClient client) {
    AtomicLong stop = new AtomicLong();
    Thread thread =
        Thread.ofPlatform()
            .start(
                () -> {
                  Map<String, Object> props = new HashMap<>();
                  props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestingKafka.bootstrap());
                  props.put(ConsumerConfig.GROUP_ID_CONFIG, "bare-" + topic);
                  props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
                  props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
                  props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
                  props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
                  props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
                  try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
                    consumer.subscribe(List.of(topic));
                    while (stop.get() == 0) {
                      var records = consumer.poll(Duration.ofMillis(100));
                      if (records.isEmpty()) {
                        continue;
                      }
                      consumer.commitSync();
                      for (ConsumerRecord<byte[], byte[]> r : records) {
                        client
                            .request(
                                new RequestOptions()
                                    .setMethod(HttpMethod.POST)
                                    .setAbsoluteURI(url)
                                    .addHeader("event-id", r.topic() + "-" + r.partition() + "-" + r.offset()))
                            .compose(
                                req -> req.send(Buffer.buffer(r.value())).compose(resp -> resp.end()))
                            .toCompletionStage()
                            .toCompletableFuture()
                            .get();
                      }
                    }
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                });
    return () -> {
      stop.set(1);
      thread.join();
    };
  }
}
