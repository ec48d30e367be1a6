package io.kubeless.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.engine.Bindings;
import io.kubeless.trigger.engine.InvalidTriggerException;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerSource;
import io.kubeless.trigger.engine.TriggerSpec;
import io.kubeless.trigger.engine.TriggerSpecSource;
import io.kubeless.trigger.engine.TriggerState;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * One trigger kind as local mode runs it: its resources of the YAML fed to a {@link Bindings} over
 * the kind's {@link TriggerSource}, in the trigger engine local mode shares between its kinds.
 *
 * <p>A kind says only what differs: where its resources are in the {@link Manifests}, how its
 * server is started (or the given one used) and its source made, what happens before specs are
 * applied, and its lines in the summary and {@code local.json}. This class does the rest, the same
 * for every kind: which file defines which trigger (the first definition counts), a changed trigger
 * re-applied, a removed one deleted, state changes printed, {@code /api/triggers}, and a kind that
 * cannot run here reported as such while everything else runs.
 *
 * @param <R> the resource ({@code KafkaTrigger})
 * @param <S> its spec, what the engine reads
 * @param <U> the source's subscription
 */
abstract class LocalTriggers<R extends HasMetadata, S, U> {

  /** The kind cannot run here (its server is missing, say): the rest of local mode still runs. */
  static final class Unavailable extends Exception {
    Unavailable(String message) {
      super(message);
    }
  }

  /** A resource as the YAML wants it: what it is, its identity print, its file. */
  record Wanted<T>(T item, JsonNode print, Path file) {}

  protected final PrintStream out;
  protected final Path home;
  // read by the admin API while the watcher changes it
  private final Map<TriggerId, JsonNode> prints = new ConcurrentHashMap<>();
  private final Map<TriggerId, Path> files = new HashMap<>();
  private final Map<TriggerId, Instant> created = new HashMap<>();
  private volatile TriggerSource<S, U> source;
  private volatile Bindings<S, U> bindings;
  private YamlSpecs<S> specs;
  private volatile String unavailable;

  LocalTriggers(PrintStream out, Path home) {
    this.out = out;
    this.home = home;
  }

  /** {@code KafkaTrigger}. */
  abstract String kind();

  /** The prefix of its lines, {@code kafka}; also its name in messages. */
  abstract String prefix();

  /** The kind's resources of {@code m}, in file order. */
  abstract List<R> triggers(Manifests m);

  abstract S spec(R trigger);

  /**
   * Starts the kind's server, or takes the given one, and makes its source in {@code engine}.
   *
   * @throws Unavailable when the kind cannot run here; said in one line, the rest runs
   */
  protected abstract TriggerSource<S, U> start(TriggerEngine engine, List<R> triggers)
      throws Exception;

  /** Before {@code subscriptions} (the valid ones) are applied: the embedded broker's topics. */
  protected void applying(List<U> subscriptions) {}

  /** The server's summary line ({@code kafka (embedded) at ...}), or null when none runs. */
  protected abstract String serverLine();

  /** The kind's entries of {@code local.json}. */
  protected abstract void state(Map<String, Object> state);

  /** Stops the server this kind started, if any; the bindings and the source are closed. */
  protected abstract void stopServer();

  /**
   * The Secrets of every file, read before the files' triggers (a trigger may name a Secret of a
   * later file): a kind whose triggers use Secrets keeps what it needs. Called on every read.
   */
  void secrets(Manifests all) {}

  /** How a trigger of this kind shows in the summary: {@code topic orders}. */
  protected String describe(R trigger) {
    return "topic " + print(trigger).at("/spec/topic").asText("");
  }

  /** Whether the kind runs (its bindings are open). */
  boolean running() {
    return bindings != null;
  }

  /** Why the kind does not run, when it could not start. */
  Optional<String> unavailable() {
    return Optional.ofNullable(unavailable);
  }

  /**
   * Starts the kind for the YAML's first {@code triggers}: its server and source. An {@link
   * Unavailable} kind is reported; other failures are thrown.
   */
  final void start(Supplier<TriggerEngine> engine, List<R> triggers) throws Exception {
    if (triggers.isEmpty()) {
      return;
    }
    try {
      source = start(engine.get(), triggers);
      applying(subscriptions(triggers));
      bindings = new Bindings<>(engine.get(), source, Duration.ofSeconds(10));
      unavailable = null;
    } catch (Unavailable e) {
      unavailable = e.getMessage();
      out.println("[" + prefix() + "] " + e.getMessage());
      stop();
    }
  }

