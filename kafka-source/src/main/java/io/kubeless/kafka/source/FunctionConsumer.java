package io.kubeless.kafka.source;

import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.coordination.BindingKey;
import io.kubeless.trigger.coordination.CoordinatorUnavailableException;
import io.kubeless.trigger.coordination.LostShardException;
import io.kubeless.trigger.coordination.ShardCoordinator;
import io.kubeless.trigger.delivery.Batch;
import io.kubeless.trigger.engine.BindingState;
import io.kubeless.trigger.engine.BindingState.Phase;
import io.kubeless.trigger.engine.BindingWorker;
import io.kubeless.trigger.engine.SourceWorker;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerSource;
import io.kubeless.trigger.invoke.Event;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.InvalidOffsetException;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.IllegalGenerationException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.UnknownMemberIdException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jboss.logging.Logger;

/**
 * Delivers a topic to one function, at most once: claims the partitions it reads through the {@link
 * ShardCoordinator} (Leases on a cluster), reads them with a consumer of its own assignment (which
 * starts no thread), polls without blocking, checkpoints each poll in the partitions' Leases before
 * sending it, then commits it to Kubeless's consumer group ({@code
 * <ns>_<trigger>_<function>_<topic>}), and hands each partition's records to the binding's delivery
 * as a {@link Batch}. See DESIGN.md in this package.
 */
final class FunctionConsumer extends SourceWorker {

  private static final Logger LOG = Logger.getLogger(FunctionConsumer.class);
  private static final AtomicInteger CLIENT_IDS = new AtomicInteger();

  private final KafkaSubscription subscription;
  private final String groupId;
  private final ConsumerSettings settings;
  private final PositionStore positions;
  private final ShardCoordinator coordinator;
  private final BindingKey key;

  /**
   * The consumer this one replaces (a changed trigger), or null: it claims nothing until that one
   * has handed back and released its partitions, which it holds under the same identity.
   */
  private final BindingWorker previous;

  /**
   * The batches in flight of each partition, oldest first, each with the assignment of the
   * partition it came from: a partition takes its next batch once the last one has sent every
   * record, so only the newest can have records not sent yet; the older ones wait for requests in
   * flight (at most the binding's maxInFlight, one with partition ordering).
   */
  private final Map<TopicPartition, List<Held>> batches = new ConcurrentHashMap<>();

