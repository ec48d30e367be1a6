import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.kubeless.api.v1beta1.CronJobTriggerSpec;
import io.kubeless.cron.source.CronSource;
import io.kubeless.cron.source.CronSubscription;
import io.kubeless.cron.source.FiringLeadership;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.engine.Bindings;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerSpec;
import io.kubeless.trigger.engine.TriggerSpecSource;
import io.kubeless.trigger.function.FunctionEndpoint;
import io.kubeless.trigger.function.InMemoryFunctionDirectory;
import io.kubeless.trigger.invoke.Invoker;
import io.kubeless.trigger.metrics.TriggerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * bench/cron: TRIGGERS CronJobTriggers firing every second ({@code @every 1s}, a JSON payload) on
 * one engine, against one real HTTP function (a JDK HTTP server on loopback, in this JVM), for
 * DURATION seconds. Every (trigger, tick) of the measured window must arrive exactly once: the
 * duplicates and the gaps are counted. Lateness is the function's arrival time minus the tick
 * (event-time), reported as p50/p99/max.
 */
public class CronBench {

  public static void main(String[] args) throws Exception {
    int triggers = Integer.getInteger("triggers", 1000);
    int seconds = Integer.getInteger("seconds", 30);
    // the first ticks (bindings starting, connections opening, the JIT warming up) are not measured
    int settle = Integer.getInteger("warmup", 10);
    ObjectMapper json = new ObjectMapper();

    // the function: counts each event id, records lateness in microseconds
    Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    int capacity = triggers * (seconds + settle + 5);
    AtomicLongArray lateness = new AtomicLongArray(capacity);
    AtomicInteger samples = new AtomicInteger();
    long[] window = new long[2];
    // as the Java runtime does: without it, Nagle and delayed ACKs hold each response ~40 ms
    System.setProperty("sun.net.httpserver.nodelay", "true");
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext(
        "/",
        exchange -> {
          Instant arrived = Instant.now();
          exchange.getRequestBody().readAllBytes();
          String id = exchange.getRequestHeaders().getFirst("event-id");
          Instant tick = Instant.parse(exchange.getRequestHeaders().getFirst("event-time"));
          counts.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
          long s = tick.getEpochSecond();
          if (s >= window[0] && s < window[1]) {
            int i = samples.getAndIncrement();
            if (i < capacity) {
              lateness.set(i, Duration.between(tick, arrived).toNanos() / 1000);
            }
          }
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    server.start();
    URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");

    // when the engine looks the function up to fire a tick: the firing side of the lateness
    AtomicLongArray fired = new AtomicLongArray(capacity);
    AtomicInteger firedSamples = new AtomicInteger();
    InMemoryFunctionDirectory directory =
        new InMemoryFunctionDirectory() {
          @Override
          public Optional<FunctionEndpoint> find(String namespace, String name) {
            Instant now = Instant.now();
            long s = now.getEpochSecond();
            if (s >= window[0] && s < window[1]) {
              int i = firedSamples.getAndIncrement();
              if (i < capacity) {
                fired.set(i, now.getNano() / 1000);
              }
            }
            return super.find(namespace, name);
          }
        };
    directory.put(new FunctionEndpoint("bench", "fn", url, Duration.ofSeconds(10), true, Map.of()));
    Vertx vertx = Vertx.vertx();
    Invoker.Options defaults = Invoker.Options.defaults();
    Invoker invoker =
        new Invoker(
            vertx,
            new Invoker.Options(
                defaults.connectTimeout(),
                defaults.keepAliveTimeout(),
                Integer.getInteger("connections", defaults.maxConnectionsPerFunction()),
                defaults.timeoutGrace()));
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    TriggerEngine engine = new TriggerEngine(directory, invoker, new TriggerMetrics(meters));
    Map<TriggerId, String> uids = new ConcurrentHashMap<>();
    CronSource source =
        new CronSource(engine, FiringLeadership.ALWAYS, uids::get, CronSource.Settings.defaults());
    Bindings<CronJobTriggerSpec, CronSubscription> bindings =
        new Bindings<>(engine, source, Duration.ofSeconds(30));
    List<TriggerSpec<CronJobTriggerSpec>> specs = new ArrayList<>();
    for (int i = 0; i < triggers; i++) {
      TriggerId id = new TriggerId("bench", "t" + i);
      uids.put(id, "t" + i);
      CronJobTriggerSpec spec = new CronJobTriggerSpec();
      spec.setSchedule("@every 1s");
      spec.setFunctionName("fn");
      spec.setPayload(json.readTree("{\"trigger\":" + i + "}"));
      specs.add(new TriggerSpec<>(id, Instant.EPOCH.plusSeconds(i), spec));
    }
    bindings.open(
        new TriggerSpecSource<>() {
          @Override
          public void open(Listener<CronJobTriggerSpec> listener) {
            specs.forEach(listener::applied);
          }

          @Override
          public Optional<Set<TriggerId>> existing() {
            return Optional.empty();
          }
        });
    long start = Instant.now().getEpochSecond();
    window[0] = start + settle;
    window[1] = window[0] + seconds;
    System.out.printf(
        "%d triggers @every 1s, measuring ticks %s .. %s (%d s)%n",
        triggers, Instant.ofEpochSecond(window[0]), Instant.ofEpochSecond(window[1]), seconds);
    // wait for the window, and for its last calls as long as a tick may be late (max-lateness)
    while (Instant.now().getEpochSecond()
        < window[1] + CronSource.Settings.defaults().maxLateness().toSeconds() + 2) {
      Thread.sleep(200); // a benchmark's clock, not a test's synchronisation
    }
    bindings.close();
    source.close();
    engine.close();

    long duplicates = 0;
    long gaps = 0;
    long delivered = 0;
    for (int i = 0; i < triggers; i++) {
      for (long s = window[0]; s < window[1]; s++) {
        AtomicInteger c = counts.get("t" + i + "-" + s);
        int n = c == null ? 0 : c.get();
        if (n == 0) {
          gaps++;
        } else {
          delivered++;
          duplicates += n - 1;
        }
      }
    }
    int n = Math.min(samples.get(), capacity);
    long[] late = new long[n];
    for (int i = 0; i < n; i++) {
      late[i] = lateness.get(i);
    }
    Arrays.sort(late);
    int f = Math.min(firedSamples.get(), capacity);
    long[] firing = new long[f];
    for (int i = 0; i < f; i++) {
      firing[i] = fired.get(i);
    }
    Arrays.sort(firing);
    double dropped =
        meters.find("kubeless.trigger.events.dropped").counters().stream()
            .mapToDouble(c -> c.count())
            .sum();
    long expected = (long) triggers * seconds;
    System.out.printf(
        "ticks expected %d, delivered %d, duplicates %d, gaps %d, counted missed %.0f%n",
        expected, delivered, duplicates, gaps, dropped);
    System.out.printf(
        "lateness (arrival at the function - tick): p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d"
            + " samples)%n",
        pct(late, 0.50), pct(late, 0.99), late.length == 0 ? 0 : late[late.length - 1] / 1000.0, n);
    System.out.printf(
        "firing (the engine taking a tick up, after the tick): p50 %.2f ms, p99 %.2f ms%n",
        pct(firing, 0.50), pct(firing, 0.99));
    server.stop(0);
    invoker.close();
    vertx.close();
    System.exit(duplicates == 0 ? 0 : 1);
  }

  private static double pct(long[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    return sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))] / 1000.0;
  }
}
