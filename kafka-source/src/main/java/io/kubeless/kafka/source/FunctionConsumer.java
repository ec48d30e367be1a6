package io.kubeless.kafka.source;

import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.delivery.Batch;
import io.kubeless.trigger.engine.BindingState;
import io.kubeless.trigger.engine.BindingState.Phase;
import io.kubeless.trigger.engine.SourceWorker;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerSource;
import io.kubeless.trigger.invoke.Event;
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
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.InvalidOffsetException;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.NoOffsetForPartitionException;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jboss.logging.Logger;

/**
 * Delivers a topic to one function, at most once, with its own consumer group ({@code
 * <ns>_<trigger>_<function>_<topic>}): polls without blocking, commits each poll before sending it,
 * and hands each partition's records to the binding's delivery as a {@link Batch}. See DESIGN.md in
 * this package.
 */
final class FunctionConsumer extends SourceWorker {

  private static final Logger LOG = Logger.getLogger(FunctionConsumer.class);
  private static final AtomicInteger CLIENT_IDS = new AtomicInteger();

  private final KafkaSubscription subscription;
  private final String groupId;
  private final ConsumerSettings settings;
  private final PositionStore positions;

  /**
   * The batches in flight of each partition, oldest first, each with the assignment of the
   * partition it came from: a partition takes its next batch once the last one has sent every
   * record, so only the newest can have records not sent yet; the older ones wait for requests in
   * flight (at most the binding's maxInFlight, one with partition ordering).
   */
  private final Map<TopicPartition, List<Held>> batches = new ConcurrentHashMap<>();

  /** The partitions assigned now, by the number of their assignment (see handBack). */
  private final Map<TopicPartition, Long> owned = new ConcurrentHashMap<>();

  /**
   * Records polled but not committed yet, one poll's worth per partition at most: they wait while
   * the partition's last batch is still sending, so that fetching overlaps sending. Nothing is
   * committed for them, so nothing of them is lost if the process dies.
   */
  private final Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> polled = new HashMap<>();

  /** Partitions whose last commit has an unknown outcome: a graceful stop commits them back. */
  private final Set<TopicPartition> uncertain = new HashSet<>();

  private KafkaConsumer<byte[], byte[]> consumer;
  private long assignments;
  private Boolean topicExistedAtStart;
  private Collection<TopicPartition> unstarted;
  private Map<TopicPartition, Long> outOfRange;
  private long nextCheck;
  private boolean topicMissing;
  private String brokerProblem;
  private boolean checked;
  private boolean joined;

  /** The committed records of one partition from one poll, being sent. */
  private record Held(
      TopicPartition partition,
      long assignment,
      List<ConsumerRecord<byte[], byte[]>> records,
      Batch batch) {}

  FunctionConsumer(
      TriggerSource.Binding<KafkaSubscription> binding,
      TriggerEngine engine,
      ConsumerSettings settings,
      PositionStore positions) {
    super(
        engine,
        "KafkaTrigger",
        "kafkatriggers",
        "io.kubeless.kafka.record",
        binding,
        binding.subscription().delivery(),
        "joining " + groupId(binding.trigger(), binding.function(), binding.subscription().topic()),
        "its records wait in the topic",
        settings.idlePollInterval());
    this.subscription = binding.subscription();
    this.groupId = groupId(trigger, function, subscription.topic());
    this.settings = settings;
    this.positions = positions;
  }

  /** Kubeless's group name, so groups survive a migration from Kubeless. */
  static String groupId(TriggerId trigger, String function, String topic) {
    return trigger.namespace() + "_" + trigger.name() + "_" + function + "_" + topic;
  }

  String groupId() {
    return groupId;
  }

  void start(TriggerEngine engine) {
    start(engine, "kafka-" + groupId);
  }

