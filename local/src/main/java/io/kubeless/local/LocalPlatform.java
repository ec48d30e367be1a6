package io.kubeless.local;

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
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
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
  private final Map<String, FunctionProcess> functions = new LinkedHashMap<>();
  private final Map<String, Boolean> ready = new ConcurrentHashMap<>();
  private final List<String> invalid = new ArrayList<>();
  private EmbeddedKafka kafka;
  private String bootstrap;
  private Vertx vertx;
  private Invoker invoker;
  private TriggerEngine engine;
  private KafkaSource source;
  private Bindings<KafkaTriggerSpec, KafkaSubscription> bindings;
  private boolean closed;

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
      FunctionProcess p =
          new FunctionProcess(
              lf, options.home(), options.runtimes(), EmbeddedKafka.freePort(), out);
      try {
        p.start();
      } catch (IOException e) {
        p.stop(Duration.ofSeconds(1));
        report("function " + lf.label() + ": NotStarted: " + e.getMessage());
        continue;
      }
      functions.put(lf.key(), p);
      directory.put(endpoint(p, false));
      // no restart yet: a function that exits is unavailable, and its records wait in the topic
      p.process()
          .onExit()
          .thenRun(
              () -> {
                ready.put(lf.key(), false);
                directory.put(endpoint(p, false));
              });
      p.whenReady(
          fp -> {
            ready.put(lf.key(), true);
            directory.put(endpoint(fp, true));
            out.println("[" + lf.label() + "] ready at " + fp.url());
          });
    }

    if (bindings != null) {
      List<TriggerSpec<KafkaTriggerSpec>> specs = new ArrayList<>();
      int order = 0;
      for (KafkaTrigger t : triggers) {
        var meta = t.getMetadata();
        if (meta == null || meta.getName() == null) {
          report("kafka trigger <no name>: metadata.name is missing");
          continue;
        }
        String ns = meta.getNamespace() == null ? "default" : meta.getNamespace();
        Instant created = Instant.EPOCH.plusMillis(order++);
        if (meta.getCreationTimestamp() != null) {
          try {
            created = OffsetDateTime.parse(meta.getCreationTimestamp()).toInstant();
          } catch (RuntimeException e) {
            // file order
          }
        }
        specs.add(new TriggerSpec<>(new TriggerId(ns, meta.getName()), created, t.getSpec()));
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
      bindings.open(new YamlSpecs(specs));
    }

    printSummary(triggers);
    writeState();
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
    for (FunctionProcess p : functions.values()) {
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
    out.println("  state in " + options.home() + "; Ctrl-C stops everything");
  }

  private void writeState() throws IOException {
    Map<String, Object> state = new LinkedHashMap<>();
    state.put("pid", ProcessHandle.current().pid());
    Map<String, Object> fns = new LinkedHashMap<>();
    for (var e : functions.entrySet()) {
      Map<String, Object> f = new HashMap<>();
      f.put("url", e.getValue().url().toString());
      f.put("pid", e.getValue().process().pid());
      fns.put(e.getKey(), f);
    }
    state.put("functions", fns);
    state.put("kafka", bootstrap);
    state.put("kafkaEmbedded", kafka != null);
    Files.writeString(
        stateFile(),
        Serialization.jsonMapper().writerWithDefaultPrettyPrinter().writeValueAsString(state));
  }

  private Path stateFile() {
    return options.home().resolve("local.json");
  }

  /** Each running function's URL, by {@code namespace/name}. */
  public Map<String, URI> functionUrls() {
    Map<String, URI> urls = new LinkedHashMap<>();
    functions.forEach((k, p) -> urls.put(k, p.url()));
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
    for (FunctionProcess p : functions.values()) {
      all.add(p.process().toHandle());
      p.process().descendants().forEach(all::add);
    }
    return all;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
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
    for (FunctionProcess p : functions.values()) {
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

  /** The trigger specs of the YAML: all there at once, none deleted (no watching yet). */
  private record YamlSpecs(List<TriggerSpec<KafkaTriggerSpec>> specs)
      implements TriggerSpecSource<KafkaTriggerSpec> {

    @Override
    public void open(Listener<KafkaTriggerSpec> listener) {
      specs.forEach(listener::applied);
    }

    @Override
    public Optional<Set<TriggerId>> existing() {
      Set<TriggerId> ids = new LinkedHashSet<>();
      specs.forEach(s -> ids.add(s.id()));
      return Optional.of(ids);
    }
  }
}
