package io.kubeless.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kubeless.api.function.InvalidFunctionException;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.KafkaTrigger;
import io.kubeless.api.v1beta1.KafkaTriggerSpec;
import io.kubeless.kafka.source.ConsumerSettings;
import io.kubeless.kafka.source.KafkaClientProperties;
import io.kubeless.kafka.source.KafkaSource;
import io.kubeless.kafka.source.KafkaSubscription;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.engine.Bindings;
import io.kubeless.trigger.engine.InvalidTriggerException;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerSpec;
import io.kubeless.trigger.engine.TriggerSpecSource;
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
import java.time.Instant;
import java.time.OffsetDateTime;
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

/**
 * Kubeless on one machine: each Function a local process, KafkaTriggers through the same trigger
 * engine as on Kubernetes (fed from the YAML instead of a reconciler), an embedded Kafka broker
 * unless one is given. {@link #close()} stops everything it started.
 */
public final class LocalPlatform implements AutoCloseable {

  /**
   * @param home the state directory, {@code .kubeless/}
   * @param runtimes the {@code runtimes/} folder holding {@code <language>/run}
   * @param kafkaBootstrap brokers to use instead of the embedded one, or null
   * @param kafkaPort the embedded broker's port; 0 for 9092 when free, else any
   * @param out where the lines go
   */
  public record Options(
      Path home, Path runtimes, String kafkaBootstrap, int kafkaPort, PrintStream out) {}

  private final Options options;
  private final PrintStream out;
  private final InMemoryFunctionDirectory directory = new InMemoryFunctionDirectory();
  private final Map<String, FunctionProcess> functions =
      Collections.synchronizedMap(new LinkedHashMap<>());
  // what was applied, by identity: a changed print restarts or re-applies (the watcher's state)
  private final Map<String, JsonNode> functionPrints = new HashMap<>();
  private final Map<String, Path> functionFiles = new HashMap<>();
  // read by the admin API while the watcher changes it
  private final Map<TriggerId, JsonNode> triggerPrints = new ConcurrentHashMap<>();
  private final Map<String, LogBuffer> logs = new ConcurrentHashMap<>();
  private volatile AdminServer admin;
  private final Map<TriggerId, Path> triggerFiles = new HashMap<>();
  private final Map<TriggerId, Instant> triggerCreated = new HashMap<>();
  private Map<Path, String> fileHashes = new HashMap<>();
  private List<Path> sources = List.of();
  private volatile ManifestWatcher watcher;
  private YamlSpecs specs;
  private final Map<String, Boolean> ready = new ConcurrentHashMap<>();
  private final List<String> invalid = new ArrayList<>();
  private EmbeddedKafka kafka;
  private String bootstrap;
  private Vertx vertx;
  private Invoker invoker;
  private TriggerEngine engine;
  private KafkaSource source;
  private volatile Bindings<KafkaTriggerSpec, KafkaSubscription> bindings;
  private volatile boolean closed;
  private boolean stopped;

  private LocalPlatform(Options options) {
    this.options = options;
    this.out = options.out();
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

  private void run(Manifests manifests) throws Exception {
    manifests.problems().forEach(p -> out.println("invalid: " + p));
    manifests.skipped().forEach(s -> out.println("skipped: " + s));
    Files.createDirectories(options.home());

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
        note(lf, "deployment", f.getSpec().getDeployment());
        note(lf, "service", f.getSpec().getService());
        note(lf, "horizontalPodAutoscaler", f.getSpec().getHorizontalPodAutoscaler());
      } catch (InvalidFunctionException e) {
        report("function " + name + ": " + e.reason() + ": " + e.getMessage());
      }
    }

    List<KafkaTrigger> triggers = manifests.kafkaTriggers();
    if (!triggers.isEmpty()) {
      startKafka(triggers);
    }

    for (LocalFunction lf : parsed) {
      functionPrints.put(lf.key(), print(lf));
      startFunction(lf, EmbeddedKafka.freePort());
    }

    if (bindings != null) {
      openBindings(triggers);
    }

