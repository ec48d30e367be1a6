import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.kubeless.kafka.TestingKafka;
import io.kubeless.kafka.source.ConsumerSettings;
import io.kubeless.kafka.source.KafkaSubscription;
import io.kubeless.kafka.source.KafkaSubscriptions;
import io.kubeless.trigger.TriggerId;
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
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
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
 * The Kafka trigger's engine next to a bare loop (plain kafka-clients, commitSync before sending,
 * one Vert.x HTTP client), both delivering the same records to the same no-op function server in
 * one JVM with one in-JVM broker. Throughput: RECORDS records of 1 KB already in a one-partition
 * topic, drained by each side. Latency: LATENCY_RECORDS records produced at LATENCY_RATE per
 * second, each carrying its produce time, measured at the function server. Each round drains
 * in ABBA order (each side once early, once late) and alternates which side starts; the medians
 * of the rounds are reported.
 *
 * <p>Run with bench/kafka/run.sh.
 */
public class KafkaBench {

  static final int RECORDS = Integer.getInteger("records", 100_000);
  static final int LATENCY_RECORDS = Integer.getInteger("latencyRecords", 5_000);
  static final int LATENCY_RATE = Integer.getInteger("latencyRate", 1_000);
  static final int ROUNDS = Integer.getInteger("rounds", 2);
  static final int SIZE = 1024;
  static final int WARMUP = 20_000;
  static final AtomicInteger TOPICS = new AtomicInteger();

  /** Counts requests and records latencies per side (URL path). */
  static final Map<String, AtomicInteger> COUNTS = new HashMap<>();
  static final Map<String, List<Long>> LATENCIES = new HashMap<>();
  static volatile boolean measureLatency;

  public static void main(String[] args) throws Exception {
    Vertx vertx = Vertx.vertx();
    for (String side : List.of("/engine", "/bare")) {
      COUNTS.put(side, new AtomicInteger());
      LATENCIES.put(side, java.util.Collections.synchronizedList(new ArrayList<>()));
    }
    int port =
        vertx
            .createHttpServer()
            .requestHandler(
                request ->
                    request
                        .body()
                        .onSuccess(
                            body -> {
                              String side = request.path();
                              if (measureLatency) {
                                long sent = Long.parseLong(body.getString(0, 19).trim());
                                LATENCIES.get(side).add(System.nanoTime() - sent);
                              }
                              COUNTS.get(side).incrementAndGet();
                              request.response().setStatusCode(200).end();
                            }))
            .listen(0, "127.0.0.1")
            .toCompletionStage()
            .toCompletableFuture()
            .get()
            .actualPort();
    String base = "http://127.0.0.1:" + port;
    TestingKafka.bootstrap();
    Invoker invoker = new Invoker(vertx, Invoker.Options.defaults());
    HttpClient bareClient =
        vertx.createHttpClient(
            new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
            new PoolOptions().setHttp1MaxSize(64));

    // warm-up, not measured: both sides' code paths compiled before round 1
    drain("/bare", fill(WARMUP), topic -> bareLoop(topic, base + "/bare", bareClient), WARMUP);
    drain("/engine", fill(WARMUP), topic -> engine(topic, base + "/engine", invoker), WARMUP);
    // per round: {bare events/s, engine events/s, bare p50, bare p99, engine p50, engine p99}
    List<double[]> rounds = new ArrayList<>();
    for (int round = 1; round <= ROUNDS; round++) {
      boolean bareFirst = round % 2 == 1;
      double bare = 0;
      double engine = 0;
      double[] bareLatency = null;
      double[] engineLatency = null;
      // ABBA: each side drains twice per round, once early and once late, so neither profits
      // from going second; all four topics are filled before anything is measured
      List<String> topics = List.of(fill(RECORDS), fill(RECORDS), fill(RECORDS), fill(RECORDS));
      String[] order =
          bareFirst
              ? new String[] {"/bare", "/engine", "/engine", "/bare"}
              : new String[] {"/engine", "/bare", "/bare", "/engine"};
      for (int turn = 0; turn < 4; turn++) {
        settle();
        if (order[turn].equals("/bare")) {
          bare +=
              drain("/bare", topics.get(turn), topic -> bareLoop(topic, base + "/bare", bareClient))
                  / 2;
        } else {
          engine +=
              drain("/engine", topics.get(turn), topic -> engine(topic, base + "/engine", invoker))
                  / 2;
        }
      }
      for (String side : bareFirst ? List.of("/bare", "/engine") : List.of("/engine", "/bare")) {
        settle();
        if (side.equals("/bare")) {
          bareLatency = latency("/bare", topic -> bareLoop(topic, base + "/bare", bareClient));
        } else {
          engineLatency = latency("/engine", topic -> engine(topic, base + "/engine", invoker));
        }
      }
      System.out.printf(
          "round %d: bare %.0f events/s (p50 %.2f ms, p99 %.2f ms), engine %.0f events/s (p50 %.2f"
              + " ms, p99 %.2f ms), ratio %.2f%n",
          round,
          bare,
          bareLatency[0],
          bareLatency[1],
          engine,
          engineLatency[0],
          engineLatency[1],
          engine / bare);
      rounds.add(
          new double[] {
            bare, engine, bareLatency[0], bareLatency[1], engineLatency[0], engineLatency[1]
          });
    }
    double[] m = new double[6];
    for (int i = 0; i < 6; i++) {
      int k = i;
      double[] values = rounds.stream().mapToDouble(r -> r[k]).sorted().toArray();
      int mid = values.length / 2;
      m[i] = values.length % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }
    System.out.printf(
        "%n%d x %d B records, 1 partition, max.poll.records 500; latency at %d records/s;"
            + " median of %d rounds; %d cores%n",
        RECORDS, SIZE, LATENCY_RATE, ROUNDS, Runtime.getRuntime().availableProcessors());
    System.out.printf("%-8s %12s %10s %10s%n", "side", "events/s", "p50 ms", "p99 ms");
    System.out.printf("%-8s %12.0f %10.2f %10.2f%n", "bare", m[0], m[2], m[3]);
    System.out.printf("%-8s %12.0f %10.2f %10.2f%n", "engine", m[1], m[4], m[5]);
    double ratios = rounds.stream().mapToDouble(r -> Math.log(r[1] / r[0])).average().orElse(0);
    System.out.printf(
        "engine/bare throughput %.2fx (medians), %.2fx (geometric mean of the rounds' ratios);"
            + " added latency p50 %+.2f ms, p99 %+.2f ms%n",
        m[1] / m[0], Math.exp(ratios), m[4] - m[2], m[5] - m[3]);
    System.exit(0);
  }

