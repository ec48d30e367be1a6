package io.kubeless.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kubeless.api.function.InvalidFunctionException;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.function.FunctionEndpoint;
import io.kubeless.trigger.function.InMemoryFunctionDirectory;
import io.kubeless.trigger.invoke.Invoker;
import io.kubeless.trigger.metrics.TriggerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Kubeless on one machine: each Function a local process, the triggers through the same trigger
 * engine as on Kubernetes (fed from the YAML instead of a reconciler): KafkaTriggers against an
 * embedded Kafka broker unless one is given, NATSTriggers against a {@code nats-server} it starts
 * unless one is given. Each trigger kind is a {@link LocalTriggers}; they share one engine. {@link
 * #close()} stops everything it started.
 */
public final class LocalPlatform implements AutoCloseable {

  /**
   * @param home the state directory, {@code .kubeless/}
   * @param runtimes the {@code runtimes/} folder holding {@code <language>/run}
   * @param kafkaBootstrap brokers to use instead of the embedded one, or null
   * @param kafkaPort the embedded broker's port; 0 for 9092 when free, else any
   * @param natsUrl the NATS server to use instead of starting a {@code nats-server}, or null
   * @param natsPort the started {@code nats-server}'s port; 0 for 4222 when free, else any
   * @param out where the lines go
   * @param httpPort the HTTP gateway's port (HTTPTriggers); -1 for 8090 when free, else any; 0 for
   *     any free port
   */
  public record Options(
      Path home,
      Path runtimes,
      String kafkaBootstrap,
      int kafkaPort,
      String natsUrl,
      int natsPort,
      PrintStream out,
      int httpPort) {

    /** The HTTP gateway on any free port. */
    public Options(
        Path home,
        Path runtimes,
        String kafkaBootstrap,
        int kafkaPort,
        String natsUrl,
        int natsPort,
        PrintStream out) {
      this(home, runtimes, kafkaBootstrap, kafkaPort, natsUrl, natsPort, out, 0);
    }

    /** Kafka's settings only: NATS from {@code NATS_URL}, else a started server on 4222 or any. */
    public Options(
        Path home, Path runtimes, String kafkaBootstrap, int kafkaPort, PrintStream out) {
      this(home, runtimes, kafkaBootstrap, kafkaPort, null, 0, out);
    }
  }

  private final Options options;
  private final PrintStream out;
  private final InMemoryFunctionDirectory directory = new InMemoryFunctionDirectory();
  private final Map<String, FunctionProcess> functions =
      Collections.synchronizedMap(new LinkedHashMap<>());
  // what was applied, by identity: a changed print restarts or re-applies (the watcher's state)
  private final Map<String, JsonNode> functionPrints = new HashMap<>();
  private final Map<String, Path> functionFiles = new HashMap<>();
  private final Map<String, LogBuffer> logs = new ConcurrentHashMap<>();

  /** The Secrets and ConfigMaps of the files read, for the functions' declared environment. */
  private final FunctionEnv environment = new FunctionEnv();

  // functions whose start (the install of their dependencies) is under way
  private final Set<FunctionProcess> starting = ConcurrentHashMap.newKeySet();
  private volatile AdminServer admin;
  private Map<Path, String> fileHashes = new HashMap<>();
  private List<Path> sources = List.of();
  private final AppliedResources applied;
  // the files' first pass is done: reload() knows which file defines what
  private volatile boolean tracking;
  private volatile ManifestWatcher watcher;
  private final Map<String, Boolean> ready = new ConcurrentHashMap<>();
  // the engine's meters (TriggerMetrics), read back for the admin API's trigger states
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final List<String> invalid = new ArrayList<>();
  private final KafkaTriggers kafka;
  private final NatsTriggers nats;
  private final KinesisTriggers kinesis;
  private final HttpTriggers http;
  private final CronTriggers cron;
  // every trigger kind local mode runs, in the engine they share
  private final List<LocalTriggers<?, ?, ?>> kinds;
  private Vertx vertx;
  private Invoker invoker;
  private TriggerEngine engine;
  private volatile boolean closed;
  // this platform wrote local.json: it deletes it when it stops
  private volatile boolean stateWritten;
  private boolean stopped;

  private LocalPlatform(Options options) {
    this.options = options;
    this.out = options.out();
    this.applied = new AppliedResources(options.home());
    this.kafka =
        new KafkaTriggers(out, options.home(), options.kafkaBootstrap(), options.kafkaPort());
    this.nats = new NatsTriggers(out, options.home(), options.natsUrl(), options.natsPort());
    this.kinesis = new KinesisTriggers(out, options.home());
    // the gateway's routes count into the engine's registry (the HTTP source has no reader of
    // its own), so the admin API reports their events and failures as any trigger's
    this.http = new HttpTriggers(out, options.home(), options.httpPort(), meters);
    this.cron = new CronTriggers(out, options.home());
    this.kinds = List.of(kafka, nats, kinesis, http, cron);
  }

  /** The trigger engine the kinds share, made when the first kind starts. */
  private synchronized TriggerEngine engine() {
    if (engine == null) {
      vertx = Vertx.vertx();
      invoker = new Invoker(vertx, Invoker.Options.defaults());
      engine = new TriggerEngine(directory, invoker, new TriggerMetrics(meters));
    }
    return engine;
  }

  /** Starts what the manifests describe; on a failure, stops what already started. */
  public static LocalPlatform start(Manifests manifests, Options options) throws Exception {
    LocalLog.install(options.out());
    LocalPlatform platform = new LocalPlatform(options);
    try {
      platform.run(manifests);
      return platform;
    } catch (Exception | Error e) {
      platform.close();
      throw e;
    }
  }

  private void run(Manifests files) throws Exception {
    Files.createDirectories(applied.root());
    Leftovers.stop(stateFile(), out);
    // after the user's files: a name they define is theirs (the first one counts)
    Manifests manifests = files.plus(Manifests.load(applied.files()));
    environment.learn(manifests);
    manifests.problems().forEach(p -> out.println("invalid: " + p));
    manifests.skipped().forEach(s -> out.println("skipped: " + s));

    List<LocalFunction> parsed = new ArrayList<>();
    Set<String> keys = new LinkedHashSet<>();
    for (Function f : manifests.functions()) {
      String name = f.getMetadata() == null ? "<no name>" : f.getMetadata().getName();
      try {
        LocalFunction lf = LocalFunction.of(f);
        if (!keys.add(lf.key())) {
          throw new InvalidFunctionException("Duplicate", "defined twice; the first one runs");
        }
        parsed.add(lf);
        notes(lf);
      } catch (InvalidFunctionException e) {
        report("function " + name + ": " + e.reason() + ": " + e.getMessage());
      }
    }

    // the servers first, so the functions' triggers find them
    for (LocalTriggers<?, ?, ?> kind : kinds) {
      kind.secrets(manifests);
      startKind(kind, manifests);
    }
    // local.json names each process from its start on (the admin API not yet, the CLI waits for
    // it): a local mode killed during its start-up leaves nothing the next one does not stop
    writeState();

    for (LocalFunction lf : parsed) {
      functionPrints.put(lf.key(), print(lf));
      startFunction(lf, EmbeddedKafka.freePort());
    }

    for (LocalTriggers<?, ?, ?> kind : kinds) {
      openKind(kind, manifests);
    }

    admin = AdminServer.start(this);
    printSummary(manifests);
    writeState();
  }

  /** How many times a function that exits before it ever answered is started again. */
  private static final int START_ATTEMPTS = 3;

  /** Starts a function's process on {@code port}; false (reported) when it could not start. */
  private boolean startFunction(LocalFunction lf, int port) throws InterruptedException {
    return startFunction(lf, port, 1);
  }

  private boolean startFunction(LocalFunction lf, int port, int attempt)
      throws InterruptedException {
    FunctionEnv.Resolved env = environment.resolve(lf, FunctionProcess.runtimeVariables(lf));
    if (attempt == 1) {
      env.notes().forEach(n -> out.println("[" + lf.label() + "] note: " + n));
    }
    FunctionProcess p =
        new FunctionProcess(
            lf,
            options.home(),
            options.runtimes(),
            port,
            out,
            logs.computeIfAbsent(lf.key(), k -> new LogBuffer()),
            this::installStarted,
            env.vars());
    starting.add(p);
    try {
      p.start();
    } catch (IOException e) {
      p.stop(Duration.ofSeconds(1));
      if (!closed) { // else stopped by the close, which says so
        report("function " + lf.label() + ": NotStarted: " + e.getMessage());
      }
      return false;
    } finally {
      starting.remove(p);
    }
    functions.put(lf.key(), p);
    directory.put(endpoint(p, false));
    if (!closed) {
      // local.json names the new process (during the start-up too, or started again later)
      try {
        writeState();
      } catch (IOException e) {
        out.println("writing " + stateFile() + ": " + e);
      }
    }
    // a function that exits once it has served stays down (unavailable: its records wait in the
    // topic); one that exits before it ever answered (its port taken meanwhile by another
    // process, say) starts again on a fresh port, a few times
    AtomicBoolean answered = new AtomicBoolean();
    p.process()
        .onExit()
        .thenRun(
            () -> {
              if (functions.get(lf.key()) != p) {
                return;
              }
              ready.put(lf.key(), false);
              directory.put(endpoint(p, false));
              if (!answered.get() && !closed && attempt < START_ATTEMPTS) {
                out.println(
                    "["
                        + lf.label()
                        + "] exited before it answered: starting it again on a new port");
                Thread.ofVirtual()
                    .start(
                        () -> {
                          try {
                            if (functions.get(lf.key()) == p && !closed) {
                              startFunction(lf, EmbeddedKafka.freePort(), attempt + 1);
                            }
                          } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                          } catch (IOException e) {
                            report("function " + lf.label() + ": NotStarted: " + e.getMessage());
                          }
                        });
              }
            });
    p.whenReady(
        fp -> {
          if (functions.get(lf.key()) != fp) {
            return; // replaced or removed meanwhile
          }
          answered.set(true);
          ready.put(lf.key(), true);
          directory.put(endpoint(fp, true));
          out.println("[" + lf.label() + "] ready at " + fp.url());
        });
    return true;
  }

  private static <R extends io.fabric8.kubernetes.api.model.HasMetadata> void startKind(
      LocalTriggers<R, ?, ?> kind,
      Manifests manifests,
      java.util.function.Supplier<TriggerEngine> engine)
      throws Exception {
    kind.start(engine, kind.triggers(manifests));
  }

  private void startKind(LocalTriggers<?, ?, ?> kind, Manifests manifests) throws Exception {
    startKind(kind, manifests, this::engine);
  }

  private <R extends io.fabric8.kubernetes.api.model.HasMetadata> void openKind(
      LocalTriggers<R, ?, ?> kind, Manifests manifests) {
    kind.open(kind.triggers(manifests), invalid);
  }

  private static <R extends io.fabric8.kubernetes.api.model.HasMetadata> void summary(
      LocalTriggers<R, ?, ?> kind, Manifests manifests) {
    kind.summary(kind.triggers(manifests));
  }

  private static JsonNode print(LocalFunction f) {
    ObjectMapper json = Serialization.jsonMapper();
    ObjectNode n = json.createObjectNode();
    n.set("spec", json.valueToTree(f.function().getSpec()));
    n.set("labels", json.valueToTree(f.labels()));
    return n;
  }

  /**
   * Says which of a Function's Kubernetes-only settings local mode ignores: of {@code
   * spec.deployment} all but the function container's environment, which it applies; a {@code
   * spec.service} other than the one port Kubeless's CLI writes; {@code
   * spec.horizontalPodAutoscaler}.
   */
  private void notes(LocalFunction f) {
    notes(f.function()).forEach(n -> out.println("[" + f.label() + "] note: " + n));
  }

  /** The notes of {@link #notes(LocalFunction)}, also answered to a PUT of the Function. */
  static List<String> notes(Function function) {
    var spec = function.getSpec();
    List<String> notes = new ArrayList<>();
    if (spec == null) {
      return notes;
    }
    List<String> ignored = FunctionEnv.ignored(spec.getDeployment());
    if (!ignored.isEmpty()) {
      notes.add(
          "spec.deployment applies only on Kubernetes, apart from the function container's env;"
              + " ignored here: "
              + String.join(", ", ignored));
    }
    ObjectNode service = spec.getService();
    if (service != null
        && (service.path("ports").size() > 1
            || !service.path("type").asText("ClusterIP").equals("ClusterIP"))) {
      notes.add("spec.service applies only on Kubernetes; ignored here");
    }
    ObjectNode hpa = spec.getHorizontalPodAutoscaler();
    if (hpa != null && !hpa.isEmpty()) {
      notes.add("spec.horizontalPodAutoscaler applies only on Kubernetes; ignored here");
    }
    return notes;
  }

  private void report(String line) {
    invalid.add(line);
    out.println("invalid: " + line);
  }

  private static FunctionEndpoint endpoint(FunctionProcess p, boolean ready) {
    LocalFunction f = p.function();
    return new FunctionEndpoint(f.namespace(), f.name(), p.url(), f.timeout(), ready, f.labels());
  }

  private void printSummary(Manifests manifests) {
    out.println("kubeless local:");
    for (FunctionProcess p : running()) {
      out.println(
          "  function %s (%s, %s) at %s"
              .formatted(
                  p.function().label(), p.function().runtime(), p.function().handler(), p.url()));
    }
    for (LocalTriggers<?, ?, ?> kind : kinds) {
      summary(kind, manifests);
    }
    out.println("  admin at " + admin.url());
    out.println("  console at " + admin.url() + " (open it in a browser)");
    out.println("  state in " + options.home() + "; Ctrl-C stops everything");
  }

  /** local.json names an install of dependencies as it starts, for the next local mode to stop. */
  private void installStarted() {
    if (closed) {
      return;
    }
    try {
      writeState();
    } catch (IOException e) {
      out.println("writing " + stateFile() + ": " + e);
    }
  }

  private synchronized void writeState() throws IOException {
    stateWritten = true;
    Map<String, Object> state = new LinkedHashMap<>();
    state.put("pid", ProcessHandle.current().pid());
    ProcessHandle.current()
        .info()
        .startInstant()
        .ifPresent(t -> state.put("started", t.toEpochMilli()));
    Map<String, Object> fns = new LinkedHashMap<>();
    // every process started, for the next local mode to stop should this one be killed
    List<Map<String, Object>> processes = new ArrayList<>();
    for (var e : runningByKey().entrySet()) {
      Map<String, Object> f = new HashMap<>();
      f.put("url", e.getValue().url().toString());
      f.put("pid", e.getValue().process().pid());
      fns.put(e.getKey(), f);
      processes.add(Leftovers.entry(e.getValue().process().toHandle(), "function " + e.getKey()));
    }
    state.put("functions", fns);
    for (FunctionProcess p : starting) {
      p.installing()
          .ifPresent(
              h ->
                  processes.add(
                      Leftovers.entry(h, "dependency install of function " + p.function().key())));
    }
    nats.serverProcess().ifPresent(p -> processes.add(Leftovers.entry(p, "nats-server")));
    state.put("processes", processes);
    for (LocalTriggers<?, ?, ?> kind : kinds) {
      kind.state(state);
    }
    state.put("admin", admin == null ? null : admin.url().toString());
    // written aside and moved: the CLI reads it at any moment and must never see it half-written
    Path next = stateFile().resolveSibling("local.json.tmp");
    Files.writeString(
        next,
        Serialization.jsonMapper().writerWithDefaultPrettyPrinter().writeValueAsString(state));
    Files.move(
        next,
        stateFile(),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private Path stateFile() {
    return options.home().resolve("local.json");
  }

  /** The admin API's URL, {@code http://127.0.0.1:PORT/}. */
  public URI adminUrl() {
    return admin.url();
  }

  /**
   * Each trigger (KafkaTriggers, then NATSTriggers) with its topic and, from the engine, each bound
   * function's phase and reason (the admin API's {@code /api/triggers}).
   */
  @SuppressWarnings("unchecked")
  List<Map<String, Object>> triggerStates() {
    List<Map<String, Object>> all = new ArrayList<>();
    for (LocalTriggers<?, ?, ?> kind : kinds) {
      all.addAll(kind.states());
    }
    for (Map<String, Object> t : all) {
      for (Map<String, Object> f : (List<Map<String, Object>>) t.get("functions")) {
        String[] tags = {
          "namespace", (String) t.get("namespace"),
          "trigger", (String) t.get("name"),
          "function", (String) f.get("function")
        };
        var received = meters.find("kubeless.trigger.events.received").tags(tags).counter();
        double failures =
            meters.find("kubeless.trigger.invocations").tags(tags).counters().stream()
                .filter(c -> !"success".equals(c.getId().getTag("outcome")))
                .mapToDouble(io.micrometer.core.instrument.Counter::count)
                .sum();
        var lag = meters.find("kubeless.trigger.lag").tags(tags).gauge();
        f.put("events", received == null ? 0 : (long) received.count());
        f.put("failures", (long) failures);
        f.put("lag", lag == null || Double.isNaN(lag.value()) ? null : (long) lag.value());
      }
    }
    return all;
  }

  /** Each running function's URL, by {@code namespace/name}. */
  public Map<String, URI> functionUrls() {
    Map<String, URI> urls = new LinkedHashMap<>();
    runningByKey().forEach((k, p) -> urls.put(k, p.url()));
    return urls;
  }

  /** Whether the function answered {@code /healthz}. */
  public boolean ready(String key) {
    return ready.getOrDefault(key, false);
  }

  /** The brokers the triggers read, when there are triggers. */
  public Optional<String> kafkaBootstrap() {
    return Optional.ofNullable(kafka.bootstrap());
  }

  /** The NATS server the NATSTriggers use, when there are NATSTriggers and they run. */
  public Optional<String> natsUrl() {
    return Optional.ofNullable(nats.url());
  }

  /** The {@code nats-server} local mode started, while it runs. */
  public Optional<ProcessHandle> natsServer() {
    return nats.serverProcess();
  }

  /** The engine's state of a NATSTrigger, when NATSTriggers run. */
  Optional<io.kubeless.trigger.engine.TriggerState> natsTrigger(TriggerId id) {
    return nats.state(id);
  }

  /** The HTTP gateway's URL, {@code http://127.0.0.1:PORT/}, while HTTPTriggers run. */
  public Optional<String> httpUrl() {
    return Optional.ofNullable(http.url());
  }

  /** What the engine does for an HTTPTrigger, for tests. */
  Optional<io.kubeless.trigger.engine.TriggerState> httpTrigger(TriggerId id) {
    return http.state(id);
  }

  /** What the engine does for a CronJobTrigger, for tests. */
  Optional<io.kubeless.trigger.engine.TriggerState> cronTrigger(TriggerId id) {
    return cron.state(id);
  }

  /** What the engine does for a KinesisTrigger, for tests. */
  Optional<io.kubeless.trigger.engine.TriggerState> kinesisTrigger(TriggerId id) {
    return kinesis.state(id);
  }

  /** One line per Function or trigger that was refused. */
  public List<String> invalid() {
    return List.copyOf(invalid);
  }

  /** The processes of the functions, for whoever checks that they are gone. */
  public List<ProcessHandle> processes() {
    List<ProcessHandle> all = new ArrayList<>();
    for (FunctionProcess p : running()) {
      all.add(p.process().toHandle());
      p.process().descendants().forEach(all::add);
    }
    return all;
  }

  /** The process of a running function, by {@code namespace/name}. */
  public Optional<ProcessHandle> process(String key) {
    FunctionProcess p = functions.get(key);
    return p == null || p.process() == null
        ? Optional.empty()
        : Optional.of(p.process().toHandle());
  }

  private List<FunctionProcess> running() {
    synchronized (functions) {
      return List.copyOf(functions.values());
    }
  }

  Map<String, FunctionProcess> runningByKey() {
    synchronized (functions) {
      return new LinkedHashMap<>(functions);
    }
  }

  /**
   * Watches {@code sources} (the paths the manifests were read from) and applies their changes
   * while running: a changed Function is restarted (on the same port when it is free), a new one
   * started, a removed one stopped; KafkaTriggers are re-applied or deleted. Stopped by {@link
   * #close()}.
   */
  public void watch(List<Path> sources) throws IOException {
    synchronized (this) {
      if (closed || watcher != null) {
        return;
      }
      if (!tracking) {
        this.sources = List.copyOf(sources);
        reload(true);
        tracking = true;
      }
      watcher = ManifestWatcher.open(this.sources, applied.root(), () -> reload(false), out);
    }
    watcher.start();
  }

  /** The applied resources' files (the admin API's writes). */
  AppliedResources applied() {
    return applied;
  }

  /** Whether local mode follows its files (then the admin API may write resources). */
  boolean tracking() {
    return tracking;
  }

  /** The user's manifest files, as local mode reads them (the applied ones left out). */
  synchronized List<Path> userFiles() {
    return ManifestWatcher.files(sources).stream()
        .map(p -> p.toAbsolutePath().normalize())
        .toList();
  }

  /** Every Kubeless resource of the files local mode reads, the user's first, with its file. */
  List<Definition> definitions() {
    List<Path> all = new ArrayList<>(userFiles());
    all.addAll(applied.files());
    return Definition.scan(all);
  }

  /**
   * Runs {@code edit} (a change to the applied files) and applies the files at once, as the watcher
   * would a moment later; nothing else reads or applies the files meanwhile.
   */
  synchronized <T> T change(java.util.concurrent.Callable<T> edit) throws Exception {
    T result = edit.call();
    reload(false);
    return result;
  }

  private record Wanted<T>(T item, JsonNode print, Path file) {}

  /** One kind's triggers in one pass over the files. */
  private static final class KindPass<R extends io.fabric8.kubernetes.api.model.HasMetadata> {
    final LocalTriggers<R, ?, ?> kind;
    final Map<TriggerId, LocalTriggers.Wanted<R>> wanted = new LinkedHashMap<>();

    KindPass(LocalTriggers<R, ?, ?> kind) {
      this.kind = kind;
    }

    static <R extends io.fabric8.kubernetes.api.model.HasMetadata> KindPass<R> of(
        LocalTriggers<R, ?, ?> kind) {
      return new KindPass<>(kind);
    }
  }

  /**
   * Reads the files again and applies what changed. The first pass only learns which file defines
   * what (it was all started from the same files).
   */
  private synchronized void reload(boolean first) {
    if (closed) {
      return;
    }
    Map<Path, String> hashes = new HashMap<>();
    Map<String, Wanted<LocalFunction>> fns = new LinkedHashMap<>();
    List<KindPass<?>> passes = new ArrayList<>();
    kinds.forEach(k -> passes.add(KindPass.of(k)));
    Set<Path> troubled = new HashSet<>();
    Set<Path> changed = new HashSet<>();
    List<Path> all = new ArrayList<>(ManifestWatcher.files(sources));
    all.addAll(applied.files());
    // every file first: a trigger may name a Secret of a later file
    Map<Path, Manifests> read = new LinkedHashMap<>();
    for (Path file : all) {
      Path abs = file.toAbsolutePath().normalize();
      try {
        byte[] bytes = Files.readAllBytes(file);
        hashes.put(abs, FunctionProcess.sha256(new String(bytes, StandardCharsets.ISO_8859_1)));
        read.put(abs, Manifests.load(List.of(file)));
      } catch (IOException e) {
        hashes.remove(abs); // gone meanwhile
      }
    }
    read.values().stream()
        .reduce(Manifests::plus)
        .ifPresent(
            everything -> {
              environment.learn(everything);
              kinds.forEach(k -> k.secrets(everything));
            });
    for (var entry : read.entrySet()) {
      Path abs = entry.getKey();
      Manifests m = entry.getValue();
      boolean fresh = !first && !hashes.get(abs).equals(fileHashes.get(abs));
      if (fresh) {
        changed.add(abs);
        m.problems().forEach(p -> out.println("invalid: " + p));
        m.skipped().forEach(p -> out.println("skipped: " + p));
      }
      if (!m.problems().isEmpty()) {
        troubled.add(abs);
      }
      for (Function f : m.functions()) {
        String name = f.getMetadata() == null ? "<no name>" : f.getMetadata().getName();
        try {
          LocalFunction lf = LocalFunction.of(f);
          if (fns.containsKey(lf.key())) {
            throw new InvalidFunctionException("Duplicate", "defined twice; the first one runs");
          }
          fns.put(lf.key(), new Wanted<>(lf, print(lf), abs));
        } catch (InvalidFunctionException e) {
          troubled.add(abs);
          if (fresh) {
            report("function " + name + ": " + e.reason() + ": " + e.getMessage());
          }
        }
      }
      for (KindPass<?> pass : passes) {
        pass.kind.collect(m, abs, cast(pass.wanted), () -> troubled.add(abs), fresh, invalid);
      }
    }
    fileHashes = hashes;
    if (first) {
      fns.forEach((k, w) -> functionFiles.put(k, w.file()));
      passes.forEach(pass -> pass.kind.learn(cast(pass.wanted)));
      return;
    }
    try {
      applyFunctions(fns, troubled, changed);
      for (KindPass<?> pass : passes) {
        pass.kind.apply(this::engine, cast(pass.wanted), troubled, changed, invalid);
      }
      writeState();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      out.println("[watch] writing " + stateFile() + ": " + e);
    }
  }

  private void applyFunctions(
      Map<String, Wanted<LocalFunction>> fns, Set<Path> troubled, Set<Path> changed)
      throws InterruptedException {
    for (String key : List.copyOf(functionPrints.keySet())) {
      if (fns.containsKey(key)) {
        continue;
      }
      Path file = functionFiles.get(key);
      if (troubled.contains(file)) {
        if (changed.contains(file)) {
          out.println(
              "[watch] "
                  + label(key)
                  + ": "
                  + file.getFileName()
                  + " has invalid documents; what runs from it keeps running unchanged");
        }
        continue;
      }
      out.println("[watch] " + label(key) + " removed: stopping");
      functionPrints.remove(key);
      functionFiles.remove(key);
      FunctionProcess p = functions.remove(key);
      ready.remove(key);
      int slash = key.indexOf('/');
      directory.remove(key.substring(0, slash), key.substring(slash + 1));
      if (p != null) {
        p.stop(Duration.ofSeconds(5));
      }
    }
    for (var e : fns.entrySet()) {
      String key = e.getKey();
      LocalFunction lf = e.getValue().item();
      JsonNode before = functionPrints.get(key);
      functionFiles.put(key, e.getValue().file());
      if (e.getValue().print().equals(before)) {
        continue;
      }
      out.println(
          "[watch] " + lf.label() + (before == null ? " added: starting" : " changed: restarting"));
      functionPrints.put(key, e.getValue().print());
      FunctionProcess old = functions.remove(key);
      int port = 0;
      if (old != null) {
        port = old.url().getPort();
        ready.put(key, false);
        directory.put(endpoint(old, false));
        old.stop(Duration.ofSeconds(5));
        if (!free(port)) {
          port = 0;
        }
      }
      if (port == 0) {
        try {
          port = EmbeddedKafka.freePort();
        } catch (IOException ex) {
          out.println("[watch] " + lf.label() + ": no free port: " + ex.getMessage());
          continue;
        }
        if (old != null) {
          out.println(
              "[watch] "
                  + lf.label()
                  + ": port "
                  + old.url().getPort()
                  + " is taken; new URL http://127.0.0.1:"
                  + port
                  + "/");
        }
      }
      notes(lf);
      if (!startFunction(lf, port)) {
        ready.remove(key);
        directory.remove(lf.namespace(), lf.name());
      }
    }
  }

  private static String label(String key) {
    return key.startsWith("default/") ? key.substring("default/".length()) : key;
  }

  @SuppressWarnings("unchecked")
  private static <T> T cast(Object o) {
    return (T) o;
  }

  static boolean free(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() {
    closed = true;
    // first a dependency install under way: the start or reload waiting on it (holding the
    // platform, on the watcher's thread) ends with it
    for (FunctionProcess p : starting) {
      p.stop(Duration.ofSeconds(5));
    }
    ManifestWatcher w = watcher;
    if (w != null) {
      w.close();
    }
    AdminServer a = admin;
    if (a != null) {
      a.close();
    }
    stopAll();
  }

  private synchronized void stopAll() {
    if (stopped) {
      return;
    }
    stopped = true;
    kinds.forEach(LocalTriggers::closeBindings);
    quietly(engine);
    quietly(invoker);
    if (vertx != null) {
      try {
        vertx.close().toCompletionStage().toCompletableFuture().get();
      } catch (Exception e) {
        // going anyway
      }
    }
    List<Thread> stops = new ArrayList<>();
    for (FunctionProcess p : starting) {
      // a function still installing its dependencies: the install stops, the start ends there
      stops.add(Thread.ofVirtual().start(() -> p.stop(Duration.ofSeconds(5))));
    }
    for (FunctionProcess p : running()) {
      stops.add(Thread.ofVirtual().start(() -> p.stop(Duration.ofSeconds(5))));
    }
    for (Thread t : stops) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    kinds.forEach(LocalTriggers::stopServer);
    if (!stateWritten) {
      return; // the file, if any, is another local mode's (one still running, say)
    }
    try {
      Files.deleteIfExists(stateFile());
    } catch (IOException e) {
      // nothing to do
    }
  }

  private void quietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      out.println("[kafka] stopping " + c.getClass().getSimpleName() + ": " + e);
    }
  }
}