  /** Feeds the triggers to the engine, and from then on prints their states as they change. */
  final void open(List<R> triggers, List<String> invalid) {
    List<TriggerSpec<S>> initial = new ArrayList<>();
    int order = 0;
    for (R t : triggers) {
      var meta = t.getMetadata();
      if (meta == null || meta.getName() == null) {
        String line = prefix() + " trigger <no name>: metadata.name is missing";
        invalid.add(line);
        out.println("invalid: " + line);
        continue;
      }
      TriggerId id = id(t);
      Instant at = created(t, Instant.EPOCH.plusMillis(order++));
      if (prints.containsKey(id)) {
        continue; // the first one counts, as for Functions
      }
      prints.put(id, print(t));
      created.put(id, at);
      initial.add(new TriggerSpec<>(id, at, spec(t)));
    }
    Bindings<S, U> b = bindings;
    if (b == null) {
      return; // listed, with the reason it does not run
    }
    b.onStateChange(
        id ->
            b.state(id)
                .ifPresent(
                    s ->
                        out.println(
                            "["
                                + prefix()
                                + "] trigger "
                                + id.namespace()
                                + "/"
                                + id.name()
                                + ": "
                                + describe(s))));
    specs = new YamlSpecs<>(initial);
    b.open(specs);
  }

  /** The kind's resources of one file, by identity (the first definition counts). */
  final void collect(
      Manifests m,
      Path file,
      Map<TriggerId, Wanted<R>> into,
      Runnable troubled,
      boolean fresh,
      List<String> invalid) {
    for (R t : triggers(m)) {
      if (t.getMetadata() == null || t.getMetadata().getName() == null) {
        troubled.run();
        if (fresh) {
          String line = prefix() + " trigger <no name>: metadata.name is missing";
          invalid.add(line);
          out.println("invalid: " + line);
        }
        continue;
      }
      into.putIfAbsent(id(t), new Wanted<>(t, print(t), file));
    }
  }

  /** After the first pass: which file defines which trigger. */
  final void learn(Map<TriggerId, Wanted<R>> wanted) {
    wanted.forEach((id, w) -> files.put(id, w.file()));
  }

  /**
   * Applies what the files want now: a trigger removed is deleted (unless its file has invalid
   * documents), a changed or new one applied; the kind starts with its first trigger.
   */
  final void apply(
      Supplier<TriggerEngine> engine,
      Map<TriggerId, Wanted<R>> wanted,
      Set<Path> troubled,
      Set<Path> changed,
      List<String> invalid) {
    if (bindings == null) {
      boolean same =
          wanted.keySet().equals(prints.keySet())
              && wanted.entrySet().stream()
                  .allMatch(e -> e.getValue().print().equals(prints.get(e.getKey())));
      if (wanted.isEmpty() || same) {
        if (wanted.isEmpty()) {
          prints.clear();
          files.clear();
          created.clear();
        }
        return;
      }
      List<R> all = wanted.values().stream().map(Wanted::item).toList();
      prints.clear();
      created.clear();
      try {
        start(engine, all);
      } catch (Exception e) {
        out.println(
            "[watch] starting "
                + prefix()
                + " for the first "
                + kind()
                + " failed ("
                + e
                + "); restart local up to run the triggers");
        stop();
        return;
      }
      open(all, invalid);
      wanted.forEach((id, w) -> files.put(id, w.file()));
      if (bindings != null) {
        wanted.keySet().forEach(id -> out.println("[watch] trigger " + id(id) + " added: applied"));
        String server = serverLine();
        if (server != null) {
          out.println("[watch] " + server);
        }
      }
      return;
    }
    for (TriggerId id : List.copyOf(prints.keySet())) {
      if (wanted.containsKey(id)) {
        continue;
      }
      Path file = files.get(id);
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
      prints.remove(id);
      files.remove(id);
      created.remove(id);
      specs.deleted(id);
      out.println("[watch] trigger " + id(id) + " removed");
    }
    List<TriggerSpec<S>> apply = new ArrayList<>();
    List<R> resources = new ArrayList<>();
    for (var e : wanted.entrySet()) {
      TriggerId id = e.getKey();
      R t = e.getValue().item();
      JsonNode before = prints.get(id);
      files.put(id, e.getValue().file());
      if (e.getValue().print().equals(before)) {
        continue;
      }
      out.println(
          "[watch] trigger " + id(id) + (before == null ? " added" : " changed") + ": applying");
      prints.put(id, e.getValue().print());
      Instant at = created(t, created.getOrDefault(id, Instant.now()));
      created.put(id, at);
      apply.add(new TriggerSpec<>(id, at, spec(t)));
      resources.add(t);
    }
    applying(subscriptions(resources));
    apply.forEach(specs::applied);
  }