  interface Side {
    AutoCloseable start(String topic) throws Exception;
  }

  /** A new one-partition topic holding RECORDS records of SIZE bytes. */
  static String fill(int records) {
    String topic = "bench-" + TOPICS.incrementAndGet();
    TestingKafka.createTopic(topic, 1);
    byte[] payload = new byte[SIZE];
    Arrays.fill(payload, (byte) 'x');
    List<ProducerRecord<byte[], byte[]>> batch = new ArrayList<>();
    for (int i = 0; i < records; i++) {
      batch.add(TestingKafka.record(topic, 0, payload));
      if (batch.size() == 10_000) {
        TestingKafka.produce(batch);
        batch.clear();
      }
    }
    TestingKafka.produce(batch);
    return topic;
  }

  /** Lets the JVM and the broker calm down between measurements. */
  static void settle() throws InterruptedException {
    System.gc();
    Thread.sleep(2000);
  }

  /** Events/s from the start of a side until it delivered all RECORDS records. */
  static double drain(String side, String topic, Side start) throws Exception {
    return drain(side, topic, start, RECORDS);
  }

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

  /** Produces at a steady rate while the side runs; returns {p50, p99} in ms. */
  static double[] latency(String side, Side start) throws Exception {
    String topic = "bench-" + TOPICS.incrementAndGet();
    TestingKafka.createTopic(topic, 1);
    AtomicInteger count = COUNTS.get(side);
    LATENCIES.get(side).clear();
    int before = count.get();
    try (AutoCloseable running = start.start(topic)) {
      // one record first: the side has joined its group and is idle at the end of the topic
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
      for (int i = 0; i < LATENCY_RECORDS; i++) {
        while (System.nanoTime() < next) {
          Thread.onSpinWait();
        }
        byte[] payload = new byte[SIZE];
        Arrays.fill(payload, (byte) ' ');
        byte[] stamp = String.format("%19d", System.nanoTime()).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(stamp, 0, payload, 0, stamp.length);
        TestingKafka.produceAsync(TestingKafka.record(topic, 0, payload));
        next += interval;
      }
      while (count.get() - before < LATENCY_RECORDS) {
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

  static AutoCloseable engine(String topic, String url, Invoker invoker) {
    InMemoryFunctionDirectory directory = new InMemoryFunctionDirectory();
    directory.put(
        new FunctionEndpoint("bench", "noop", URI.create(url), Duration.ofSeconds(30), true, Map.of("app", "noop")));
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestingKafka.bootstrap());
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
    KafkaSubscriptions engine =
        new KafkaSubscriptions(
            directory,
            invoker,
            new TriggerMetrics(new SimpleMeterRegistry()),
            new ConsumerSettings(
                props, "earliest", Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(10)));
    engine.subscribe(
        new TriggerId("bench", topic),
        new KafkaSubscription(topic, new LabelSelectorBuilder().withMatchLabels(Map.of("app", "noop")).build(), "earliest"));
    return engine;
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