    admin = AdminServer.start(this);
    printSummary(triggers);
    writeState();
  }

  /** Starts a function's process on {@code port}; false (reported) when it could not start. */
  private boolean startFunction(LocalFunction lf, int port) throws InterruptedException {
    FunctionProcess p =
        new FunctionProcess(
            lf,
            options.home(),
            options.runtimes(),
            port,
            out,
            logs.computeIfAbsent(lf.key(), k -> new LogBuffer()));
    try {
      p.start();
    } catch (IOException e) {
      p.stop(Duration.ofSeconds(1));
      report("function " + lf.label() + ": NotStarted: " + e.getMessage());
      return false;
    }
    functions.put(lf.key(), p);
    directory.put(endpoint(p, false));
    // no restart yet: a function that exits is unavailable, and its records wait in the topic
    p.process()
        .onExit()
        .thenRun(
            () -> {
              if (functions.get(lf.key()) == p) {
                ready.put(lf.key(), false);
                directory.put(endpoint(p, false));
              }
            });
    p.whenReady(
        fp -> {
          if (functions.get(lf.key()) != fp) {
            return; // replaced or removed meanwhile
          }
          ready.put(lf.key(), true);
          directory.put(endpoint(fp, true));
          out.println("[" + lf.label() + "] ready at " + fp.url());
        });
    return true;
  }

  /** Feeds the triggers to the engine, and from then on prints their states as they change. */
  private void openBindings(List<KafkaTrigger> triggers) {
    List<TriggerSpec<KafkaTriggerSpec>> initial = new ArrayList<>();
    int order = 0;
    for (KafkaTrigger t : triggers) {
      var meta = t.getMetadata();
      if (meta == null || meta.getName() == null) {
        report("kafka trigger <no name>: metadata.name is missing");
        continue;
      }
      TriggerId id = triggerId(t);
      Instant created = created(t, Instant.EPOCH.plusMillis(order++));
      if (triggerPrints.containsKey(id)) {
        continue; // the first one counts, as for Functions
      }
      triggerPrints.put(id, print(t));
      triggerCreated.put(id, created);
      initial.add(new TriggerSpec<>(id, created, t.getSpec()));
    }
    bindings.onStateChange(
        id ->
            bindings
                .state(id)
                .ifPresent(
                    s ->
                        out.println(
                            "[kafka] trigger "
                                + id.namespace()
                                + "/"
                                + id.name()
                                + ": "
                                + describe(s))));
    specs = new YamlSpecs(initial);
    bindings.open(specs);
  }

  private static TriggerId triggerId(KafkaTrigger t) {
    var meta = t.getMetadata();
    String ns =
        meta.getNamespace() == null || meta.getNamespace().isBlank()
            ? "default"
            : meta.getNamespace();
    return new TriggerId(ns, meta.getName());
  }

  private static Instant created(KafkaTrigger t, Instant otherwise) {
    String ts = t.getMetadata().getCreationTimestamp();
    if (ts != null) {
      try {
        return OffsetDateTime.parse(ts).toInstant();
      } catch (RuntimeException e) {
        // file order
      }
    }
    return otherwise;
  }

  private static JsonNode print(LocalFunction f) {
    ObjectMapper json = Serialization.jsonMapper();
    ObjectNode n = json.createObjectNode();
    n.set("spec", json.valueToTree(f.function().getSpec()));
    n.set("labels", json.valueToTree(f.labels()));
    return n;
  }

  private static JsonNode print(KafkaTrigger t) {
    ObjectMapper json = Serialization.jsonMapper();
    ObjectNode n = json.createObjectNode();
    n.set("spec", json.valueToTree(t.getSpec()));
    n.put("creationTimestamp", t.getMetadata().getCreationTimestamp());
    return n;
  }

  private void startKafka(List<KafkaTrigger> triggers) throws Exception {
    Set<String> topics = new LinkedHashSet<>();
    KafkaSource validator = null;
    String given = options.kafkaBootstrap();
    if (given == null || given.isBlank()) {
      given = System.getenv("KAFKA_BROKERS");
    }
    if (given != null && !given.isBlank()) {
      bootstrap = given.trim();
    } else {
      Path dir = options.home().resolve("kafka");
      out.println("starting the embedded Kafka broker (data in " + dir + ")");
      kafka = EmbeddedKafka.start(dir, options.kafkaPort());
      bootstrap = kafka.bootstrap();
    }
    Map<String, Object> props = KafkaClientProperties.defaults();
    props.put("bootstrap.servers", bootstrap);
    ConsumerSettings settings =
        new ConsumerSettings(
            props,
            "latest",
            Duration.ofSeconds(10),
            Duration.ofSeconds(10),
            Duration.ofSeconds(10),
            Duration.ofMillis(100),
            "kubeless-trigger-positions");
    vertx = Vertx.vertx();
    invoker = new Invoker(vertx, Invoker.Options.defaults());
    engine = new TriggerEngine(directory, invoker, new TriggerMetrics(new SimpleMeterRegistry()));
    source = new KafkaSource(engine, settings);
    validator = source;
    for (KafkaTrigger t : triggers) {
      try {
        topics.add(validator.subscription(t.getSpec()).topic());
      } catch (InvalidTriggerException | RuntimeException e) {
        // the engine reports it as the trigger's state
      }
    }
    if (kafka != null && !topics.isEmpty()) {
      EmbeddedKafka.createTopics(bootstrap, topics);
    }
    bindings = new Bindings<>(engine, source, Duration.ofSeconds(10));
  }

  private static String describe(io.kubeless.trigger.engine.TriggerState s) {
    if (s.problem() != null) {
      return "invalid: " + s.problem();
    }
    StringBuilder b = new StringBuilder(s.source() + ", " + s.selection() + ":");
    if (s.functions().isEmpty()) {
      b.append(" no function matches");
    }
    for (var f : s.functions()) {
      b.append(' ').append(f.function()).append('=').append(f.reason());
    }
    return b.toString();
  }

  private void note(LocalFunction f, String field, ObjectNode value) {
    if (value != null && !value.isEmpty()) {
      out.println(
          "[" + f.label() + "] note: spec." + field + " applies only on Kubernetes; ignored here");
    }
  }

  private void report(String line) {
    invalid.add(line);
    out.println("invalid: " + line);
  }

  private static FunctionEndpoint endpoint(FunctionProcess p, boolean ready) {
    LocalFunction f = p.function();
    return new FunctionEndpoint(f.namespace(), f.name(), p.url(), f.timeout(), ready, f.labels());
  }

  private void printSummary(List<KafkaTrigger> triggers) {
    out.println("kubeless local:");
    for (FunctionProcess p : running()) {
      out.println(
          "  function %s (%s, %s) at %s"
              .formatted(
                  p.function().label(), p.function().runtime(), p.function().handler(), p.url()));
    }
    if (bootstrap != null) {
      out.println("  kafka " + (kafka != null ? "(embedded) " : "") + "at " + bootstrap);
    }
    for (KafkaTrigger t : triggers) {
      out.println(
          "  kafka trigger %s: topic %s"
              .formatted(
                  t.getMetadata() == null ? "" : t.getMetadata().getName(),
                  t.getSpec() == null ? "" : t.getSpec().getTopic()));
    }
    out.println("  admin at " + admin.url());
    out.println("  state in " + options.home() + "; Ctrl-C stops everything");
  }

  private void writeState() throws IOException {
    Map<String, Object> state = new LinkedHashMap<>();
    state.put("pid", ProcessHandle.current().pid());
    Map<String, Object> fns = new LinkedHashMap<>();
    for (var e : runningByKey().entrySet()) {
      Map<String, Object> f = new HashMap<>();
      f.put("url", e.getValue().url().toString());
      f.put("pid", e.getValue().process().pid());
      fns.put(e.getKey(), f);
    }
    state.put("functions", fns);
    state.put("kafka", bootstrap);
    state.put("kafkaEmbedded", kafka != null);
    state.put("admin", admin == null ? null : admin.url().toString());
    Files.writeString(
        stateFile(),
        Serialization.jsonMapper().writerWithDefaultPrettyPrinter().writeValueAsString(state));
  }

  private Path stateFile() {
    return options.home().resolve("local.json");
  }

  /** The admin API's URL, {@code http://127.0.0.1:PORT/}. */
  public URI adminUrl() {
    return admin.url();
  }

  /**
   * Each KafkaTrigger with its topic and, from the engine, each bound function's phase and reason
   * (the admin API's {@code /api/triggers}).
   */
  List<Map<String, Object>> triggerStates() {
    var b = bindings;
    List<TriggerId> ids = new ArrayList<>(triggerPrints.keySet());
    ids.sort(java.util.Comparator.comparing(TriggerId::namespace).thenComparing(TriggerId::name));
    List<Map<String, Object>> all = new ArrayList<>();
    for (TriggerId id : ids) {
      JsonNode print = triggerPrints.get(id);
      Map<String, Object> t = new LinkedHashMap<>();
      t.put("kind", "KafkaTrigger");
      t.put("namespace", id.namespace());
      t.put("name", id.name());
      t.put("topic", print == null ? null : print.at("/spec/topic").asText(null));
      var state =
          b == null ? Optional.<io.kubeless.trigger.engine.TriggerState>empty() : b.state(id);
      t.put("problem", state.map(io.kubeless.trigger.engine.TriggerState::problem).orElse(null));
      t.put("source", state.map(io.kubeless.trigger.engine.TriggerState::source).orElse(null));
      t.put(
          "selection", state.map(io.kubeless.trigger.engine.TriggerState::selection).orElse(null));
      List<Map<String, Object>> fns = new ArrayList<>();
      state.ifPresent(
          s ->
              s.functions()
                  .forEach(
                      f -> {
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("function", f.function());
                        m.put("phase", f.phase() == null ? null : f.phase().toString());
                        m.put("reason", f.reason());
                        m.put("message", f.message());
                        fns.add(m);
                      }));
      t.put("functions", fns);
      all.add(t);
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
    return Optional.ofNullable(bootstrap);
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
      this.sources = List.copyOf(sources);
      watcher = ManifestWatcher.open(this.sources, () -> reload(false), out);
      reload(true);
    }
    watcher.start();
  }

  private record Wanted<T>(T item, JsonNode print, Path file) {}

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
    Map<TriggerId, Wanted<KafkaTrigger>> trs = new LinkedHashMap<>();
    Set<Path> troubled = new HashSet<>();
    Set<Path> changed = new HashSet<>();
    for (Path file : ManifestWatcher.files(sources)) {
      Path abs = file.toAbsolutePath().normalize();
      Manifests m;
      try {
        byte[] bytes = Files.readAllBytes(file);
        hashes.put(abs, FunctionProcess.sha256(new String(bytes, StandardCharsets.ISO_8859_1)));
        m = Manifests.load(List.of(file));
      } catch (IOException e) {
        hashes.remove(abs);
        continue; // gone meanwhile
      }
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
      for (KafkaTrigger t : m.kafkaTriggers()) {
        if (t.getMetadata() == null || t.getMetadata().getName() == null) {
          troubled.add(abs);
          if (fresh) {
            report("kafka trigger <no name>: metadata.name is missing");
          }
          continue;
        }
        trs.putIfAbsent(triggerId(t), new Wanted<>(t, print(t), abs));
      }
    }
    fileHashes = hashes;
    if (first) {
      fns.forEach((k, w) -> functionFiles.put(k, w.file()));
      trs.forEach((k, w) -> triggerFiles.put(k, w.file()));
      return;
    }
    try {
      applyFunctions(fns, troubled, changed);
      applyTriggers(trs, troubled, changed);
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
      note(lf, "deployment", lf.function().getSpec().getDeployment());
      note(lf, "service", lf.function().getSpec().getService());
      note(lf, "horizontalPodAutoscaler", lf.function().getSpec().getHorizontalPodAutoscaler());
      if (!startFunction(lf, port)) {
        ready.remove(key);
        directory.remove(lf.namespace(), lf.name());
      }
    }
  }

  private void applyTriggers(
      Map<TriggerId, Wanted<KafkaTrigger>> trs, Set<Path> troubled, Set<Path> changed) {
    if (bindings == null) {
      if (trs.isEmpty()) {
        return;
      }
      List<KafkaTrigger> all = trs.values().stream().map(Wanted::item).toList();
      try {
        startKafka(all);
        openBindings(all);
        trs.forEach((id, w) -> triggerFiles.put(id, w.file()));
        trs.keySet().forEach(id -> out.println("[watch] trigger " + id(id) + " added: applied"));
        out.println("[watch] kafka " + (kafka != null ? "(embedded) " : "") + "at " + bootstrap);
      } catch (Exception e) {
        out.println(
            "[watch] starting Kafka for the first KafkaTrigger failed ("
                + e
                + "); restart local up to run the triggers");
        stopKafka();
      }
      return;
    }
    for (TriggerId id : List.copyOf(triggerPrints.keySet())) {
      if (trs.containsKey(id)) {
        continue;
      }
      Path file = triggerFiles.get(id);
      if (troubled.contains(file)) {
        if (changed.contains(file)) {
          out.println(
              "[watch] trigger "
                  + id(id)
                  + ": "
                  + file.getFileName()
                  + " has invalid documents; it keeps running unchanged");
        }
        continue;
      }
      triggerPrints.remove(id);
      triggerFiles.remove(id);
      triggerCreated.remove(id);
      specs.deleted(id);
      out.println("[watch] trigger " + id(id) + " removed");
    }
    List<TriggerSpec<KafkaTriggerSpec>> apply = new ArrayList<>();
    Set<String> topics = new LinkedHashSet<>();
    for (var e : trs.entrySet()) {
      TriggerId id = e.getKey();
      KafkaTrigger t = e.getValue().item();
      JsonNode before = triggerPrints.get(id);
      triggerFiles.put(id, e.getValue().file());
      if (e.getValue().print().equals(before)) {
        continue;
      }
      out.println(
          "[watch] trigger " + id(id) + (before == null ? " added" : " changed") + ": applying");
      triggerPrints.put(id, e.getValue().print());
      Instant created = created(t, triggerCreated.getOrDefault(id, Instant.now()));
      triggerCreated.put(id, created);
      apply.add(new TriggerSpec<>(id, created, t.getSpec()));
      try {
        topics.add(source.subscription(t.getSpec()).topic());
      } catch (InvalidTriggerException | RuntimeException ex) {
        // the engine reports it as the trigger's state
      }
    }
    if (kafka != null && !topics.isEmpty()) {
      try {
        EmbeddedKafka.createTopics(bootstrap, topics);
      } catch (Exception ex) {
        out.println("[kafka] creating the topics " + topics + ": " + ex);
      }
    }
    apply.forEach(specs::applied);
  }

  private static String id(TriggerId id) {
    return id.namespace() + "/" + id.name();
  }

  private static String label(String key) {
    return key.startsWith("default/") ? key.substring("default/".length()) : key;
  }

  private static boolean free(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Stops the trigger engine, the Kafka clients and the embedded broker. */
  private void stopKafka() {
    quietly(bindings);
    quietly(source);
    quietly(engine);
    quietly(invoker);
    if (vertx != null) {
      try {
        vertx.close().toCompletionStage().toCompletableFuture().get();
      } catch (Exception e) {
        // going anyway
      }
    }
    quietly(kafka);
    bindings = null;
    source = null;
    engine = null;
    invoker = null;
    vertx = null;
    kafka = null;
    bootstrap = null;
  }

  @Override
  public void close() {
    closed = true;
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
    quietly(bindings);
    quietly(source);
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
    quietly(kafka);
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

  /**
   * The trigger specs of the YAML: those of the files at start-up, then what the watcher applies
   * and deletes.
   */
  private static final class YamlSpecs implements TriggerSpecSource<KafkaTriggerSpec> {
    private final List<TriggerSpec<KafkaTriggerSpec>> initial;
    private final Set<TriggerId> ids = ConcurrentHashMap.newKeySet();
    private volatile Listener<KafkaTriggerSpec> listener;

    YamlSpecs(List<TriggerSpec<KafkaTriggerSpec>> initial) {
      this.initial = List.copyOf(initial);
      initial.forEach(s -> ids.add(s.id()));
    }

    @Override
    public void open(Listener<KafkaTriggerSpec> listener) {
      this.listener = listener;
      initial.forEach(listener::applied);
    }

    void applied(TriggerSpec<KafkaTriggerSpec> spec) {
      ids.add(spec.id());
      listener.applied(spec);
    }

    void deleted(TriggerId id) {
      ids.remove(id);
      listener.deleted(id);
    }

    @Override
    public Optional<Set<TriggerId>> existing() {
      return Optional.of(Set.copyOf(ids));
    }
  }
}