  /** The valid triggers' subscriptions; the engine reports the others as their state. */
  private List<U> subscriptions(List<R> triggers) {
    List<U> all = new ArrayList<>();
    for (R t : triggers) {
      try {
        all.add(source.subscription(spec(t)));
      } catch (InvalidTriggerException | RuntimeException e) {
        // the engine reports it as the trigger's state
      }
    }
    return all;
  }

  /** Each trigger with its topic and each bound function's phase and reason. */
  final List<Map<String, Object>> states() {
    var b = bindings;
    List<TriggerId> ids = new ArrayList<>(prints.keySet());
    ids.sort(Comparator.comparing(TriggerId::namespace).thenComparing(TriggerId::name));
    List<Map<String, Object>> all = new ArrayList<>();
    for (TriggerId id : ids) {
      JsonNode print = prints.get(id);
      Map<String, Object> t = new LinkedHashMap<>();
      t.put("kind", kind());
      t.put("namespace", id.namespace());
      t.put("name", id.name());
      t.put("topic", print == null ? null : print.at("/spec/topic").asText(null));
      var state = b == null ? Optional.<TriggerState>empty() : b.state(id);
      String notRunning = b == null && unavailable != null ? "not running: " + unavailable : null;
      t.put("problem", state.map(TriggerState::problem).orElse(notRunning));
      t.put("source", state.map(TriggerState::source).orElse(null));
      t.put("selection", state.map(TriggerState::selection).orElse(null));
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

  /** The engine's state of one trigger, when the kind runs. */
  Optional<TriggerState> state(TriggerId id) {
    var b = bindings;
    return b == null ? Optional.empty() : b.state(id);
  }

  /** The summary: the server, then each trigger. */
  final void summary(List<R> triggers) {
    String server = serverLine();
    if (server != null) {
      out.println("  " + server);
    }
    for (R t : triggers) {
      out.println(
          "  %s trigger %s: %s%s"
              .formatted(
                  prefix(),
                  t.getMetadata() == null ? "" : t.getMetadata().getName(),
                  describe(t),
                  unavailable == null ? "" : " (not running: " + prefix() + " is unavailable)"));
    }
  }

  /** Closes the bindings and the source; the server keeps running until {@link #stopServer()}. */
  final void closeBindings() {
    quietly(bindings);
    if (source instanceof AutoCloseable c) {
      quietly(c);
    }
    bindings = null;
    source = null;
  }

  /** Stops everything of this kind. */
  final void stop() {
    closeBindings();
    stopServer();
  }

  final void quietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      out.println("[" + prefix() + "] stopping " + c.getClass().getSimpleName() + ": " + e);
    }
  }

  static TriggerId id(HasMetadata t) {
    var meta = t.getMetadata();
    String ns =
        meta.getNamespace() == null || meta.getNamespace().isBlank()
            ? "default"
            : meta.getNamespace();
    return new TriggerId(ns, meta.getName());
  }

  static String id(TriggerId id) {
    return id.namespace() + "/" + id.name();
  }

  private static Instant created(HasMetadata t, Instant otherwise) {
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

  /**
   * What identifies the trigger's wish: its spec and creation time (a kind adds what else its
   * bindings read, e.g. a Secret's content); a changed print applies the trigger again.
   */
  JsonNode print(R t) {
    return basePrint(t);
  }

  static ObjectNode basePrint(HasMetadata t) {
    ObjectMapper json = Serialization.jsonMapper();
    ObjectNode n = json.createObjectNode();
    JsonNode spec = json.valueToTree(t).get("spec");
    n.set("spec", spec == null ? json.nullNode() : spec);
    n.put("creationTimestamp", t.getMetadata().getCreationTimestamp());
    return n;
  }

  private static String describe(TriggerState s) {
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

  /**
   * The trigger specs of the YAML: those of the files at start-up, then what the watcher applies
   * and deletes.
   */
  private static final class YamlSpecs<S> implements TriggerSpecSource<S> {
    private final List<TriggerSpec<S>> initial;
    private final Set<TriggerId> ids = ConcurrentHashMap.newKeySet();
    private volatile Listener<S> listener;

    YamlSpecs(List<TriggerSpec<S>> initial) {
      this.initial = List.copyOf(initial);
      initial.forEach(s -> ids.add(s.id()));
    }

    @Override
    public void open(Listener<S> listener) {
      this.listener = listener;
      initial.forEach(listener::applied);
    }

    void applied(TriggerSpec<S> spec) {
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