  /** One round: settles positions the last poll found missing, checks, polls, delivers. */
  @Override
  protected int poll() {
    if (consumer == null) {
      consumer = new KafkaConsumer<>(properties());
      consumer.subscribe(List.of(subscription.topic()), new Rebalances());
    }
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (topicExistedAtStart == null) {
      topicExistedAtStart =
          !c.partitionsFor(subscription.topic(), ConsumerSettings.REQUEST_TIMEOUT).isEmpty();
    }
    if (unstarted != null) {
      startPositions(c, unstarted);
      unstarted = null;
      joined = true;
    }
    if (outOfRange != null) {
      resume(c, outOfRange);
      outOfRange = null;
    }
    check(c);
    batches.values().forEach(chain -> chain.removeIf(held -> held.batch().isDone()));
    batches.values().removeIf(List::isEmpty);
    pauseBusyPartitions(c, available());
    updateState();
    ConsumerRecords<byte[], byte[]> records;
    try {
      records = c.poll(Duration.ZERO);
    } catch (OffsetOutOfRangeException e) {
      outOfRange = e.offsetOutOfRangePartitions();
      return 1;
    } catch (NoOffsetForPartitionException e) {
      unstarted = e.partitions();
      return 1;
    }
    records.partitions().forEach(tp -> polled.put(tp, records.records(tp)));
    return deliver(c) + records.count();
  }

  @Override
  protected void failed(Exception error) {
    if (error instanceof InterruptException) {
      Thread.interrupted();
    } else if (error instanceof KafkaException e) {
      brokerProblem = describe(e);
      metrics.lag(-1);
      updateState();
      delivery.failures().warn(label + ": " + brokerProblem);
    } else {
      // a bug must not silently end this function's delivery: log it and go on
      LOG.errorf(error, "%s: unexpected failure", label);
    }
  }