  /** The partitions claimed and read now, by the number of their assignment (see handBack). */
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
  private Map<TopicPartition, Long> outOfRange;
  private long nextCheck;
  private long nextClaim;
  private boolean claimNow = true;
  private boolean topicMissing;
  private String brokerProblem;
  private String coordinatorProblem;
  private String checkpointProblem;
  private String groupBusy;
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
      PositionStore positions,
      ShardCoordinator coordinator,
      BindingWorker previous) {
    super(
        engine,
        "KafkaTrigger",
        "kafkatriggers",
        "io.kubeless.kafka.record",
        binding,
        binding.subscription().delivery(),
        "claiming the partitions of topic " + binding.subscription().topic(),
        "its records wait in the topic",
        settings.idlePollInterval());
    this.subscription = binding.subscription();
    this.groupId = groupId(trigger, function, subscription.topic());
    this.settings = settings;
    this.positions = positions;
    this.coordinator = coordinator;
    this.key = new BindingKey(trigger, function);
    this.previous = previous;
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

  /** One round: settles positions the last poll found missing, checks, claims, polls, delivers. */
  @Override
  protected int poll() {
    if (consumer == null) {
      consumer = new KafkaConsumer<>(properties());
    }
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (topicExistedAtStart == null) {
      topicExistedAtStart =
          !c.partitionsFor(subscription.topic(), ConsumerSettings.REQUEST_TIMEOUT).isEmpty();
    }
    if (outOfRange != null) {
      resume(c, outOfRange);
      outOfRange = null;
    }
    check(c);
    if ((claimNow || System.nanoTime() - nextClaim >= 0)
        && (previous == null || previous.isStopped())) {
      claim(c);
    }
    batches.values().forEach(chain -> chain.removeIf(held -> held.batch().isDone()));
    batches.values().removeIf(List::isEmpty);
    if (c.assignment().isEmpty()) {
      updateState();
      return 0;
    }
    pauseBusyPartitions(c, available());
    updateState();
    ConsumerRecords<byte[], byte[]> records;
    try {
      records = c.poll(Duration.ZERO);
    } catch (OffsetOutOfRangeException e) {
      outOfRange = e.offsetOutOfRangePartitions();
      return 1;
    }
    records.partitions().forEach(tp -> polled.put(tp, records.records(tp)));
    return deliver(c) + records.count();
  }

  @Override
  protected void failed(Exception error) {
    if (error instanceof InterruptException) {
      Thread.interrupted();
    } else if (error instanceof CoordinatorUnavailableException e) {
      // nothing was sent of what was read since the last checkpoint; the claim comes again
      coordinatorProblem = e.getMessage();
      claimNow = true;
      updateState();
      delivery.failures().warn(label + ": " + e.getMessage());
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

  /**
   * A graceful end: the unsent rest of every batch is checkpointed and its partition released, so
   * another replica (or the next binding) starts exactly there.
   */
  @Override
  protected void finish() {
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c == null) {
      return;
    }
    try {
      Set<TopicPartition> all = new HashSet<>(batches.keySet());
      all.addAll(owned.keySet());
      handBack(c, all, true);
      positions.flush();
    } finally {
      owned.keySet().forEach(this::release);
      owned.clear();
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
   * The binding no longer exists: its partitions' Leases and checkpoints go. Its last positions
   * stay in Kubeless's consumer group and the positions topic (committed as it stopped), where a
   * binding of the same name resumes should it come back, as with Kubeless.
   */
  @Override
  protected void forget() {
    if (previous != null) {
      try {
        // the consumer it replaced releases its partitions under the same identity: after it
        previous.awaitStopped(settings.shutdownTimeout());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    coordinator.forget(key);
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
    // the group only keeps the offsets, for tools and for Kubeless: the consumer never joins it
    // (joining would start a heartbeat thread); the Leases decide who reads what
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
   * records are checkpointed in the partition's Lease, before any of them is sent, then committed
   * to the group, and become the partitions' next batches. Returns how many records it started.
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
    ready.keySet().forEach(polled::remove);
    Map<TopicPartition, Long> offsets = new HashMap<>();
    CoordinatorUnavailableException failure = null;
    for (var it = ready.entrySet().iterator(); it.hasNext(); ) {
      var entry = it.next();
      TopicPartition tp = entry.getKey();
      if (failure != null) {
        // not tried: read again
        it.remove();
        rewind(c, tp, entry.getValue());
        continue;
      }
      long next = entry.getValue().getLast().offset() + 1;
      try {
        checkpoint(tp, next);
        offsets.put(tp, next);
      } catch (LostShardException e) {
        // another replica took the partition over and reads it from its last checkpoint
        it.remove();
        lost(c, tp, e.getMessage());
      } catch (CoordinatorUnavailableException e) {
        // Not checkpointed, or not known to be: send nothing. If the partition moves, its next
        // owner starts at the last checkpoint; if still ours, it is read again, and a graceful
        // stop before that checkpoints its position back.
        failure = e;
        it.remove();
        uncertain.add(tp);
        rewind(c, tp, entry.getValue());
        delivery
            .failures()
            .warn(
                "%s: checkpoint of %d records of %s failed; none of them was sent: %s"
                    .formatted(label, entry.getValue().size(), tp, e.getMessage()));
      }
    }
    if (failure != null) {
      checkpointProblem = failure.getMessage();
      claimNow = true;
    }
    if (ready.isEmpty()) {
      return 0;
    }
    commitToGroup(c, offsets, false);
    int count = ready.values().stream().mapToInt(List::size).sum();
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

  /** Writes where a partition goes on into its Lease: the commit point of at most once. */
  private void checkpoint(TopicPartition tp, long next) throws LostShardException {
    coordinator.checkpoint(key, shard(tp), Long.toString(next));
    uncertain.remove(tp);
    checkpointProblem = null;
  }

  /**
   * A partition's id in the coordinator, {@code <topic>-<partition>}: a binding whose trigger moves
   * to another topic starts that topic afresh.
   */
  private static String shard(TopicPartition tp) {
    return tp.toString();
  }

  /**
   * Records checkpointed positions in Kubeless's consumer group (for tools, and for Kubeless) and
   * in the positions topic. The checkpoint decides; a failure here only delays what tools show.
   */
  private void commitToGroup(
      KafkaConsumer<byte[], byte[]> c, Map<TopicPartition, Long> offsets, boolean sync) {
    if (offsets.isEmpty()) {
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> commits = new HashMap<>();
    offsets.forEach((tp, offset) -> commits.put(tp, new OffsetAndMetadata(offset)));
    positions.committed(groupId, offsets);
    if (!sync) {
      c.commitAsync(
          commits,
          (done, error) -> {
            if (error != null) {
              LOG.debugf("%s: committing %s to %s failed: %s", label, done, groupId, error);
            }
          });
      return;
    }
    try {
      c.commitSync(commits, ConsumerSettings.CLOSE_TIMEOUT);
    } catch (KafkaException e) {
      LOG.debugf("%s: committing %s to %s failed: %s", label, offsets, groupId, e);
    }
  }

  /** A partition another replica took over: forgotten; its batches already checkpointed go on. */
  private void lost(KafkaConsumer<byte[], byte[]> c, TopicPartition tp, String why) {
    LOG.infof("%s: lost %s: %s", label, tp, why);
    owned.remove(tp);
    polled.remove(tp);
    uncertain.remove(tp);
    c.assign(owned.keySet());
    claimNow = true;
  }

  private void release(TopicPartition tp) {
    try {
      coordinator.release(key, shard(tp));
    } catch (RuntimeException e) {
      LOG.debugf(e, "%s: releasing %s", label, tp);
    }
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
    Map<TopicPartition, Long> handedBack = new HashMap<>();
    rewind.forEach(
        (tp, offset) -> {
          try {
            checkpoint(tp, offset);
            handedBack.put(tp, offset);
          } catch (LostShardException | CoordinatorUnavailableException e) {
            LOG.warnf(
                "%s: could not hand back the unsent records of %s from %d (%s); they are lost",
                label, tp, offset, e.getMessage());
          }
        });
    commitToGroup(c, handedBack, true);
    LOG.debugf("%s: handed back %s", label, handedBack);
  }

  /**
   * Claims this replica's share of the topic's partitions: gives up those no longer its own
   * (handing back their unsent records, or, when another replica took them over, letting their
   * checkpointed batches go on), and starts those newly its own.
   */
  private void claim(KafkaConsumer<byte[], byte[]> c) {
    claimNow = false;
    nextClaim = System.nanoTime() + settings.claimInterval().toNanos();
    Map<String, TopicPartition> partitions = new HashMap<>();
    for (PartitionInfo info :
        c.partitionsFor(subscription.topic(), ConsumerSettings.REQUEST_TIMEOUT)) {
      TopicPartition tp = new TopicPartition(info.topic(), info.partition());
      partitions.put(shard(tp), tp);
    }
    Set<TopicPartition> mine = new HashSet<>();
    for (String id : coordinator.claim(key, List.copyOf(partitions.keySet()))) {
      mine.add(partitions.get(id));
    }
    coordinatorProblem = null;
    Set<TopicPartition> gone = new HashSet<>(owned.keySet());
    gone.removeAll(mine);
    if (!gone.isEmpty()) {
      Map<String, String> owners = coordinator.owners(key);
      Set<TopicPartition> revoked = new HashSet<>();
      for (TopicPartition tp : gone) {
        String owner = owners.get(shard(tp));
        if (owner != null && !owner.equals(coordinator.identity())) {
          lost(c, tp, "now " + owner + "'s");
        } else {
          revoked.add(tp);
        }
      }
      if (!revoked.isEmpty()) {
        handBack(c, revoked, true);
        revoked.forEach(
            tp -> {
              owned.remove(tp);
              uncertain.remove(tp);
              release(tp);
            });
        c.assign(owned.keySet());
      }
    }
    Set<TopicPartition> added = new HashSet<>(mine);
    added.removeAll(owned.keySet());
    if (!added.isEmpty()) {
      Map<TopicPartition, Long> start = startPositions(c, added);
      assignments++;
      start.keySet().forEach(tp -> owned.put(tp, assignments));
      c.assign(owned.keySet());
      start.forEach(c::seek);
      LOG.debugf("%s: reads %s", label, start);
    }
    joined = groupBusy == null;
  }

  /**
   * Where newly claimed partitions start (see DESIGN.md): their checkpoint, else the group's
   * offset, else the positions topic, else by the initial offset; a start that was not checkpointed
   * is committed to the group, then checkpointed, at once. A partition the group's members still
   * read (an earlier version of the trigger, or Kubeless's, during an upgrade) is released and
   * waits until they leave. Returns the partitions started.
   */
  private Map<TopicPartition, Long> startPositions(
      KafkaConsumer<byte[], byte[]> c, Set<TopicPartition> added) {
    Duration timeout = ConsumerSettings.REQUEST_TIMEOUT;
    Map<TopicPartition, Long> start = new HashMap<>();
    Set<TopicPartition> fresh = new TreeSet<>(Comparator.comparingInt(TopicPartition::partition));
    for (TopicPartition tp : added) {
      Optional<Long> checkpoint = coordinator.checkpoint(key, shard(tp)).flatMap(this::offset);
      if (checkpoint.isPresent()) {
        start.put(tp, checkpoint.get());
      } else {
        fresh.add(tp);
      }
    }
    groupBusy = null;
    // the group follows the checkpoints, where an owner killed before its commit left it behind
    commitToGroup(c, start, false);
    if (fresh.isEmpty()) {
      return start;
    }
    Set<TopicPartition> all = new HashSet<>(fresh);
    c.partitionsFor(subscription.topic(), timeout)
        .forEach(p -> all.add(new TopicPartition(subscription.topic(), p.partition())));
    Map<TopicPartition, OffsetAndMetadata> committed = c.committed(all, timeout);
    boolean known =
        !start.isEmpty()
            || !owned.isEmpty()
            || committed.values().stream().anyMatch(o -> o != null);
    Set<TopicPartition> unknown = new HashSet<>();
    Map<TopicPartition, Long> begun = new HashMap<>();
    for (TopicPartition tp : fresh) {
      OffsetAndMetadata offset = committed.get(tp);
      if (offset != null) {
        begun.put(tp, offset.offset());
      } else {
        unknown.add(tp);
      }
    }
    if (!unknown.isEmpty()) {
      Map<TopicPartition, Long> beginnings = c.beginningOffsets(unknown, timeout);
      Map<TopicPartition, Long> ends = c.endOffsets(unknown, timeout);
      for (TopicPartition tp : unknown) {
        var kept = positions.lookup(groupId, tp, timeout);
        long offset;
        if (kept.isPresent()) {
          offset = Math.min(Math.max(kept.get(), beginnings.get(tp)), ends.get(tp));
          skipped(tp, kept.get(), beginnings.get(tp));
        } else if ("earliest".equals(subscription.initialOffset())
            || known
            || Boolean.FALSE.equals(topicExistedAtStart)) {
          offset = beginnings.get(tp);
        } else {
          offset = ends.get(tp);
        }
        begun.put(tp, offset);
      }
    }
    Map<TopicPartition, OffsetAndMetadata> commits = new HashMap<>();
    begun.forEach((tp, offset) -> commits.put(tp, new OffsetAndMetadata(offset)));
    try {
      c.commitSync(commits, settings.commitTimeout());
      positions.committed(groupId, begun);
    } catch (CommitFailedException
        | UnknownMemberIdException
        | IllegalGenerationException
        | RebalanceInProgressException e) {
      groupBusy =
          "consumer group "
              + groupId
              + " has members (an earlier version of the trigger?): waiting for them to leave";
      LOG.infof("%s: %s (%s)", label, groupBusy, e.getClass().getSimpleName());
      begun.keySet().forEach(this::release);
      return start;
    } catch (KafkaException e) {
      // the checkpoint below decides; the group shows it later
      LOG.debugf("%s: could not record the start %s in %s: %s", label, begun, groupId, e);
    }
    for (var entry : begun.entrySet()) {
      try {
        checkpoint(entry.getKey(), entry.getValue());
        start.put(entry.getKey(), entry.getValue());
      } catch (LostShardException e) {
        LOG.infof("%s: %s", label, e.getMessage());
      }
    }
    return start;
  }

  /** A checkpoint as an offset; one that is not (an edited Lease) is ignored, with a warning. */
  private Optional<Long> offset(String checkpoint) {
    try {
      return Optional.of(Long.parseLong(checkpoint));
    } catch (NumberFormatException e) {
      LOG.warnf("%s: ignoring the checkpoint '%s', which is not an offset", label, checkpoint);
      return Optional.empty();
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
      claimNow = true;
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
    String coordination = coordinatorProblem != null ? coordinatorProblem : checkpointProblem;
    String busy = groupBusy;
    if (problem != null) {
      health.source(Phase.SOURCE_UNAVAILABLE, "BrokerUnavailable", problem);
    } else if (coordination != null) {
      health.source(Phase.SOURCE_UNAVAILABLE, "CoordinatorUnavailable", coordination);
    } else if (busy != null) {
      health.source(Phase.STARTING, "GroupInUse", busy);
    } else if (topicMissing) {
      health.source(
          Phase.SOURCE_MISSING,
          "TopicNotFound",
          "topic "
              + subscription.topic()
              + " does not exist; consumption starts when it is created");
    } else if (!checked || !joined) {
      health.source(
          Phase.STARTING,
          BindingState.STARTING,
          "claiming the partitions of topic " + subscription.topic());
    } else {
      health.source(Phase.ACTIVE, "Consuming", "consuming topic " + subscription.topic());
    }
  }
}
