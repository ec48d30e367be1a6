package io.kubeless.kafka.source;

import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.function.FunctionDirectory;
import io.kubeless.trigger.function.FunctionEndpoint;
import io.kubeless.trigger.invoke.Invoker;
import io.kubeless.trigger.metrics.TriggerMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * The Kafka engine: keeps one {@link FunctionConsumer} per (trigger, function matching its
 * selector), following trigger changes from its trigger spec source (the reconciler on Kubernetes)
 * and function changes from the {@link FunctionDirectory}. It never calls the Kubernetes API.
 *
 * <p>Changes are applied in order on one control thread, so callers never wait for consumers to
 * start or stop; {@link #onStateChange} tells when a trigger's state is worth reading again.
 */
public final class KafkaSubscriptions implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(KafkaSubscriptions.class);

  private final FunctionDirectory directory;
  private final Invoker invoker;
  private final TriggerMetrics metrics;
  private final ConsumerSettings settings;
  private static final Duration RESTART_DELAY = Duration.ofSeconds(1);

  private final ScheduledThreadPoolExecutor control = control();
  private final Map<TriggerId, KafkaSubscription> subscriptions = new ConcurrentHashMap<>();
  private final Map<TriggerId, Map<String, FunctionConsumer>> consumers = new ConcurrentHashMap<>();
  private final List<FunctionConsumer> stopping = new CopyOnWriteArrayList<>();
  private final List<Consumer<TriggerId>> listeners = new CopyOnWriteArrayList<>();
  private final AutoCloseable directorySubscription;
  private final TopicProbe probe;

  public KafkaSubscriptions(
      FunctionDirectory directory,
      Invoker invoker,
      TriggerMetrics metrics,
      ConsumerSettings settings) {
    this.directory = directory;
    this.invoker = invoker;
    this.metrics = metrics;
    this.settings = settings;
    this.probe =
        new TopicProbe(settings.properties(), settings.probeInterval(), settings.commitTimeout());
    this.directorySubscription =
        directory.subscribe((namespace, name) -> submit(() -> refreshNamespace(namespace)));
  }

  /** One thread, in submission order; delayed restarts are dropped at close. */
  private static ScheduledThreadPoolExecutor control() {
    ScheduledThreadPoolExecutor executor =
        new ScheduledThreadPoolExecutor(
            1, r -> Thread.ofPlatform().name("kafka-control").unstarted(r));
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    return executor;
  }

  /** Starts or updates the consumers of a trigger. Idempotent; returns at once. */
  public void subscribe(TriggerId trigger, KafkaSubscription subscription) {
    submit(
        () -> {
          boolean updated = !subscription.equals(subscriptions.put(trigger, subscription));
          if (updated) {
            LOG.infof(
                "KafkaTrigger %s: topic %s, functions %s",
                trigger,
                subscription.topic(),
                io.kubeless.trigger.function.LabelSelectors.describe(
                    subscription.functionSelector()));
          }
          refresh(trigger, updated);
        });
  }

  /** Stops every consumer of a trigger. Idempotent; returns at once. */
  public void unsubscribe(TriggerId trigger) {
    submit(
        () -> {
          boolean removed = subscriptions.remove(trigger) != null;
          if (removed) {
            LOG.infof("KafkaTrigger %s: unsubscribed", trigger);
          }
          refresh(trigger, removed);
        });
  }

  /** Runs a change on the control thread; after close() changes are ignored. */
  private void submit(Runnable change) {
    try {
      control.execute(change);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      LOG.debug("The engine is stopped; change ignored");
    }
  }

  /** Calls {@code listener} when the state of a trigger's consumers may have changed. */
  public void onStateChange(Consumer<TriggerId> listener) {
    listeners.add(listener);
  }

  /**
   * The state of each consumer of a trigger, by function name; empty when the engine has no
   * subscription for it (yet).
   */
  public Optional<List<BindingState>> state(TriggerId trigger) {
    if (!subscriptions.containsKey(trigger)) {
      return Optional.empty();
    }
    return Optional.of(
        consumers.getOrDefault(trigger, Map.of()).values().stream()
            .map(FunctionConsumer::state)
            .sorted(Comparator.comparing(BindingState::function))
            .toList());
  }

  /** The triggers the engine has a subscription for. */
  public Set<TriggerId> triggers() {
    return Set.copyOf(subscriptions.keySet());
  }

  /** Consumers asked to stop and not known to have stopped yet, for tests. */
  int stoppingConsumers() {
    return stopping.size();
  }

  /** The initial offset of each consumer of a trigger, by function name, for tests. */
  Map<String, String> initialOffsets(TriggerId trigger) {
    return consumers.getOrDefault(trigger, Map.of()).values().stream()
        .collect(Collectors.toMap(c -> c.function, FunctionConsumer::initialOffset));
  }

  /** Consumers running or still stopping, for tests and health: none may outlive its binding. */
  public int runningConsumers() {
    stopping.removeIf(FunctionConsumer::isStopped);
    return stopping.size()
        + consumers.values().stream()
            .mapToInt(m -> (int) m.values().stream().filter(c -> !c.isStopped()).count())
            .sum();
  }

  /** The consumer group names in use, for tests. */
  public Set<String> groups() {
    return consumers.values().stream()
        .flatMap(m -> m.values().stream())
        .map(c -> c.groupId)
        .collect(Collectors.toSet());
  }

  private void refreshNamespace(String namespace) {
    for (TriggerId trigger : List.copyOf(subscriptions.keySet())) {
      if (trigger.namespace().equals(namespace)) {
        refresh(trigger, true);
      }
    }
  }

  /**
   * Runs on the control thread: makes the consumers match the subscription and the directory, and
   * tells the listeners when anything changed or {@code notify} says so.
   */
  private void refresh(TriggerId trigger, boolean notify) {
    stopping.removeIf(FunctionConsumer::isStopped);
    KafkaSubscription subscription = subscriptions.get(trigger);
    Map<String, FunctionConsumer> current = consumers.getOrDefault(trigger, Map.of());
    Map<String, FunctionConsumer> next = new HashMap<>();
    boolean changed = notify;
    if (subscription != null) {
      List<FunctionEndpoint> functions;
      try {
        functions = directory.select(trigger.namespace(), subscription.functionSelector());
      } catch (IllegalArgumentException e) {
        functions = List.of();
      }
      for (FunctionEndpoint function : functions) {
        String group = FunctionConsumer.groupId(trigger, function.name(), subscription.topic());
        FunctionConsumer consumer = current.get(function.name());
        if (consumer == null
            || !consumer.groupId.equals(group)
            || !consumer
                .initialOffset()
                .equals(FunctionConsumer.initialOffset(subscription, settings))
            || consumer.isStopped()) {
          // new, changed, or its thread ended although the binding is still wanted
          consumer =
              new FunctionConsumer(
                  trigger,
                  function.name(),
                  subscription,
                  directory,
                  invoker,
                  metrics,
                  settings,
                  () -> changed(trigger),
                  c -> exited(trigger, c));
          consumer.start();
          probe.add(consumer);
          changed = true;
          LOG.infof(
              "KafkaTrigger %s: consuming %s for %s", trigger, consumer.groupId, function.key());
        }
        next.put(function.name(), consumer);
      }
    }
    for (FunctionConsumer consumer : current.values()) {
      if (next.get(consumer.function) != consumer) {
        probe.remove(consumer);
        changed = true;
        if (!consumer.isStopped()) {
          LOG.infof("KafkaTrigger %s: stopping %s", trigger, consumer.groupId);
          consumer.stop();
          stopping.add(consumer);
        }
      }
    }
    if (next.isEmpty()) {
      consumers.remove(trigger);
    } else {
      consumers.put(trigger, next);
    }
    if (changed) {
      // only then: every reconcile subscribes, and an unchanged one must not cause another
      changed(trigger);
    }
  }

  /**
   * A consumer's thread ended: forget it if it was asked to stop; if it is still wanted (its thread
   * died), a new one starts after a short delay.
   */
  private void exited(TriggerId trigger, FunctionConsumer consumer) {
    submit(
        () -> {
          stopping.remove(consumer);
          if (consumers.getOrDefault(trigger, Map.of()).get(consumer.function) == consumer) {
            LOG.warnf(
                "KafkaTrigger %s: the consumer %s ended; starting a new one in %s",
                trigger, consumer.groupId, RESTART_DELAY);
            schedule(() -> refresh(trigger, true), RESTART_DELAY);
          }
        });
  }

  private void schedule(Runnable change, Duration delay) {
    try {
      control.schedule(change, delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      LOG.debug("The engine is stopped; change ignored");
    }
  }

  private void changed(TriggerId trigger) {
    for (Consumer<TriggerId> listener : listeners) {
      try {
        listener.accept(trigger);
      } catch (RuntimeException e) {
        LOG.errorf(e, "A state listener failed for KafkaTrigger %s", trigger);
      }
    }
  }

  /**
   * Stops every consumer: requests in flight complete (up to the stop timeout), and the unsent rest
   * of each batch is handed back to its group, so a graceful shutdown loses nothing.
   */
  @Override
  public void close() throws Exception {
    if (control.isShutdown()) {
      return;
    }
    directorySubscription.close();
    control.shutdown();
    control.awaitTermination(10, TimeUnit.SECONDS);
    List<FunctionConsumer> all = new ArrayList<>(stopping);
    consumers.values().forEach(m -> all.addAll(m.values()));
    consumers.clear();
    all.forEach(FunctionConsumer::stop);
    probe.close();
    Duration wait = settings.stopTimeout().plus(settings.commitTimeout()).plusSeconds(5);
    for (FunctionConsumer consumer : all) {
      if (!consumer.awaitStopped(wait)) {
        LOG.warnf("The consumer %s did not stop in %s", consumer.groupId, wait);
      }
    }
  }
}
