import io.kubeless.api.v1beta1.KinesisTriggerSpec;
import io.kubeless.kinesis.source.CredentialsResolver;
import io.kubeless.kinesis.source.KinesisSettings;
import io.kubeless.kinesis.source.KinesisSource;
import io.kubeless.kinesis.source.KinesisSubscription;
import io.kubeless.testing.KinesisLocal;
import io.kubeless.testing.TestingSpecs;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.coordination.InMemoryShardCoordinator;
import io.kubeless.trigger.engine.Bindings;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.function.FunctionEndpoint;
import io.kubeless.trigger.function.InMemoryFunctionDirectory;
import io.kubeless.trigger.invoke.Event;
import io.kubeless.trigger.invoke.Invoker;
import io.kubeless.trigger.invoke.Outcome;
import io.kubeless.trigger.metrics.TriggerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.math.BigInteger;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * The Kinesis trigger's engine measured side by side with a baseline in one run, against the
 * {@code kinesis-local} emulator (started here, {@link KinesisLocal}) and a function runtime with a
 * no-op handler (run.sh starts it).
 *
 * <p>Per round a fresh stream of SHARDS shards is filled with RECORDS records of SIZE bytes (keys
 * {@code key-<i>}, spread over the shards) before anything is timed; then each side reads it from
 * TRIM_HORIZON with a start point of its own and the rate is taken from its first delivery to the
 * last:
 *
 * <ul>
 *   <li>the engine: {@link KinesisSource} with {@code ordering: partition} (each shard in order),
 *       a fresh {@link InMemoryShardCoordinator} and trigger, so no checkpoint of an earlier turn;
 *   <li>the bare loop: what one writes by hand with the AWS SDK's sync client (on the
 *       UrlConnection HTTP client, as the source): per shard a thread doing GetShardIterator
 *       TRIM_HORIZON, then GetRecords with the same Limit and the same shortest interval between
 *       two reads of a shard as the engine, each record invoked in order with the same {@link
 *       Invoker}.
 * </ul>
 *
 * <p>Bare and engine alternate from round to round (ABAB, BABA, ...); the medians of the valid
 * rounds are reported (a round where a side lost a record, or stalled, is invalid). Each round also
 * reads the stream with no function at all, paced as the sides and unpaced: the ceiling the
 * emulator and the read pacing set on both. Run with bench/kinesis/run.sh.
 */
public class KinesisBench {

  static final int RECORDS = Integer.getInteger("records", 20_000);
  static final int WARMUP = Integer.getInteger("warmup", Math.max(1_000, RECORDS / 2));
  static final int ROUNDS = Integer.getInteger("rounds", 3);
  static final int SIZE = Integer.getInteger("size", 1024);
  static final String NS = "bench";
  static final String REGION = "us-east-1";
  static final Duration STALL = Duration.ofSeconds(Long.getLong("stallSeconds", 30));
  static final AtomicInteger TURNS = new AtomicInteger();
  static final AtomicInteger STREAMS = new AtomicInteger();
  static final CredentialsResolver DUMMY =
      (namespace, secret) ->
          StaticCredentialsProvider.create(AwsBasicCredentials.create("bench", "bench"));

