package io.kubeless.trigger.engine;

import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.function.FunctionEndpoint;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * The engine of one trigger kind: keeps one {@link BindingWorker} per (trigger, function the
 * trigger selects), following trigger specs from a {@link TriggerSpecSource} and functions from the
 * engine's directory. A function change refreshes only the triggers that bound it or now select it;
 * a worker whose thread died is started again; of two triggers that would deliver the same events
 * to one function, only the older one does, and the other reports {@code DuplicateBinding}.
 *
 * <p>Changes are applied in order on the engine's scheduler, so callers never wait for a worker to
 * start or stop; {@link #onStateChange} tells when a trigger's state is worth reading again.
 */
public final class Bindings<S, W> implements TriggerSpecSource.Listener<S>, AutoCloseable {

  private static final Logger LOG = Logger.getLogger(Bindings.class);
  private static final Duration RESTART_DELAY = Duration.ofSeconds(1);

  private final TriggerEngine engine;
  private final TriggerSource<S, W> source;
  private final Duration sweepInterval;
  private final Map<TriggerId, Entry<W>> triggers = new ConcurrentHashMap<>();
  private final Map<TriggerId, Map<String, Running<W>>> workers = new ConcurrentHashMap<>();

  /**
   * The triggers as {@link #state} reports them: an entry appears here only once its workers are in
   * place, so that a trigger just taken in is not reported as bound to no function.
   */
  private final Map<TriggerId, Entry<W>> published = new ConcurrentHashMap<>();

  private final Map<TriggerId, Map<String, BindingState>> duplicates = new ConcurrentHashMap<>();
  private final List<BindingWorker> stopping = new CopyOnWriteArrayList<>();
  private final List<Consumer<TriggerId>> listeners = new CopyOnWriteArrayList<>();
  private volatile TriggerSpecSource<S> specs;
  private volatile AutoCloseable directorySubscription;
  private volatile ScheduledFuture<?> sweep;
  private volatile boolean closed;

  /** A trigger as the engine holds it: refused with a problem, or subscribed. */
  private record Entry<W>(Instant created, W subscription, String problem) {}

  /** A started worker and the subscription it was started with. */
  private record Running<W>(W subscription, BindingWorker worker) {}

  /**
   * @param sweepInterval how often bindings of triggers the spec source no longer has are stopped
   */
  public Bindings(TriggerEngine engine, TriggerSource<S, W> source, Duration sweepInterval) {
    this.engine = engine;
    this.source = source;
    this.sweepInterval = sweepInterval;
  }

  /** Starts following {@code specs} and the function directory. */
  public void open(TriggerSpecSource<S> specs) {
    this.specs = specs;
    this.directorySubscription =
        engine
            .directory()
            .subscribe((namespace, name) -> submit(() -> functionChanged(namespace, name)));
    specs.open(this);
    this.sweep =
        engine
            .scheduler()
            .scheduleWithFixedDelay(
                () -> guard(this::sweep),
                sweepInterval.toMillis(),
                sweepInterval.toMillis(),
                TimeUnit.MILLISECONDS);
  }

  @Override
  public void applied(TriggerSpec<S> trigger) {
    Entry<W> entry;
    try {
      entry = new Entry<>(trigger.created(), source.subscription(trigger.spec()), null);
    } catch (InvalidTriggerException e) {
      entry = new Entry<>(trigger.created(), null, e.getMessage());
    }
    Entry<W> next = entry;
    submit(() -> apply(trigger.id(), next));
  }

  @Override
  public void deleted(TriggerId trigger) {
    submit(() -> remove(trigger));
  }

  /** Calls {@code listener} when the state of a trigger's bindings may have changed. */
  public void onStateChange(Consumer<TriggerId> listener) {
    listeners.add(listener);
  }

  /**
   * What the engine does for a trigger; empty while it has not taken the trigger in yet (or after
   * it was deleted).
   */
  public Optional<TriggerState> state(TriggerId trigger) {
    Entry<W> entry = published.get(trigger);
    if (entry == null) {
      return Optional.empty();
    }
    if (entry.problem() != null) {
      return Optional.of(TriggerState.invalid(entry.problem()));
    }
    List<BindingState> states = new ArrayList<>();
    workers.getOrDefault(trigger, Map.of()).values().forEach(r -> states.add(r.worker().state()));
    states.addAll(duplicates.getOrDefault(trigger, Map.of()).values());
    states.sort(Comparator.comparing(BindingState::function));
    return Optional.of(
        new TriggerState(
            null,
            List.copyOf(states),
            source.describe(entry.subscription()),
            source.functions(entry.subscription()).describe()));
  }

  /** The triggers the engine holds. */
  public Set<TriggerId> triggers() {
    return Set.copyOf(triggers.keySet());
  }

  /** The workers of a trigger, by function name, for the source's tests. */
  public Map<String, BindingWorker> workers(TriggerId trigger) {
    Map<String, BindingWorker> result = new TreeMap<>();
    workers.getOrDefault(trigger, Map.of()).forEach((fn, r) -> result.put(fn, r.worker()));
    return result;
  }

  /** Workers running or still stopping: none may outlive its binding. */
  public int running() {
    stopping.removeIf(BindingWorker::isStopped);
    int count = stopping.size();
    for (Map<String, Running<W>> map : workers.values()) {
      count += (int) map.values().stream().filter(r -> !r.worker().isStopped()).count();
    }
    return count;
  }

  // --- on the scheduler -------------------------------------------------------------------

  private void apply(TriggerId id, Entry<W> next) {
    Entry<W> previous = triggers.put(id, next);
    boolean changed = !next.equals(previous);
    if (changed) {
      if (next.problem() != null) {
        LOG.infof("%s %s: %s", source.kind(), id, next.problem());
      } else {
        LOG.infof(
            "%s %s: %s to %s",
            source.kind(),
            id,
            source.describe(next.subscription()),
            source.functions(next.subscription()).describe());
      }
    }
    refresh(id, changed);
    if (changed) {
      refreshPeers(id, previous, next);
    }
  }

  private void remove(TriggerId id) {
    Entry<W> previous = triggers.remove(id);
    if (previous != null) {
      LOG.infof("%s %s: deleted", source.kind(), id);
    }
    refresh(id, previous != null);
    if (previous != null) {
      refreshPeers(id, previous, null);
    }
  }

  /** The other triggers of the namespace that share a delivery key with either version. */
  private void refreshPeers(TriggerId id, Entry<W> before, Entry<W> after) {
    List<Object> keys = new ArrayList<>();
    for (Entry<W> entry : java.util.Arrays.asList(before, after)) {
      if (entry != null && entry.subscription() != null) {
        keys.add(source.deliveryKey(entry.subscription()));
      }
    }
    for (var other : triggers.entrySet()) {
      W subscription = other.getValue().subscription();
      if (!other.getKey().equals(id)
          && other.getKey().namespace().equals(id.namespace())
          && subscription != null
          && keys.contains(source.deliveryKey(subscription))) {
        refresh(other.getKey(), false);
      }
    }
  }

  private void functionChanged(String namespace, String name) {
    Optional<FunctionEndpoint> function = engine.directory().find(namespace, name);
    for (var trigger : triggers.entrySet()) {
      TriggerId id = trigger.getKey();
      W subscription = trigger.getValue().subscription();
      if (!id.namespace().equals(namespace) || subscription == null) {
        continue;
      }
      boolean bound =
          workers.getOrDefault(id, Map.of()).containsKey(name)
              || duplicates.getOrDefault(id, Map.of()).containsKey(name);
      if (bound || function.filter(source.functions(subscription)::matches).isPresent()) {
        refresh(id, false);
      }
    }
  }

  /**
   * Makes the workers of a trigger match its subscription and the directory, and tells the
   * listeners when anything changed or {@code notify} says so.
   */
  private void refresh(TriggerId id, boolean notify) {
    if (closed) {
      return;
    }
    stopping.removeIf(BindingWorker::isStopped);
    Entry<W> entry = triggers.get(id);
    Map<String, Running<W>> current = workers.getOrDefault(id, Map.of());
    Map<String, Running<W>> next = new HashMap<>();
    Map<String, BindingState> duplicated = new TreeMap<>();
    boolean changed = notify;
    // the functions the trigger still binds: a binding of any other one no longer exists
    Set<String> bound = new HashSet<>();
    if (entry != null && entry.subscription() != null) {
      W subscription = entry.subscription();
      for (FunctionEndpoint function : selected(id, subscription)) {
        bound.add(function.name());
        TriggerId owner = owner(id, entry, function);
        if (!owner.equals(id)) {
          duplicated.put(function.name(), duplicate(function.name(), subscription, owner));
          continue;
        }
        Running<W> running = current.get(function.name());
        if (running == null
            || !running.subscription().equals(subscription)
            || running.worker().isStopped()) {
          // new, changed, or its thread ended although the binding is still wanted
          running = start(id, function.name(), subscription);
          if (running == null) {
            continue;
          }
          changed = true;
        }
        next.put(function.name(), running);
      }
    }
    for (var running : current.entrySet()) {
      if (next.get(running.getKey()) != running.getValue()) {
        changed = true;
        BindingWorker worker = running.getValue().worker();
        if (!worker.isStopped()) {
          // an invalid spec keeps its bindings' positions for when it is fixed
          boolean gone =
              entry == null || (entry.subscription() != null && !bound.contains(running.getKey()));
          LOG.infof(
              "%s %s: stopping the binding of %s%s",
              source.kind(),
              id,
              running.getKey(),
              gone ? "; it no longer exists, its positions are dropped" : "");
          if (gone) {
            worker.retire();
          } else {
            worker.stop();
          }
          stopping.add(worker);
        }
      }
    }
    put(workers, id, next);
    if (!duplicated.equals(duplicates.getOrDefault(id, Map.of()))) {
      changed = true;
      duplicated.keySet().stream()
          .filter(fn -> !duplicates.getOrDefault(id, Map.of()).containsKey(fn))
          .forEach(fn -> LOG.warnf("%s %s: %s", source.kind(), id, duplicated.get(fn).message()));
    }
    put(duplicates, id, duplicated);
    if (entry == null) {
      published.remove(id);
    } else {
      published.put(id, entry);
    }
    if (changed) {
      // only then: every reconcile applies, and an unchanged one must not cause another
      changed(id);
    }
  }

  private List<FunctionEndpoint> selected(TriggerId id, W subscription) {
    try {
      return source.functions(subscription).select(engine.directory(), id.namespace());
    } catch (IllegalArgumentException e) {
      return List.of();
    }
  }

  /** Of the triggers that would deliver the same events to {@code function}, the oldest. */
  private TriggerId owner(TriggerId id, Entry<W> entry, FunctionEndpoint function) {
    Object key = source.deliveryKey(entry.subscription());
    TriggerId owner = id;
    Instant created = entry.created();
    for (var other : triggers.entrySet()) {
      TriggerId candidate = other.getKey();
      W subscription = other.getValue().subscription();
      if (candidate.equals(id)
          || !candidate.namespace().equals(id.namespace())
          || subscription == null
          || !key.equals(source.deliveryKey(subscription))
          || !source.functions(subscription).matches(function)) {
        continue;
      }
      Instant otherCreated = other.getValue().created();
      if (otherCreated.isBefore(created)
          || (otherCreated.equals(created) && candidate.name().compareTo(owner.name()) < 0)) {
        owner = candidate;
        created = otherCreated;
      }
    }
    return owner;
  }

  private BindingState duplicate(String function, W subscription, TriggerId owner) {
    return new BindingState(
        function,
        BindingState.Phase.DUPLICATE,
        BindingState.DUPLICATE_BINDING,
        "%s already receives %s through the older %s %s; it is delivered once, by that one"
            .formatted(function, source.describe(subscription), source.kind(), owner.name()));
  }

  private Running<W> start(TriggerId id, String function, W subscription) {
    try {
      BindingWorker worker =
          source.start(
              new TriggerSource.Binding<>(
                  id, function, subscription, () -> changed(id), w -> exited(id, function, w)));
      LOG.infof("%s %s: delivering to %s", source.kind(), id, function);
      return new Running<>(subscription, worker);
    } catch (RuntimeException e) {
      LOG.errorf(
          e, "%s %s: starting the binding of %s failed; trying again", source.kind(), id, function);
      schedule(() -> refresh(id, true), RESTART_DELAY);
      return null;
    }
  }

  /**
   * A worker stopped: forget it if it was asked to; if it is still wanted (its thread died), a new
   * one starts after a short delay.
   */
  private void exited(TriggerId id, String function, BindingWorker worker) {
    submit(
        () -> {
          stopping.remove(worker);
          Running<W> running = workers.getOrDefault(id, Map.of()).get(function);
          if (running != null && running.worker() == worker) {
            LOG.warnf(
                "%s %s: the binding of %s ended; starting it again in %s",
                source.kind(), id, function, RESTART_DELAY);
            schedule(() -> refresh(id, true), RESTART_DELAY);
          }
        });
  }

  private void sweep() {
    TriggerSpecSource<S> from = specs;
    Optional<Set<TriggerId>> existing = from == null ? Optional.empty() : from.existing();
    existing.ifPresent(
        ids ->
            List.copyOf(triggers.keySet()).stream()
                .filter(id -> !ids.contains(id))
                .forEach(this::remove));
  }

  private void changed(TriggerId id) {
    for (Consumer<TriggerId> listener : listeners) {
      try {
        listener.accept(id);
      } catch (RuntimeException e) {
        LOG.errorf(e, "A state listener failed for %s %s", source.kind(), id);
      }
    }
  }

  private static <V> void put(Map<TriggerId, Map<String, V>> map, TriggerId id, Map<String, V> v) {
    if (v.isEmpty()) {
      map.remove(id);
    } else {
      map.put(id, v);
    }
  }

  private void submit(Runnable change) {
    try {
      engine.scheduler().execute(() -> guard(change));
    } catch (RejectedExecutionException e) {
      LOG.debug("The engine is stopped; change ignored");
    }
  }

  private void schedule(Runnable change, Duration delay) {
    try {
      engine.scheduler().schedule(() -> guard(change), delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      LOG.debug("The engine is stopped; change ignored");
    }
  }

  private void guard(Runnable change) {
    if (closed) {
      return;
    }
    try {
      change.run();
    } catch (RuntimeException e) {
      LOG.errorf(e, "%s: applying a change failed", source.kind());
    }
  }

  /**
   * Stops every worker: requests in flight complete and what was taken but not sent is handed back,
   * so a graceful shutdown loses nothing. Waits at most the source's stop timeout.
   */
  @Override
  public void close() throws Exception {
    if (closed) {
      return;
    }
    AutoCloseable subscription = directorySubscription;
    if (subscription != null) {
      subscription.close();
    }
    ScheduledFuture<?> sweeping = sweep;
    if (sweeping != null) {
      sweeping.cancel(false);
    }
    List<BindingWorker> all = new ArrayList<>();
    try {
      // after the changes already queued, so that none of them starts a worker after this
      engine
          .scheduler()
          .submit(
              () -> {
                closed = true;
                all.addAll(stopping);
                workers.values().forEach(m -> m.values().forEach(r -> all.add(r.worker())));
                workers.clear();
              })
          .get(10, TimeUnit.SECONDS);
    } catch (RejectedExecutionException | ExecutionException | TimeoutException e) {
      closed = true;
      all.addAll(stopping);
      workers.values().forEach(m -> m.values().forEach(r -> all.add(r.worker())));
      workers.clear();
    }
    all.forEach(BindingWorker::stop);
    long deadline = System.nanoTime() + source.stopTimeout().toNanos();
    for (BindingWorker worker : all) {
      Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
      if (!worker.awaitStopped(left)) {
        LOG.warnf("%s: a binding did not stop within %s", source.kind(), source.stopTimeout());
      }
    }
  }
}
