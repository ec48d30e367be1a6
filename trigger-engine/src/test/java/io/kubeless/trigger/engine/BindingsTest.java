package io.kubeless.trigger.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.function.FunctionEndpoint;
import io.kubeless.trigger.function.InMemoryFunctionDirectory;
import io.kubeless.trigger.invoke.Invoker;
import io.kubeless.trigger.metrics.TriggerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The engine's bindings with a source that only records what it is asked to start and stop: which
 * functions a trigger binds as specs and functions change, duplicates, restarts, sweeps.
 */
class BindingsTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static Vertx vertx;
  private static Invoker invoker;

  private final InMemoryFunctionDirectory directory = new InMemoryFunctionDirectory();
  private final RecordingSource source = new RecordingSource();
  private final Specs specs = new Specs();
  private final List<TriggerId> notified = new CopyOnWriteArrayList<>();
  private TriggerEngine engine;
  private Bindings<Spec, Spec> bindings;

  /** A spec and subscription: a stream name and a selector. */
  record Spec(String stream, LabelSelector selector) {}

  @BeforeAll
  static void client() {
    vertx = Vertx.vertx();
    invoker = new Invoker(vertx, Invoker.Options.defaults());
  }

  @AfterAll
  static void closeClient() {
    invoker.close();
    vertx.close();
  }

  @BeforeEach
  void start() {
    engine = new TriggerEngine(directory, invoker, new TriggerMetrics(new SimpleMeterRegistry()));
    bindings = new Bindings<>(engine, source, Duration.ofMillis(200));
    bindings.onStateChange(notified::add);
    bindings.open(specs);
  }

  @AfterEach
  void stop() throws Exception {
    bindings.close();
    engine.close();
  }

  @Test
  void bindsTheFunctionsItsSelectorMatchesAsTheyComeGoAndChangeLabels() {
    function("a", "app", "x");
    function("b", "app", "y");
    TriggerId t = new TriggerId("ns", "t");
    specs.apply(t, Instant.now(), new Spec("s1", selector("app", "x")));

    await().atMost(TIMEOUT).until(() -> source.running(t).equals(Set.of("a")));
    function("c", "app", "x");
    await().atMost(TIMEOUT).until(() -> source.running(t).equals(Set.of("a", "c")));
    function("a", "app", "y");
    await().atMost(TIMEOUT).until(() -> source.running(t).equals(Set.of("c")));
    directory.remove("ns", "c");
    await().atMost(TIMEOUT).until(() -> source.running(t).isEmpty());
    assertThat(bindings.state(t)).hasValueSatisfying(s -> assertThat(s.functions()).isEmpty());
    assertThat(bindings.state(t).orElseThrow().selection()).contains("app=x");
  }

  @Test
  void aFunctionChangeTouchesOnlyTheTriggersThatMatchItOrBoundIt() {
    function("a", "app", "x");
    function("b", "app", "y");
    TriggerId ta = new TriggerId("ns", "ta");
    TriggerId tb = new TriggerId("ns", "tb");
    TriggerId elsewhere = new TriggerId("other", "tc");
    specs.apply(ta, Instant.now(), new Spec("s", selector("app", "x")));
    specs.apply(tb, Instant.now(), new Spec("s2", selector("app", "y")));
    specs.apply(elsewhere, Instant.now(), new Spec("s", selector("app", "x")));
    await().atMost(TIMEOUT).until(() -> source.running(tb).equals(Set.of("b")));
    int startsBefore = source.starts.size();
    notified.clear();

    // a new function matching only ta's selector
    function("a2", "app", "x");

    await().atMost(TIMEOUT).until(() -> source.running(ta).equals(Set.of("a", "a2")));
    await().during(Duration.ofMillis(300)).atMost(TIMEOUT).until(() -> !notified.contains(tb));
    assertThat(notified).doesNotContain(elsewhere);
    assertThat(source.starts).hasSize(startsBefore + 1);
  }

  @Test
  void aSubscriptionChangeRestartsItsBindings() {
    function("a", "app", "x");
    TriggerId t = new TriggerId("ns", "t");
    specs.apply(t, Instant.now(), new Spec("s1", selector("app", "x")));
    await().atMost(TIMEOUT).until(() -> source.running(t).equals(Set.of("a")));

    specs.apply(t, Instant.now(), new Spec("s2", selector("app", "x")));

    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                source.starts.stream().filter(w -> w.subscription.stream().equals("s2")).count()
                    == 1);
    assertThat(source.starts.getFirst().isStopped()).isTrue();
    // the next one resumes where it stopped: its positions are kept
    assertThat(source.starts.getFirst().retired).isFalse();
    assertThat(source.running(t)).containsExactly("a");
  }

  @Test
  void aBindingWhoseWorkerEndedByItselfIsStartedAgain() {
    function("a", "app", "x");
    TriggerId t = new TriggerId("ns", "t");
    specs.apply(t, Instant.now(), new Spec("s", selector("app", "x")));
    await().atMost(TIMEOUT).until(() -> source.starts.size() == 1);

    source.starts.getFirst().die();

    await().atMost(TIMEOUT).until(() -> source.starts.size() == 2);
    assertThat(source.running(t)).containsExactly("a");
  }

  @Test
  void ofTwoTriggersDeliveringTheSameStreamToAFunctionOnlyTheOlderDoes() {
    function("a", "app", "x");
    TriggerId older = new TriggerId("ns", "older");
    TriggerId newer = new TriggerId("ns", "newer");
    Instant now = Instant.now();
    specs.apply(newer, now, new Spec("s", selector("app", "x")));
    specs.apply(older, now.minusSeconds(5), new Spec("s", selector("app", "x")));

    await().atMost(TIMEOUT).until(() -> source.running(older).equals(Set.of("a")));
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                source.running(newer).isEmpty()
                    && bindings.state(newer).orElseThrow().functions().stream()
                        .anyMatch(s -> s.phase() == BindingState.Phase.DUPLICATE));
    BindingState duplicate = bindings.state(newer).orElseThrow().functions().getFirst();
    assertThat(duplicate.reason()).isEqualTo("DuplicateBinding");
    assertThat(duplicate.message()).contains("older");

    // another stream is no duplicate
    specs.apply(newer, now, new Spec("other", selector("app", "x")));
    await().atMost(TIMEOUT).until(() -> source.running(newer).equals(Set.of("a")));
    // back on the same stream, then the older trigger goes: the newer one takes over
    specs.apply(newer, now, new Spec("s", selector("app", "x")));
    await().atMost(TIMEOUT).until(() -> source.running(newer).isEmpty());
    specs.delete(older);
    await().atMost(TIMEOUT).until(() -> source.running(newer).equals(Set.of("a")));
  }

  @Test
  void anInvalidSpecIsReportedAndStopsTheTriggersBindings() {
    function("a", "app", "x");
    TriggerId t = new TriggerId("ns", "t");
    specs.apply(t, Instant.now(), new Spec("s", selector("app", "x")));
    await().atMost(TIMEOUT).until(() -> source.running(t).equals(Set.of("a")));

    specs.apply(t, Instant.now(), new Spec("", selector("app", "x")));

    await().atMost(TIMEOUT).until(() -> source.running(t).isEmpty());
    assertThat(bindings.state(t).orElseThrow().problem()).isEqualTo("spec.stream is empty");
    // fixed, it resumes where it stopped
    assertThat(source.starts).noneMatch(w -> w.retired);
  }

  @Test
  void bindingsOfATriggerTheSpecSourceNoLongerHasAreSwept() {
    function("a", "app", "x");
    TriggerId t = new TriggerId("ns", "t");
    specs.apply(t, Instant.now(), new Spec("s", selector("app", "x")));
    await().atMost(TIMEOUT).until(() -> source.running(t).equals(Set.of("a")));

    // its deletion was missed
    specs.existing.remove(t);

    await().atMost(TIMEOUT).until(() -> source.running(t).isEmpty());
    assertThat(bindings.state(t)).isEmpty();
    assertThat(source.starts).allMatch(w -> w.retired);
  }

  @Test
  void closingStopsEveryWorkerAndWaitsForThem() throws Exception {
    function("a", "app", "x");
    function("b", "app", "x");
    TriggerId t = new TriggerId("ns", "t");
    specs.apply(t, Instant.now(), new Spec("s", selector("app", "x")));
    await().atMost(TIMEOUT).until(() -> source.running(t).size() == 2);

    bindings.close();

    assertThat(source.starts).allMatch(Worker::isStopped);
    // a shutdown keeps every position
    assertThat(source.starts).noneMatch(w -> w.retired);
    assertThat(bindings.running()).isZero();
  }

  @Test
  void aBindingThatNoLongerExistsIsRetiredAndOneMerelyStoppedIsNot() {
    function("a", "app", "x");
    function("b", "app", "x");
    function("c", "app", "x");
    TriggerId t = new TriggerId("ns", "t");
    TriggerId older = new TriggerId("ns", "older");
    Instant now = Instant.now();
    specs.apply(t, now, new Spec("s", selector("app", "x")));
    await().atMost(TIMEOUT).until(() -> source.running(t).equals(Set.of("a", "b", "c")));

    // a function no longer selected, one deleted
    function("a", "app", "y");
    directory.remove("ns", "b");
    await().atMost(TIMEOUT).until(() -> source.running(t).equals(Set.of("c")));
    assertThat(worker(t, "a").retired).isTrue();
    assertThat(worker(t, "b").retired).isTrue();

    // an older trigger on the same stream takes c over: c's binding of t still exists
    specs.apply(older, now.minusSeconds(5), new Spec("s", selector("app", "x")));
    await().atMost(TIMEOUT).until(() -> source.running(t).isEmpty());
    assertThat(worker(t, "c").retired).isFalse();

    // the older trigger deleted, t takes c back; then t deleted
    specs.delete(older);
    await().atMost(TIMEOUT).until(() -> source.running(t).equals(Set.of("c")));
    assertThat(worker(older, "c").retired).isTrue();
    specs.delete(t);
    await().atMost(TIMEOUT).until(() -> source.running(t).isEmpty());
    assertThat(worker(t, "c").retired).isTrue();
  }

  // --- helpers -------------------------------------------------------------------------------

  /** The latest worker started for a binding. */
  private Worker worker(TriggerId trigger, String function) {
    return source.starts.reversed().stream()
        .filter(w -> w.binding.trigger().equals(trigger) && w.binding.function().equals(function))
        .findFirst()
        .orElseThrow();
  }

  private void function(String name, String key, String value) {
    directory.put(
        new FunctionEndpoint(
            "ns",
            name,
            URI.create("http://" + name),
            Duration.ofSeconds(1),
            true,
            Map.of(key, value)));
  }

  private static LabelSelector selector(String key, String value) {
    return new LabelSelectorBuilder().withMatchLabels(Map.of(key, value)).build();
  }

  /** Specs fed by hand. */
  private static final class Specs implements TriggerSpecSource<Spec> {
    final Set<TriggerId> existing = ConcurrentHashMap.newKeySet();
    private Listener<Spec> listener;

    @Override
    public void open(Listener<Spec> listener) {
      this.listener = listener;
    }

    @Override
    public Optional<Set<TriggerId>> existing() {
      return Optional.of(Set.copyOf(existing));
    }

    void apply(TriggerId id, Instant created, Spec spec) {
      existing.add(id);
      listener.applied(new TriggerSpec<>(id, created, spec));
    }

    void delete(TriggerId id) {
      existing.remove(id);
      listener.deleted(id);
    }
  }

  /** A source whose workers deliver nothing: they only record that they run. */
  private static final class RecordingSource implements TriggerSource<Spec, Spec> {
    final List<Worker> starts = new CopyOnWriteArrayList<>();

    @Override
    public String kind() {
      return "TestTrigger";
    }

    @Override
    public Spec subscription(Spec spec) throws InvalidTriggerException {
      if (spec.stream().isEmpty()) {
        throw new InvalidTriggerException("spec.stream is empty");
      }
      return spec;
    }

    @Override
    public FunctionSelection functions(Spec subscription) {
      return FunctionSelection.matching(subscription.selector());
    }

    @Override
    public String describe(Spec subscription) {
      return "stream " + subscription.stream();
    }

    @Override
    public Object deliveryKey(Spec subscription) {
      return subscription.stream();
    }

    @Override
    public BindingWorker start(Binding<Spec> binding) {
      Worker worker = new Worker(binding);
      starts.add(worker);
      return worker;
    }

    @Override
    public Duration stopTimeout() {
      return Duration.ofSeconds(5);
    }

    Set<String> running(TriggerId trigger) {
      Set<String> running = new java.util.TreeSet<>();
      starts.stream()
          .filter(w -> w.binding.trigger().equals(trigger) && !w.isStopped())
          .forEach(w -> running.add(w.binding.function()));
      return running;
    }
  }

  private static final class Worker implements BindingWorker {
    final TriggerSource.Binding<Spec> binding;
    final Spec subscription;
    private final CountDownLatch stopped = new CountDownLatch(1);

    /** Whether it was stopped for good (its binding gone) rather than stopped. */
    volatile boolean retired;

    Worker(TriggerSource.Binding<Spec> binding) {
      this.binding = binding;
      this.subscription = binding.subscription();
    }

    /** Its thread ends although nobody asked it to. */
    void die() {
      stopped.countDown();
      binding.onExit().accept(this);
    }

    @Override
    public BindingState state() {
      return new BindingState(binding.function(), BindingState.Phase.ACTIVE, "Delivering", "");
    }

    @Override
    public void stop() {
      if (stopped.getCount() > 0) {
        stopped.countDown();
        binding.onExit().accept(this);
      }
    }

    @Override
    public void retire() {
      retired = true;
      stop();
    }

    @Override
    public boolean awaitStopped(Duration timeout) throws InterruptedException {
      return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public boolean isStopped() {
      return stopped.getCount() == 0;
    }
  }
}