  static URI function;
  static String functionName;
  static KinesisSettings settings;
  static KinesisLocal emulator;
  static Invoker invoker;
  static SdkHttpClient http;
  static KinesisClient kinesis;
  static byte[] payload;

  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "stream";
    int shards =
        switch (mode) {
          case "stream" -> Integer.getInteger("shards", 1);
          case "shards" -> 4;
          default -> throw new IllegalArgumentException("unknown mode " + mode);
        };
    if (shards < 1) {
      throw new IllegalArgumentException("shards must be at least 1");
    }
    function = URI.create(required("functionUrl"));
    functionName = System.getProperty("functionName", "function");
    settings = settings();
    payload = new byte[SIZE];
    Arrays.fill(payload, (byte) 'x');
    int status = 1;
    Vertx vertx = Vertx.vertx();
    emulator = KinesisLocal.start();
    // a kill (SIGTERM, Ctrl-C) still stops the emulator; close() may run twice, harmlessly
    Thread hook = new Thread(emulator::close, "stop-kinesis-local");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      invoker = new Invoker(vertx, Invoker.Options.defaults());
      http = UrlConnectionHttpClient.builder().build();
      kinesis = client();
      status = compare(shards);
    } finally {
      if (kinesis != null) {
        kinesis.close();
      }
      if (http != null) {
        http.close();
      }
      if (invoker != null) {
        invoker.close();
      }
      vertx.close().toCompletionStage().toCompletableFuture().get();
      emulator.close();
      Runtime.getRuntime().removeShutdownHook(hook);
    }
    System.exit(status);
  }

  static String required(String property) {
    String value = System.getProperty(property);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("-D" + property + " is not set; run bench/kinesis/run.sh");
    }
    return value;
  }

  /** The defaults, with the read pacing and Limit -DreadIntervalMillis, -DrecordsPerRead. */
  static KinesisSettings settings() {
    KinesisSettings d = KinesisSettings.defaults();
    return new KinesisSettings(
        Integer.getInteger("recordsPerRead", d.recordsPerRead()),
        Duration.ofMillis(Long.getLong("readIntervalMillis", d.readInterval().toMillis())),
        d.discoveryInterval(),
        d.throttleBackoff(),
        d.stopTimeout(),
        d.idleInterval());
  }

  static KinesisClient client() {
    return KinesisClient.builder()
        .httpClient(http)
        .region(Region.of(REGION))
        .endpointOverride(URI.create(emulator.endpoint()))
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create("bench", "bench")))
        .build();
  }

  // --- the comparison ------------------------------------------------------------------------

  /** One measured turn of one side: its rate, or why it is not valid. */
  record Turn(double rate, long lost, String problem) {
    boolean valid() {
      return problem == null;
    }
  }

  interface Side {
    Turn run(String stream, int records) throws Exception;
  }

  static int compare(int shards) throws Exception {
    Side bare = (stream, n) -> measure(bare(stream, true, true), n);
    Side engine = (stream, n) -> measure(engine(stream), n);
    Side readPaced = (stream, n) -> measure(bare(stream, false, true), n);
    Side readUnpaced = (stream, n) -> measure(bare(stream, false, false), n);
    // warm-up, not measured: both sides' code paths, the emulator and the function
    String warm = filled(shards, WARMUP);
    try {
      bare.run(warm, WARMUP);
      engine.run(warm, WARMUP);
      readUnpaced.run(warm, WARMUP);
    } finally {
      delete(warm);
    }
    List<double[]> rounds = new ArrayList<>();
    int invalid = 0;
    for (int round = 1; round <= ROUNDS; round++) {
      String stream = filled(shards, RECORDS);
      try {
        boolean bareFirst = round % 2 == 1;
        Turn b = null;
        Turn e = null;
        for (int turn = 0; turn < 2; turn++) {
          settle();
          if ((turn == 0) == bareFirst) {
            b = bare.run(stream, RECORDS);
          } else {
            e = engine.run(stream, RECORDS);
          }
        }
        settle();
        Turn paced = readPaced.run(stream, RECORDS);
        settle();
        Turn unpaced = readUnpaced.run(stream, RECORDS);
        boolean valid = b.valid() && e.valid() && paced.valid() && unpaced.valid();
        String problem =
            !b.valid()
                ? "bare: " + b.problem()
                : !e.valid()
                    ? "engine: " + e.problem()
                    : !paced.valid() ? "read-only: " + paced.problem() : "unpaced: " + unpaced.problem();
        System.out.printf(
            "round %d: bare %.0f rec/s, engine %.0f rec/s, ratio %.2f; GetRecords alone %.0f rec/s"
                + " paced, %.0f unpaced; lost bare %d, engine %d%s%n",
            round,
            b.rate(),
            e.rate(),
            e.rate() / b.rate(),
            paced.rate(),
            unpaced.rate(),
            b.lost(),
            e.lost(),
            valid ? "" : " INVALID (" + problem + ")");
        if (valid) {
          rounds.add(new double[] {b.rate(), e.rate(), paced.rate(), unpaced.rate()});
        } else {
          invalid++;
        }
      } finally {
        delete(stream);
      }
    }
    System.out.printf(
        "%n%d x %d B records in a stream of %d shard%s, put before the timed part, read from"
            + " TRIM_HORIZON;%nordering partition (each shard in order, one record at a time), %s"
            + " with a no-op handler;%nGetRecords Limit %d, at most one read per shard every %d ms"
            + " (both sides); rate from first to last delivery;%nkinesis-local emulator; median of"
            + " %d valid rounds (%d invalid); %d cores%n",
        RECORDS,
        SIZE,
        shards,
        shards == 1 ? "" : "s",
        functionName,
        settings.recordsPerRead(),
        settings.readInterval().toMillis(),
        rounds.size(),
        invalid,
        Runtime.getRuntime().availableProcessors());
    if (rounds.isEmpty()) {
      System.out.println("no valid round: nothing to report");
      return 1;
    }
    double[] m = medians(rounds, 4);
    double ratio = m[1] / m[0];
    System.out.printf("%-40s %12s %8s %8s%n", "side", "records/s", "ratio", "goal");
    System.out.printf("%-40s %12.0f %8s%n", "bare GetRecords loop + Invoker", m[0], "1.00");
    System.out.printf(
        "%-40s %12.0f %8.2f %8s  %s%n",
        "trigger engine (KinesisSource)", m[1], ratio, ">= 0.90", ratio >= 0.9 ? "PASS" : "BELOW");
    System.out.printf(
        "engine/bare %.2fx (geometric mean of the rounds' ratios), %.2fx (their median: a round"
            + " slowed on both sides by the machine moves neither)%n",
        geomean(rounds, 1, 0),
        medians(rounds.stream().map(r -> new double[] {r[1] / r[0]}).toList(), 1)[0]);
    double ceiling = pacedCeiling(shards);
    System.out.printf(
        "ceiling without a function: GetRecords alone %.0f rec/s paced (pacing allows %.0f),"
            + " %.0f rec/s unpaced (the emulator's own read rate)%n",
        m[2],
        ceiling,
        m[3]);
    // time per record = reading it + invoking it: the share of the bare loop's time spent reading
    double reading = m[0] / m[2];
    System.out.printf(
        "the bare loop runs at %.0f%% of that ceiling: about %.0f%% of its time goes to reading%s%n",
        100 * reading,
        100 * Math.min(1, reading),
        reading > 0.5
            ? m[2] < 0.8 * ceiling
                ? " (the emulator's GetRecords, not the pacing, is the bottleneck of both sides)"
                : " (the read pacing bounds both sides; see READ_INTERVAL_MS)"
            : "");
    return 0;
  }

  /** Records/s the read pacing allows when each read returns a full Limit. */
  static double pacedCeiling(int shards) {
    return shards * settings.recordsPerRead() * 1000.0 / Math.max(1, settings.readInterval().toMillis());
  }

  // --- the stream ---------------------------------------------------------------------------------

  /** A fresh stream of {@code shards} shards holding {@code records} records. */
  static String filled(int shards, int records) throws Exception {
    String stream = "bench-" + STREAMS.incrementAndGet() + "-" + System.nanoTime() % 100_000;
    kinesis.createStream(b -> b.streamName(stream).shardCount(shards));
    await(
        "stream " + stream + " ACTIVE",
        () ->
            kinesis.describeStreamSummary(b -> b.streamName(stream)).streamDescriptionSummary()
                    .streamStatus()
                == StreamStatus.ACTIVE);
    long t0 = System.nanoTime();
    List<PutRecordsRequestEntry> pending = new ArrayList<>();
    int next = 0;
    int throttled = 0;
    while (next < records || !pending.isEmpty()) {
      while (pending.size() < 500 && next < records) {
        pending.add(
            PutRecordsRequestEntry.builder()
                .partitionKey("key-" + next++)
                .data(SdkBytes.fromByteArrayUnsafe(payload))
                .build());
      }
      List<PutRecordsRequestEntry> batch = List.copyOf(pending);
      pending.clear();
      PutRecordsResponse response;
      try {
        response = kinesis.putRecords(b -> b.streamName(stream).records(batch));
      } catch (ProvisionedThroughputExceededException | LimitExceededException e) {
        pending.addAll(batch);
        throttled++;
        Thread.sleep(100);
        continue;
      }
      // failed entries (throttled puts) are put again, in their order
      List<PutRecordsResultEntry> results = response.records();
      for (int i = 0; i < results.size(); i++) {
        if (results.get(i).errorCode() != null) {
          pending.add(batch.get(i));
        }
      }
      if (!pending.isEmpty()) {
        throttled++;
        Thread.sleep(100);
      }
      if (throttled > 10_000) {
        throw new IllegalStateException("the emulator keeps refusing puts to " + stream);
      }
    }
    if (Boolean.getBoolean("verbose")) {
      System.out.printf(
          "filled %s: %d records in %d ms (%d throttled puts)%n",
          stream, records, (System.nanoTime() - t0) / 1_000_000, throttled);
    }
    return stream;
  }

  static void delete(String stream) {
    try {
      kinesis.deleteStream(b -> b.streamName(stream).enforceConsumerDeletion(true));
    } catch (RuntimeException e) {
      System.err.println("could not delete stream " + stream + ": " + e);
    }
  }

  // --- the sides ----------------------------------------------------------------------------------

  /** A side reading one stream: the engine, or a bare loop. */
  abstract static class Running implements AutoCloseable {

    /** Records the function answered 2xx (or, with no function, records read). */
    abstract long delivered();

    /** Records lost (function errors, drops) and failed loops so far. */
    abstract long lost();

    /** Why the side cannot go on, or null. */
    String broken() {
      return null;
    }
  }

  /**
   * Records/s from the first delivery to the {@code records}-th; invalid when records were lost or
   * delivery stalled.
   */
  static Turn measure(Running side, int records) throws Exception {
    try (side) {
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (side.delivered() < 1) {
        if (System.nanoTime() > deadline || side.lost() > 0 || side.broken() != null) {
          return new Turn(
              Double.NaN,
              side.lost(),
              "nothing delivered; lost %d%s"
                  .formatted(side.lost(), side.broken() == null ? "" : "; " + side.broken()));
        }
        Thread.sleep(Duration.ofNanos(100_000));
      }
      long t0 = System.nanoTime();
      long first = side.delivered();
      long last = first;
      long progress = t0;
      while (true) {
        long now = side.delivered();
        if (now >= records) {
          double rate = (now - first) / ((System.nanoTime() - t0) / 1e9);
          long lost = side.lost();
          return new Turn(
              rate,
              lost,
              now > records
                  ? (now - records) + " records delivered twice"
                  : lost == 0 ? null : lost + " records lost");
        }
        if (now != last) {
          last = now;
          progress = System.nanoTime();
        } else if (System.nanoTime() - progress > STALL.toNanos() || side.broken() != null) {
          return new Turn(
              Double.NaN,
              side.lost(),
              "stalled at %d of %d delivered, %d lost%s"
                  .formatted(
                      now,
                      records,
                      side.lost(),
                      side.broken() == null ? "" : "; " + side.broken()));
        }
        Thread.sleep(1);
      }
    }
  }

  static FunctionEndpoint endpoint() {
    return new FunctionEndpoint(
        NS, "noop", function, Duration.ofSeconds(30), true, Map.of("app", "noop"));
  }

  /** The engine as the Kinesis trigger runs it: one trigger naming the no-op function. */
  static Running engine(String stream) throws Exception {
    InMemoryFunctionDirectory directory = new InMemoryFunctionDirectory();
    directory.put(endpoint());
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    TriggerEngine engine = new TriggerEngine(directory, invoker, new TriggerMetrics(registry));
    KinesisSource source =
        new KinesisSource(engine, settings, new InMemoryShardCoordinator("bench", null), DUMMY);
    Bindings<KinesisTriggerSpec, KinesisSubscription> bindings =
        new Bindings<>(engine, source, Duration.ofSeconds(30));
    TestingSpecs<KinesisTriggerSpec> specs = new TestingSpecs<>();
    bindings.open(specs);
    KinesisTriggerSpec spec = new KinesisTriggerSpec();
    spec.setStream(stream);
    spec.setRegion(REGION);
    spec.setEndpoint(emulator.endpoint());
    spec.setFunctionName("noop");
    spec.setStartFrom("trim_horizon");
    spec.setOrdering("partition");
    specs.apply(new TriggerId(NS, "t" + TURNS.incrementAndGet()), spec);
    return new Running() {
      @Override
      long delivered() {
        return (long) sum("kubeless.trigger.invocations", "outcome", "success");
      }

      @Override
      long lost() {
        double failed = sum("kubeless.trigger.invocations", null, null) - delivered();
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
      public void close() throws Exception {
        bindings.close();
        source.close();
        engine.close();
      }
    };
  }

  /**
   * What one writes by hand with the SDK: per shard a thread reading from TRIM_HORIZON, GetRecords
   * with the engine's Limit and at most one read per read interval ({@code paced}), each record
   * invoked in order ({@code invoke}; otherwise only counted: the read rate alone).
   */
  static Running bare(String stream, boolean invoke, boolean paced) throws Exception {
    String source = "/apis/kubeless.io/v1beta1/namespaces/" + NS + "/kinesistriggers/bare";
    FunctionEndpoint endpoint = endpoint();
    KinesisClient client = client();
    AtomicLong delivered = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> threads = new ArrayList<>();
    List<String> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
    long interval = paced ? settings.readInterval().toNanos() : 0;
    for (Shard shard : client.listShards(b -> b.streamName(stream)).shards()) {
      String id = shard.shardId();
      threads.add(
          Thread.ofPlatform()
              .name("bare-" + id)
              .start(
                  () -> {
                    try {
                      String iterator =
                          client
                              .getShardIterator(
                                  b ->
                                      b.streamName(stream)
                                          .shardId(id)
                                          .shardIteratorType(ShardIteratorType.TRIM_HORIZON))
                              .shardIterator();
                      BigInteger previous = BigInteger.valueOf(-1);
                      long nextRead = System.nanoTime();
                      while (!stop.get() && iterator != null) {
                        long wait = nextRead - System.nanoTime();
                        if (wait > 0) {
                          Thread.sleep(Duration.ofNanos(wait));
                        }
                        long now = System.nanoTime();
                        GetRecordsResponse response;
                        String it = iterator;
                        try {
                          response =
                              client.getRecords(
                                  b -> b.shardIterator(it).limit(settings.recordsPerRead()));
                        } catch (ProvisionedThroughputExceededException
                            | LimitExceededException e) {
                          nextRead = now + Math.max(interval, 100_000_000L);
                          continue;
                        }
                        nextRead = now + interval;
                        if (!paced && response.records().isEmpty()) {
                          // read to the tip: a shard done early must not hammer the emulator
                          nextRead = now + 5_000_000L;
                        }
                        for (Record record : response.records()) {
                          if (stop.get()) {
                            return;
                          }
                          BigInteger sequence = new BigInteger(record.sequenceNumber());
                          if (sequence.compareTo(previous) <= 0) {
                            throw new IllegalStateException(
                                "shard " + id + " out of order at " + sequence);
                          }
                          previous = sequence;
                          if (!invoke) {
                            delivered.incrementAndGet();
                            continue;
                          }
                          Instant time = record.approximateArrivalTimestamp();
                          Event event =
                              new Event(
                                  stream + "-" + id + "-" + record.sequenceNumber(),
                                  time == null ? Instant.now() : time,
                                  "kinesistriggers.kubeless.io",
                                  stream,
                                  source,
                                  "io.kubeless.kinesis.record",
                                  null,
                                  record.data().asByteArrayUnsafe());
                          Outcome outcome = invoker.invoke(endpoint, event);
                          if (outcome.kind() == Outcome.Kind.SUCCESS) {
                            delivered.incrementAndGet();
                          } else {
                            failed.incrementAndGet();
                          }
                        }
                        iterator = response.nextShardIterator();
                      }
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    } catch (Exception e) {
                      errors.add(id + ": " + e);
                      e.printStackTrace();
                    }
                  }));
    }
    return new Running() {
      @Override
      long delivered() {
        return delivered.get();
      }

      @Override
      long lost() {
        return failed.get() + errors.size();
      }

      @Override
      String broken() {
        return errors.isEmpty() ? null : String.join("; ", errors);
      }

      @Override
      public void close() throws Exception {
        stop.set(true);
        for (Thread t : threads) {
          t.join();
        }
        client.close();
      }
    };
  }

  // --- helpers ------------------------------------------------------------------------------------

  interface Condition {
    boolean met() throws Exception;
  }

  static void await(String what, Condition condition) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!condition.met()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out waiting for " + what);
      }
      Thread.sleep(50);
    }
  }

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

  /** Lets the JVM, the emulator and the function calm down between measurements. */
  static void settle() throws InterruptedException {
    System.gc();
    Thread.sleep(Long.getLong("settleMillis", 2000));
  }
}