  /** A graceful end: the unsent rest of every batch goes back to the group; then it leaves. */
  @Override
  protected void finish() {
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c == null) {
      return;
    }
    try {
      Set<TopicPartition> all = new HashSet<>(batches.keySet());
      all.addAll(c.assignment());
      handBack(c, all, true);
      positions.flush();
    } finally {
      // batches of lost partitions still running: nothing is committed for them
      batches.values().forEach(chain -> chain.forEach(held -> held.batch().stop()));
      try {
        c.close(CloseOptions.timeout(ConsumerSettings.CLOSE_TIMEOUT));
      } catch (RuntimeException e) {
        LOG.debugf(e, "Closing the consumer of %s", groupId);
      }
    }
  }

  /**
   * A broker problem for the status: the root cause when there is one ("No resolvable bootstrap
   * urls" rather than "Failed to construct kafka consumer"), so that every failure of the same
   * cause reports the same text and the status does not flap.
   */
  static String describe(KafkaException e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    Throwable shown = root == e || root.getMessage() == null ? e : root;
    return shown.getClass().getSimpleName() + ": " + shown.getMessage();
  }

  private Map<String, Object> properties() {
    Map<String, Object> props = new HashMap<>(settings.properties());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, groupId + "-" + CLIENT_IDS.incrementAndGet());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    // where a partition starts is decided here, never silently by the client (see DESIGN.md)
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    return props;
  }

  /** Pauses partitions holding polled records, and all while the function is unavailable. */
  private void pauseBusyPartitions(KafkaConsumer<byte[], byte[]> c, boolean available) {
    Set<TopicPartition> pause = new HashSet<>();
    for (TopicPartition tp : c.assignment()) {
      if (!available || polled.containsKey(tp)) {
        pause.add(tp);
      }
    }
    Set<TopicPartition> resume = new HashSet<>(c.paused());
    resume.removeAll(pause);
    pause.removeAll(c.paused());
    c.pause(pause);
    c.resume(resume);
  }

  /**
   * The commit point: the polled records of every partition whose last batch has sent all its
   * records are committed together, before any of them is sent, and become the partitions' next
   * batches. Returns how many records it started.
   */
  private int deliver(KafkaConsumer<byte[], byte[]> c) {
    if (polled.isEmpty() || !available()) {
      return 0; // nothing is committed while the function is unavailable: they wait
    }
    Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> ready = new HashMap<>();
    for (var entry : polled.entrySet()) {
      List<Held> chain = batches.get(entry.getKey());
      if (chain == null || chain.getLast().batch().isSent()) {
        ready.put(entry.getKey(), entry.getValue());
      }
    }
    if (ready.isEmpty()) {
      return 0;
    }
    Map<TopicPartition, Long> offsets = new HashMap<>();
    ready.forEach((tp, list) -> offsets.put(tp, list.getLast().offset() + 1));
    int count = ready.values().stream().mapToInt(List::size).sum();
    ready.keySet().forEach(polled::remove);
    try {
      commit(c, offsets, settings.commitTimeout());
    } catch (KafkaException e) {
      // Not committed, or not known to be: send nothing. If the partitions moved, their new owner
      // starts from the last commit; if still ours, they are read again, and a graceful stop
      // before that commits their position back.
      delivery
          .failures()
          .warn(
              "%s: commit of %d records failed (%s); none of them was sent"
                  .formatted(label, count, e.getClass().getSimpleName()));
      uncertain.addAll(ready.keySet());
      ready.forEach((tp, list) -> rewind(c, tp, list));
      return 0;
    }
    metrics.received(count);
    List<Held> started = new ArrayList<>();
    ready.forEach(
        (tp, list) -> {
          List<Batch.Item> items = new ArrayList<>(list.size());
          for (ConsumerRecord<byte[], byte[]> record : list) {
            String key =
                record.key() == null ? null : new String(record.key(), StandardCharsets.ISO_8859_1);
            items.add(new Batch.Item(key, event(record)));
          }
          List<Held> chain = batches.computeIfAbsent(tp, p -> new ArrayList<>());
          Batch previous = chain.isEmpty() ? null : chain.getLast().batch();
          Held held =
              new Held(tp, owned.getOrDefault(tp, -1L), list, delivery.batch(items, previous));
          chain.add(held);
          started.add(held);
        });
    started.forEach(held -> held.batch().start());
    return count;
  }

  /** Positions a partition still assigned back at the first of {@code records}. */
  private static void rewind(
      KafkaConsumer<byte[], byte[]> c,
      TopicPartition tp,
      List<ConsumerRecord<byte[], byte[]>> records) {
    if (c.assignment().contains(tp)) {
      c.seek(tp, records.getFirst().offset());
    }
  }

  /** Commits, and keeps the positions beyond the offsets' retention. */
  private void commit(
      KafkaConsumer<byte[], byte[]> c, Map<TopicPartition, Long> offsets, Duration timeout) {
    Map<TopicPartition, OffsetAndMetadata> commits = new HashMap<>();
    offsets.forEach((tp, offset) -> commits.put(tp, new OffsetAndMetadata(offset)));
    c.commitSync(commits, timeout);
    uncertain.removeAll(offsets.keySet());
    positions.committed(groupId, offsets);
  }

  private Event event(ConsumerRecord<byte[], byte[]> record) {
    Header declared = record.headers().lastHeader("content-type");
    if (declared == null) {
      declared = record.headers().lastHeader("Content-Type");
    }
    return event(
        record.topic() + "-" + record.partition() + "-" + record.offset(),
        record.timestamp() >= 0 ? Instant.ofEpochMilli(record.timestamp()) : Instant.now(),
        record.topic(),
        declared == null || declared.value() == null
            ? null
            : new String(declared.value(), StandardCharsets.UTF_8),
        record.value());
  }

  /**
   * Stops the batches of {@code partitions} of their current assignment and commits where each
   * partition's unsent run starts, and the position of partitions whose last commit had an unknown
   * outcome. Batches of an earlier (lost) assignment go on: no other member will read them.
   */
  private void handBack(
      KafkaConsumer<byte[], byte[]> c, Collection<TopicPartition> partitions, boolean commit) {
    Map<TopicPartition, List<Held>> stopping = new HashMap<>();
    for (TopicPartition tp : partitions) {
      List<Held> chain = batches.get(tp);
      if (chain == null) {
        continue;
      }
      List<Held> current =
          chain.stream().filter(h -> Long.valueOf(h.assignment()).equals(owned.get(tp))).toList();
      chain.removeAll(current);
      current.forEach(held -> held.batch().stop());
      stopping.put(tp, current);
    }
    Map<TopicPartition, Long> rewind = new HashMap<>();
    long deadline = System.nanoTime() + settings.stopTimeout().toNanos();
    for (var chain : stopping.entrySet()) {
      // newest first: the unsent run starts in the newest batch that sent anything
      for (Held held : chain.getValue().reversed()) {
        try {
          Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
          int unsent = held.batch().awaitFirstUnsent(left);
          if (unsent >= 0) {
            rewind.put(chain.getKey(), held.records().get(unsent).offset());
          }
          if (unsent != 0) {
            break;
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    for (TopicPartition tp : partitions) {
      var waiting = polled.remove(tp);
      if (uncertain.contains(tp) && c.assignment().contains(tp) && !rewind.containsKey(tp)) {
        long position = c.position(tp, ConsumerSettings.CLOSE_TIMEOUT);
        rewind.put(tp, waiting == null ? position : waiting.getFirst().offset());
      }
      if (waiting != null && c.assignment().contains(tp)) {
        c.seek(tp, waiting.getFirst().offset());
      }
    }
    if (!commit || rewind.isEmpty()) {
      return;
    }
    try {
      commit(c, rewind, ConsumerSettings.CLOSE_TIMEOUT);
      LOG.debugf("%s: handed back %s", label, rewind);
    } catch (KafkaException e) {
      LOG.warnf(
          "%s: could not hand back the unsent records from %s (%s); they are lost",
          label, rewind, e);
    }
  }

  /** Where partitions without a committed offset start, committed at once (see DESIGN.md). */
  private void startPositions(KafkaConsumer<byte[], byte[]> c, Collection<TopicPartition> given) {
    Duration timeout = ConsumerSettings.REQUEST_TIMEOUT;
    Set<TopicPartition> partitions = new HashSet<>(given);
    partitions.retainAll(c.assignment());
    Set<TopicPartition> all = new HashSet<>(partitions);
    c.partitionsFor(subscription.topic(), timeout)
        .forEach(p -> all.add(new TopicPartition(subscription.topic(), p.partition())));
    Map<TopicPartition, OffsetAndMetadata> committed = c.committed(all, timeout);
    boolean groupKnown = committed.values().stream().anyMatch(o -> o != null);
    partitions.removeIf(tp -> committed.get(tp) != null);
    if (partitions.isEmpty()) {
      return;
    }
    Map<TopicPartition, Long> beginnings = c.beginningOffsets(partitions, timeout);
    Map<TopicPartition, Long> ends = c.endOffsets(partitions, timeout);
    Map<TopicPartition, Long> start = new HashMap<>();
    for (TopicPartition tp : partitions) {
      var kept = positions.lookup(groupId, tp, timeout);
      long offset;
      if (kept.isPresent()) {
        offset = Math.min(Math.max(kept.get(), beginnings.get(tp)), ends.get(tp));
        skipped(tp, kept.get(), beginnings.get(tp));
      } else if ("earliest".equals(subscription.initialOffset())
          || groupKnown
          || Boolean.FALSE.equals(topicExistedAtStart)) {
        offset = beginnings.get(tp);
      } else {
        offset = ends.get(tp);
      }
      c.seek(tp, offset);
      start.put(tp, offset);
    }
    try {
      commit(c, start, settings.commitTimeout());
    } catch (KafkaException e) {
      // the consumer starts there all the same; only a move before the first delivery would
      // decide the start again
      delivery.failures().warn("%s: could not record the start %s (%s)".formatted(label, start, e));
    }
  }

  /** Positions no longer in the log: resumes at the earliest record there, or at the end. */
  private void resume(KafkaConsumer<byte[], byte[]> c, Map<TopicPartition, Long> lost) {
    Set<TopicPartition> partitions = new HashSet<>(lost.keySet());
    partitions.retainAll(c.assignment());
    var beginnings = c.beginningOffsets(partitions, ConsumerSettings.REQUEST_TIMEOUT);
    var ends = c.endOffsets(partitions, ConsumerSettings.REQUEST_TIMEOUT);
    for (TopicPartition tp : partitions) {
      long position = lost.get(tp);
      boolean deleted = position < beginnings.get(tp);
      skipped(tp, position, beginnings.get(tp));
      if (!deleted) {
        LOG.warnf(
            "%s: offset %d of %s is beyond the end of the log; resuming there",
            label, position, tp);
      }
      c.seek(tp, deleted ? beginnings.get(tp) : ends.get(tp));
    }
  }

  private void skipped(TopicPartition tp, long position, long beginning) {
    if (position < beginning) {
      LOG.warnf(
          "%s: records %d to %d of %s were deleted by retention before they could be delivered;"
              + " resuming at %d",
          label, position, beginning - 1, tp, beginning);
      metrics.skipped(beginning - position);
    }
  }

  /** Every probe interval: does the topic exist, do the brokers answer, how far is the lag. */
  private void check(KafkaConsumer<byte[], byte[]> c) {
    if (checked && System.nanoTime() - nextCheck < 0) {
      return;
    }
    nextCheck = System.nanoTime() + settings.probeInterval().toNanos();
    boolean missing =
        c.partitionsFor(subscription.topic(), ConsumerSettings.REQUEST_TIMEOUT).isEmpty();
    if (topicMissing && !missing) {
      c.subscribe(List.of(subscription.topic()), new Rebalances());
    }
    topicMissing = missing;
    brokerProblem = null;
    checked = true;
    long lag = 0;
    try {
      for (var end : c.endOffsets(c.assignment(), ConsumerSettings.REQUEST_TIMEOUT).entrySet()) {
        lag += Math.max(0, end.getValue() - c.position(end.getKey()));
      }
    } catch (InvalidOffsetException e) {
      lag = -1; // a partition has no position yet: the next round settles it
    }
    metrics.lag(joined ? lag : -1);
  }

  private void updateState() {
    String problem = brokerProblem;
    if (problem != null) {
      health.source(Phase.SOURCE_UNAVAILABLE, "BrokerUnavailable", problem);
    } else if (topicMissing) {
      health.source(
          Phase.SOURCE_MISSING,
          "TopicNotFound",
          "topic "
              + subscription.topic()
              + " does not exist; consumption starts when it is created");
    } else if (!checked || !joined) {
      health.source(Phase.STARTING, BindingState.STARTING, "joining " + groupId);
    } else {
      health.source(Phase.ACTIVE, "Consuming", "consuming topic " + subscription.topic());
    }
  }

  /** Hands back revoked partitions, forgets lost ones, starts assigned ones. */
  private final class Rebalances implements ConsumerRebalanceListener {

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      try {
        handBack(consumer, partitions, true);
      } finally {
        partitions.forEach(owned::remove);
        uncertain.removeAll(partitions);
      }
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      assignments++;
      partitions.forEach(tp -> owned.put(tp, assignments));
      if (!partitions.isEmpty()) {
        startPositions(consumer, partitions);
      }
      joined = true;
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      // Fenced, or the session expired: another member may own them already and have committed
      // further, so nothing is committed back. Their batches go on: their records are committed,
      // and no other member will read them.
      LOG.infof("%s: lost %s", label, partitions);
      partitions.forEach(owned::remove);
      partitions.forEach(polled::remove);
      uncertain.removeAll(partitions);
    }
  }
}
