package io.kubeless.kafka.source;

import io.kubeless.kafka.source.BindingState.Phase;
import io.kubeless.trigger.FailureLog;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.function.FunctionDirectory;
import io.kubeless.trigger.function.FunctionEndpoint;
import io.kubeless.trigger.invoke.Event;
import io.kubeless.trigger.invoke.Invoker;
import io.kubeless.trigger.invoke.Outcome;
import io.kubeless.trigger.metrics.TriggerMetrics;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jboss.logging.Logger;

/**
 * Delivers a topic to one function, at most once, with its own consumer group ({@code
 * <ns>_<trigger>_<function>_<topic>}). One platform thread polls and commits; the records of each
 * partition go, in order, to the function as a {@link PartitionBatch} whose requests are chained on
 * the HTTP client's callbacks. See DESIGN.md in this package.
 */
final class FunctionConsumer {

  private static final Logger LOG = Logger.getLogger(FunctionConsumer.class);
  private static final String EVENT_NAMESPACE = "kafkatriggers.kubeless.io";
  private static final String EVENT_TYPE = "io.kubeless.kafka.record";
  private static final Duration POLL_TIMEOUT = Duration.ofSeconds(1);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);
  private static final long MAX_BACKOFF_MILLIS = 5_000;
  private static final AtomicInteger CLIENT_IDS = new AtomicInteger();

  /** Runs the retries of batches waiting for their function. */
  private static final ScheduledExecutorService TIMERS =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("kafka-retries").unstarted(r));

  final TriggerId trigger;
  final String function;
  final String topic;
  final String groupId;
  private final String initialOffset;
  private final FunctionDirectory directory;
  private final Invoker invoker;
  private final TriggerMetrics.Binding metrics;
  private final ConsumerSettings settings;
  private final Runnable onStateChange;
  private final java.util.function.Consumer<FunctionConsumer> onExit;
  private final String source;
  private final FailureLog failures;
  private final Delivery delivery = new Delivery();

  private final Map<TopicPartition, PartitionBatch> batches = new ConcurrentHashMap<>();

  /**
   * The partitions assigned now, each with the number of its assignment: a batch is handed back
   * only by the assignment it was polled in, never after the partition was lost or assigned anew.
   */
  private final Map<TopicPartition, Long> owned = new ConcurrentHashMap<>();

  private long assignments;
  private final AtomicInteger waitingForFunction = new AtomicInteger();
  private final AtomicBoolean polling = new AtomicBoolean();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final CountDownLatch stopRequested = new CountDownLatch(1);
  private volatile boolean running = true;
  private volatile KafkaConsumer<byte[], byte[]> consumer;
  private volatile BindingState state;
  private volatile long lag = -1;
  private volatile boolean topicMissing;
  private volatile String brokerProblem;
  private volatile boolean probed;
  private volatile boolean resubscribe;

  FunctionConsumer(
      TriggerId trigger,
      String function,
      KafkaSubscription subscription,
      FunctionDirectory directory,
      Invoker invoker,
      TriggerMetrics metrics,
      ConsumerSettings settings,
      Runnable onStateChange,
      java.util.function.Consumer<FunctionConsumer> onExit) {
    this.trigger = trigger;
    this.function = function;
    this.topic = subscription.topic();
    this.groupId = groupId(trigger, function, topic);
    this.initialOffset = initialOffset(subscription, settings);
    this.directory = directory;
    this.invoker = invoker;
    this.metrics = metrics.binding(trigger.namespace(), trigger.name(), function);
    this.settings = settings;
    this.onStateChange = onStateChange;
    this.onExit = onExit;
    this.source =
        "/apis/kubeless.io/v1beta1/namespaces/%s/kafkatriggers/%s"
            .formatted(trigger.namespace(), trigger.name());
    this.failures = new FailureLog(LOG, Duration.ofSeconds(10));
    this.state = new BindingState(function, Phase.Starting, "joining " + groupId, null);
  }

  /** Kubeless's group name, so groups survive a migration from Kubeless. */
  static String groupId(TriggerId trigger, String function, String topic) {
    return trigger.namespace() + "_" + trigger.name() + "_" + function + "_" + topic;
  }

  /** Where a new group starts: the trigger's {@code initialOffset}, else the default. */
  static String initialOffset(KafkaSubscription subscription, ConsumerSettings settings) {
    return subscription.initialOffset() == null || subscription.initialOffset().isBlank()
        ? settings.defaultInitialOffset()
        : subscription.initialOffset();
  }

  void start() {
    Thread.ofPlatform().name("kafka-" + groupId).start(this::run);
  }

  /** Asks the consumer to stop: batches in flight are stopped and their unsent rest handed back. */
  void stop() {
    running = false;
    stopRequested.countDown();
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
  }

  boolean awaitStopped(Duration timeout) throws InterruptedException {
    return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  boolean isStopped() {
    return stopped.getCount() == 0;
  }

  BindingState state() {
    BindingState s = state;
    return new BindingState(s.function(), s.phase(), s.message(), lag < 0 ? null : lag);
  }

  /**
   * The poll thread. The consumer is created inside the retry loop: a broker address that does not
   * resolve yet (or any other failure to construct it) is reported as a broker problem and retried
   * with back-off, never ends the thread. Should the thread end anyway (an Error), {@code onExit}
   * tells the engine, which starts a new consumer while the binding is still wanted.
   */
  private void run() {
    KafkaConsumer<byte[], byte[]> c = null;
    try {
      long backoff = 100;
      while (running) {
        try {
          if (c == null) {
            c = new KafkaConsumer<>(properties());
            consumer = c;
            if (!running) {
              break;
            }
            c.subscribe(List.of(topic), new Rebalances(c));
          }
          loop(c);
          backoff = 100;
        } catch (WakeupException e) {
          // a batch finished or stop() was called: look again
        } catch (InterruptException e) {
          Thread.interrupted();
        } catch (KafkaException e) {
          brokerProblem = describe(e);
          updateState();
          failures.warn("KafkaTrigger " + trigger + " -> " + function + ": " + brokerProblem);
          pause(backoff);
          backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
        } catch (RuntimeException e) {
          // a bug must not silently end this function's delivery: log it and go on
          LOG.errorf(e, "KafkaTrigger %s -> %s: unexpected failure", trigger, function);
          pause(backoff);
          backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
        }
      }
      if (c != null) {
        handBack(c, new ArrayList<>(batches.keySet()), true);
      }
    } catch (Throwable e) {
      LOG.errorf(
          e,
          "KafkaTrigger %s: the consumer of %s stopped%s",
          trigger,
          function,
          running ? "; a new one will be started" : "");
    } finally {
      consumer = null;
      if (c != null) {
        try {
          c.close(CloseOptions.timeout(CLOSE_TIMEOUT));
        } catch (RuntimeException e) {
          LOG.debugf(e, "Closing the consumer of %s", groupId);
        }
      }
      metrics.close();
      stopped.countDown();
      try {
        onExit.accept(this);
      } catch (RuntimeException e) {
        LOG.errorf(e, "KafkaTrigger %s: reporting the end of %s failed", trigger, groupId);
      }
    }
  }

  /**
   * A broker problem for the status: the root cause when there is one ("No resolvable bootstrap
   * urls" rather than "Failed to construct kafka consumer"), so the consumer and the probe report
   * the same text and the status does not flap between two.
   */
  static String describe(KafkaException e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    if (root == e || root.getMessage() == null) {
      return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
    return root.getClass().getSimpleName() + ": " + root.getMessage();
  }

  private Map<String, Object> properties() {
    Map<String, Object> props = new HashMap<>(settings.properties());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, groupId + "-" + CLIENT_IDS.incrementAndGet());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, initialOffset);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    return props;
  }

  private void loop(KafkaConsumer<byte[], byte[]> c) {
    batches.values().removeIf(PartitionBatch::isDone);
    boolean available = available();
    pauseBusyPartitions(c, available);
    updateState(available);
    ConsumerRecords<byte[], byte[]> records;
    polling.set(true);
    try {
      // a batch that finished after the pauses were computed but before polling was set did not
      // wake the consumer up: do not wait a whole poll timeout with its partition still paused
      boolean finished = batches.values().stream().anyMatch(PartitionBatch::isDone);
      records = c.poll(finished ? Duration.ZERO : POLL_TIMEOUT);
    } finally {
      polling.set(false);
    }
    if (!records.isEmpty()) {
      deliver(c, records);
    }
    if (resubscribe) {
      resubscribe = false;
      c.subscribe(List.of(topic), new Rebalances(c));
    }
  }

  /**
   * A partition with a batch in flight is paused, so each partition has at most one committed but
   * unsent batch; all are paused while the function is unavailable, so nothing is committed then.
   * Polling goes on either way, which keeps the consumer in its group.
   */
  private void pauseBusyPartitions(KafkaConsumer<byte[], byte[]> c, boolean available) {
    Set<TopicPartition> assigned = c.assignment();
    Set<TopicPartition> pause = new HashSet<>();
    for (TopicPartition tp : assigned) {
      if (!available || batches.containsKey(tp)) {
        pause.add(tp);
      }
    }
    Set<TopicPartition> paused = c.paused();
    Set<TopicPartition> resume = new HashSet<>(paused);
    resume.removeAll(pause);
    pause.removeAll(paused);
    if (!pause.isEmpty()) {
      c.pause(pause);
    }
    if (!resume.isEmpty()) {
      c.resume(resume);
    }
  }

  /** The commit point: offsets of the whole poll are committed before any record is sent. */
  private void deliver(KafkaConsumer<byte[], byte[]> c, ConsumerRecords<byte[], byte[]> records) {
    if (!available()) {
      // partitions assigned during this poll were not paused yet: nothing is committed while the
      // function is unavailable, so these are read again when it is back
      rewind(c, records);
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition tp : records.partitions()) {
      offsets.put(tp, new OffsetAndMetadata(records.records(tp).getLast().offset() + 1));
    }
    try {
      commit(c, offsets);
    } catch (KafkaException e) {
      // Not committed, or not known to be: send nothing. If the partitions moved to another
      // member, it starts from the last commit; if they are still ours, read them again.
      failures.warn(
          "KafkaTrigger %s -> %s: commit of %d records failed (%s); none of them was sent"
              .formatted(trigger, function, records.count(), e.getClass().getSimpleName()));
      rewind(c, records);
      return;
    }
    metrics.received(records.count());
    List<PartitionBatch> started = new ArrayList<>();
    for (TopicPartition tp : records.partitions()) {
      PartitionBatch batch =
          new PartitionBatch(
              tp, owned.getOrDefault(tp, -1L), records.records(tp), delivery, TIMERS);
      PartitionBatch previous = batches.put(tp, batch);
      if (previous != null && !previous.isDone()) {
        // cannot happen while the partition is paused; never two batches on one partition
        LOG.warnf("KafkaTrigger %s -> %s: a batch of %s was still running", trigger, function, tp);
        previous.stop();
      }
      started.add(batch);
    }
    c.pause(records.partitions());
    for (PartitionBatch batch : started) {
      try {
        batch.start();
      } catch (RuntimeException e) {
        // committed already: the rest of this batch is lost, the other partitions go on
        LOG.errorf(
            e, "KafkaTrigger %s -> %s: delivering %s failed", trigger, function, batch.partition);
        batch.stop();
        batches.remove(batch.partition, batch);
      }
    }
  }

  /** Positions the partitions still assigned back at the first record of the poll. */
  private static void rewind(
      KafkaConsumer<byte[], byte[]> c, ConsumerRecords<byte[], byte[]> records) {
    Set<TopicPartition> assigned = c.assignment();
    for (TopicPartition tp : records.partitions()) {
      if (assigned.contains(tp)) {
        c.seek(tp, records.records(tp).getFirst().offset());
      }
    }
  }

  private boolean available() {
    FunctionEndpoint endpoint = directory.find(trigger.namespace(), function).orElse(null);
    return endpoint != null && endpoint.ready() && waitingForFunction.get() == 0;
  }

  /**
   * A wakeup (a batch finished, or stop()) may interrupt a commit that the broker then applies
   * anyway: the commit is repeated rather than given up, since giving up would leave records
   * committed but never sent. The repeat is harmless: the offsets are the same.
   */
  private void commit(
      KafkaConsumer<byte[], byte[]> c, Map<TopicPartition, OffsetAndMetadata> offsets) {
    for (int attempt = 1; ; attempt++) {
      try {
        c.commitSync(offsets, settings.commitTimeout());
        return;
      } catch (WakeupException e) {
        if (attempt == 5) {
          throw e;
        }
      }
    }
  }

  private void batchDone() {
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c != null && polling.get()) {
      c.wakeup();
    }
  }

  /** How batches reach the function: the shared invoker, with this binding's metrics and log. */
  private final class Delivery implements PartitionBatch.Delivery {

    @Override
    public FunctionEndpoint endpoint() {
      return directory
          .find(trigger.namespace(), function)
          .filter(FunctionEndpoint::ready)
          .orElse(null);
    }

    @Override
    public Future<Outcome> send(FunctionEndpoint endpoint, ConsumerRecord<byte[], byte[]> record) {
      return invoker.send(endpoint, event(record));
    }

    @Override
    public void completed(ConsumerRecord<byte[], byte[]> record, Outcome outcome) {
      metrics.invoked(outcome);
      if (outcome.mayHaveReachedFunction() && outcome.kind() != Outcome.Kind.SUCCESS) {
        failures.warn(
            "KafkaTrigger %s -> %s: event %s-%d-%d dropped: %s %s"
                .formatted(
                    trigger,
                    function,
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    outcome.kind().label(),
                    outcome.detail()));
      }
    }

    @Override
    public void waiting(boolean waiting, String why) {
      if (waiting) {
        if (waitingForFunction.getAndIncrement() == 0) {
          LOG.infof(
              "KafkaTrigger %s: function %s is unavailable (%s); its records wait until it is back",
              trigger, function, why);
          onStateChange.run();
        }
      } else if (waitingForFunction.decrementAndGet() == 0) {
        onStateChange.run();
      }
    }

    @Override
    public void done() {
      batchDone();
    }
  }

  private Event event(ConsumerRecord<byte[], byte[]> record) {
    Header declared = record.headers().lastHeader("content-type");
    if (declared == null) {
      declared = record.headers().lastHeader("Content-Type");
    }
    return new Event(
        record.topic() + "-" + record.partition() + "-" + record.offset(),
        record.timestamp() >= 0 ? Instant.ofEpochMilli(record.timestamp()) : Instant.now(),
        EVENT_NAMESPACE,
        record.topic(),
        source,
        EVENT_TYPE,
        declared == null || declared.value() == null
            ? null
            : new String(declared.value(), StandardCharsets.UTF_8),
        record.value());
  }

  /**
   * Stops the batches of {@code partitions} and, when {@code commit}, commits the first unsent
   * offset of each, so the next owner starts exactly where this one stopped.
   */
  private void handBack(
      KafkaConsumer<byte[], byte[]> c, Collection<TopicPartition> partitions, boolean commit) {
    // the batches stopped here must not wake the consumer up in the middle of the commit below
    boolean wasPolling = polling.getAndSet(false);
    try {
      handBackNow(c, partitions, commit);
    } finally {
      polling.set(wasPolling);
    }
  }

  private void handBackNow(
      KafkaConsumer<byte[], byte[]> c, Collection<TopicPartition> partitions, boolean commit) {
    List<PartitionBatch> stopping = new ArrayList<>();
    for (TopicPartition tp : partitions) {
      PartitionBatch batch = batches.remove(tp);
      if (batch != null) {
        batch.stop();
        stopping.add(batch);
      }
    }
    Map<TopicPartition, OffsetAndMetadata> rewind = new HashMap<>();
    long deadline = System.nanoTime() + settings.stopTimeout().toNanos();
    for (PartitionBatch batch : stopping) {
      try {
        long wait = Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
        long unsent = batch.awaitFirstUnsent(wait);
        // only a batch of the partition's current assignment: after a loss, another member may
        // have committed further, and handing back an older offset would send records twice
        if (unsent >= 0 && Long.valueOf(batch.assignment).equals(owned.get(batch.partition))) {
          rewind.put(batch.partition, new OffsetAndMetadata(unsent));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (!commit || rewind.isEmpty()) {
      return;
    }
    try {
      commit(c, rewind);
      LOG.debugf("KafkaTrigger %s -> %s: handed back %s", trigger, function, rewind);
    } catch (KafkaException e) {
      LOG.warnf(
          "KafkaTrigger %s -> %s: could not hand back the unsent records from %s (%s); they"
              + " are lost",
          trigger, function, rewind, e.getMessage());
    }
  }

  /**
   * What the {@link TopicProbe} found, off the poll thread: whether the topic exists, whether the
   * brokers answer, and the group's lag (-1 when unknown).
   */
  void probed(boolean missing, String problem, long groupLag) {
    if (topicMissing && !missing) {
      // the topic appeared: the poll thread subscribes again, so the consumer sees it now
      resubscribe = true;
    }
    topicMissing = missing;
    brokerProblem = problem;
    lag = groupLag;
    metrics.lag(groupLag);
    probed = problem == null;
    updateState();
  }

  String initialOffset() {
    return initialOffset;
  }

  private void updateState() {
    updateState(available());
  }

  private synchronized void updateState(boolean available) {
    BindingState next;
    if (brokerProblem != null) {
      next = new BindingState(function, Phase.BrokerUnavailable, brokerProblem, null);
    } else if (topicMissing) {
      next =
          new BindingState(
              function, Phase.TopicNotFound, "topic " + topic + " does not exist", null);
    } else if (!available) {
      next =
          new BindingState(
              function,
              Phase.FunctionUnavailable,
              "function " + function + " has no ready endpoint; consumption is paused",
              null);
    } else if (!probed) {
      next = new BindingState(function, Phase.Starting, "joining " + groupId, null);
    } else {
      next = new BindingState(function, Phase.Consuming, "consuming " + topic, null);
    }
    BindingState previous = state;
    state = next;
    if (previous.phase() != next.phase() || !previous.message().equals(next.message())) {
      if (next.phase() != Phase.Consuming && next.phase() != Phase.Starting) {
        LOG.infof("KafkaTrigger %s -> %s: %s", trigger, function, next.message());
      }
      onStateChange.run();
    }
  }

  /** Backs off before trying again; stop() ends the wait. */
  private void pause(long millis) {
    try {
      stopRequested.await(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Hands back the unsent rest of revoked partitions; stops the batches of lost partitions without
   * committing anything; records where a new group starts as soon as it is assigned a partition.
   */
  private final class Rebalances implements ConsumerRebalanceListener {

    private final KafkaConsumer<byte[], byte[]> consumer;

    Rebalances(KafkaConsumer<byte[], byte[]> consumer) {
      this.consumer = consumer;
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      try {
        handBack(consumer, partitions, true);
      } finally {
        partitions.forEach(owned::remove);
      }
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      LOG.debugf("KafkaTrigger %s -> %s: assigned %s", trigger, function, partitions);
      assignments++;
      for (TopicPartition tp : partitions) {
        owned.put(tp, assignments);
      }
      if (!partitions.isEmpty()) {
        commitStartOffsets(partitions);
      }
    }

    /**
     * A partition the group has no offset for starts at {@code initialOffset}; that position is
     * committed at once, before anything is sent from it (so at most once still holds), so that the
     * records produced from then on wait in the topic even if the function is unavailable and the
     * partition moves, or the trigger restarts, before anything was delivered: without it the next
     * owner would start at {@code latest} again and skip them.
     */
    private void commitStartOffsets(Collection<TopicPartition> partitions) {
      boolean wasPolling = polling.getAndSet(false);
      try {
        Map<TopicPartition, OffsetAndMetadata> committed =
            consumer.committed(Set.copyOf(partitions), settings.commitTimeout());
        Map<TopicPartition, OffsetAndMetadata> start = new HashMap<>();
        for (TopicPartition tp : partitions) {
          if (committed.get(tp) == null) {
            start.put(tp, new OffsetAndMetadata(consumer.position(tp, settings.commitTimeout())));
          }
        }
        if (!start.isEmpty()) {
          commit(consumer, start);
          LOG.debugf("KafkaTrigger %s -> %s: starts at %s", trigger, function, start);
        }
      } catch (KafkaException e) {
        // the next poll starts there all the same; only a move before the first delivery would
        // start again from initialOffset
        failures.warn(
            "KafkaTrigger %s -> %s: could not record the start offsets of %s (%s)"
                .formatted(trigger, function, partitions, describe(e)));
      } finally {
        polling.set(wasPolling);
      }
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      // This member was fenced or its session expired: another member may own them already and
      // have committed further. Their batches stop (the request in flight completes) and nothing
      // is committed back; what they had not sent yet is lost, as in a crash.
      LOG.infof("KafkaTrigger %s -> %s: lost %s", trigger, function, partitions);
      partitions.forEach(owned::remove);
      handBack(consumer, partitions, false);
    }
  }
}
