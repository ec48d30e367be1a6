import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.kubeless.testing.KubeCluster;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.coordination.BindingKey;
import io.kubeless.trigger.kubernetes.LeaseShardCoordinator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What shard Leases cost the API server: one replica of a trigger with BINDINGS idle bindings of
 * one shard each (a Kafka partition, a Kinesis shard), each claimed every CLAIM_INTERVAL as a
 * reader does, against a real etcd + kube-apiserver ({@link KubeCluster}). After a warm-up (every
 * Lease created, then a lease duration), it counts the Lease writes (the ADDED and MODIFIED events
 * of a watch from the namespace's present resourceVersion) and the CPU time of kube-apiserver and
 * etcd over WINDOW.
 *
 * <p>Variants, run interleaved, round by round:
 *
 * <ul>
 *   <li>{@code per-shard} (the baseline): every shard Lease is the heartbeat, written once per
 *       renew interval (its duration the lease duration), as before the membership Lease was;
 *   <li>{@code membership}: the shipped coordinator, where the replica's membership Lease is the
 *       heartbeat and an idle shard Lease is written once a third of its own duration (ten lease
 *       durations) has passed.
 * </ul>
 *
 * <p>The timings are the Kafka trigger's defaults (lease 30 s, renew 10 s, claims every 5 s); set
 * WINDOW to at least two shard renewals (200 s) so that the membership variant's steady state is
 * inside it.
 */
public final class LeaseBench {

  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final Duration RENEW = Duration.ofSeconds(10);
  private static final Duration CLAIM = Duration.ofSeconds(5);

  record Result(double writesPerSecond, double apiServerCpu, double etcdCpu) {}

  /** How many Leases were written how many times in the last window, for the log. */
  private static final Map<Integer, Integer> spread = new TreeMap<>();

  public static void main(String[] args) throws Exception {
    int bindings = Integer.getInteger("bindings", 1000);
    int rounds = Integer.getInteger("rounds", 1);
    Duration window = Duration.ofSeconds(Integer.getInteger("window", 200));
    List<String> variants = List.of("per-shard", "membership");
    KubeCluster cluster = KubeCluster.shared();
    KubernetesClient admin = cluster.admin();
    System.out.printf(
        "%d idle bindings of one shard, one replica, claims every %s, lease %s, renew %s;"
            + " window %s%n",
        bindings, CLAIM, LEASE, RENEW, window);
    Map<String, List<Result>> results = new TreeMap<>();
    for (int round = 1; round <= rounds; round++) {
      for (String variant : variants) {
        Result r = run(cluster, admin, variant, bindings, window);
        results.computeIfAbsent(variant, v -> new ArrayList<>()).add(r);
        System.out.printf(
            "round %d %-10s %8.1f Lease writes/s   kube-apiserver %5.3f CPU s/s   etcd %5.3f"
                + " CPU s/s%n",
            round, variant, r.writesPerSecond(), r.apiServerCpu(), r.etcdCpu());
        System.out.printf("  Leases by writes in the window (writes=Leases): %s%n", spread);
      }
    }
    Result base = median(results.get("per-shard"));
    Result ship = median(results.get("membership"));
    System.out.printf("%nmedians of %d round(s):%n", rounds);
    System.out.printf(
        "%-10s %10s %16s %12s%n", "variant", "writes/s", "apiserver CPU/s", "etcd CPU/s");
    for (var e : Map.of("per-shard", base, "membership", ship).entrySet()) {
      Result r = e.getValue();
      System.out.printf(
          "%-10s %10.1f %16.3f %12.3f%n",
          e.getKey(), r.writesPerSecond(), r.apiServerCpu(), r.etcdCpu());
    }
    System.out.printf(
        "membership / per-shard: writes %.2fx, kube-apiserver CPU %.2fx, etcd CPU %.2fx%n",
        ship.writesPerSecond() / base.writesPerSecond(),
        ship.apiServerCpu() / base.apiServerCpu(),
        ship.etcdCpu() / base.etcdCpu());
    System.exit(0);
  }

  private static Result run(
      KubeCluster cluster, KubernetesClient admin, String variant, int bindings, Duration window)
      throws Exception {
    String ns = cluster.newNamespace("leases-" + variant);
    Duration shardLease = variant.equals("per-shard") ? LEASE : LEASE.multipliedBy(10);
    var settings =
        new LeaseShardCoordinator.Settings("kafka", ns, "bench-0", LEASE, RENEW, shardLease);
    LeaseShardCoordinator coordinator = new LeaseShardCoordinator(admin, settings);
    ScheduledExecutorService claims = Executors.newScheduledThreadPool(4);
    try {
      // each binding claims every CLAIM, spread evenly over the interval
      for (int i = 0; i < bindings; i++) {
        BindingKey binding = new BindingKey(new TriggerId("shop", "t" + i), "f");
        List<String> shards = List.of("topic-" + i + "-0");
        long offset = CLAIM.toMillis() * i / bindings;
        claims.scheduleAtFixedRate(
            () -> {
              try {
                coordinator.claim(binding, shards);
              } catch (RuntimeException e) {
                System.err.println("claim failed: " + e.getMessage());
              }
            },
            offset,
            CLAIM.toMillis(),
            TimeUnit.MILLISECONDS);
      }
      long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
      while (shardLeases(admin, ns) < bindings) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the Leases were not all created within 5 minutes");
        }
        Thread.sleep(500);
      }
      Thread.sleep(LEASE.toMillis());

      AtomicLong writes = new AtomicLong();
      Map<String, Integer> perLease = new java.util.concurrent.ConcurrentHashMap<>();
      // from the present version: a watch from none would first list every Lease as ADDED
      String version =
          admin.leases().inNamespace(ns).list().getMetadata().getResourceVersion();
      Watch watch =
          admin
              .leases()
              .inNamespace(ns)
              .withResourceVersion(version)
              .watch(
                  new Watcher<>() {
                    @Override
                    public void eventReceived(Action action, Lease lease) {
                      if (action == Action.ADDED || action == Action.MODIFIED) {
                        writes.incrementAndGet();
                        perLease.merge(lease.getMetadata().getName(), 1, Integer::sum);
                        if (Boolean.getBoolean("verbose")) {
                          System.out.printf(
                              "%s %s %s renewTime %s duration %s%n",
                              java.time.Instant.now(),
                              action,
                              lease.getMetadata().getName(),
                              lease.getSpec().getRenewTime(),
                              lease.getSpec().getLeaseDurationSeconds());
                        }
                      }
                    }

                    @Override
                    public void onClose(WatcherException cause) {}
                  });
      try {
        long apiServer = cpuNanos("kube-apiserver");
        long etcd = cpuNanos("etcd");
        long start = System.nanoTime();
        Thread.sleep(window.toMillis());
        double seconds = (System.nanoTime() - start) / 1e9;
        spread.clear();
        perLease.values().forEach(n -> spread.merge(n, 1, Integer::sum));
        return new Result(
            writes.get() / seconds,
            (cpuNanos("kube-apiserver") - apiServer) / 1e9 / seconds,
            (cpuNanos("etcd") - etcd) / 1e9 / seconds);
      } finally {
        watch.close();
      }
    } finally {
      claims.shutdownNow();
      claims.awaitTermination(10, TimeUnit.SECONDS);
      coordinator.close();
      admin.namespaces().withName(ns).delete();
    }
  }

  private static long shardLeases(KubernetesClient admin, String ns) {
    return admin
        .leases()
        .inNamespace(ns)
        .withLabel(LeaseShardCoordinator.roleLabel("kafka"), LeaseShardCoordinator.SHARD)
        .list()
        .getItems()
        .size();
  }

  /** User and system CPU time of this JVM's child process whose command ends in {@code name}. */
  private static long cpuNanos(String name) throws Exception {
    ProcessHandle process =
        ProcessHandle.current()
            .descendants()
            .filter(p -> p.info().command().map(c -> c.endsWith("/" + name)).orElse(false))
            .findFirst()
            .orElseThrow(() -> new IllegalStateException("no " + name + " process"));
    // /proc/<pid>/stat: fields 14 and 15 (utime, stime) in clock ticks, after the command's ')'
    String stat = Files.readString(Path.of("/proc", String.valueOf(process.pid()), "stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    return ticks * 10_000_000L; // USER_HZ is 100 on Linux
  }

  private static Result median(List<Result> results) {
    return new Result(
        median(results.stream().mapToDouble(Result::writesPerSecond).toArray()),
        median(results.stream().mapToDouble(Result::apiServerCpu).toArray()),
        median(results.stream().mapToDouble(Result::etcdCpu).toArray()));
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    java.util.Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
