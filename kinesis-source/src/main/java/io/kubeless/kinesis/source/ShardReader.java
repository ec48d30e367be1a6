package io.kubeless.kinesis.source;

import io.kubeless.trigger.coordination.BindingKey;
import io.kubeless.trigger.coordination.CoordinatorUnavailableException;
import io.kubeless.trigger.coordination.LostShardException;
import io.kubeless.trigger.coordination.ShardCoordinator;
import io.kubeless.trigger.delivery.Batch;
import io.kubeless.trigger.engine.BindingState;
import io.kubeless.trigger.engine.BindingState.Phase;
import io.kubeless.trigger.engine.BindingState.UnitState;
import io.kubeless.trigger.engine.BindingWorker;
import io.kubeless.trigger.engine.SourceWorker;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerSource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.ExpiredIteratorException;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.kinesis.model.LimitExceededException;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StartingPosition;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEvent;

/**
 * Reads a stream for one function, at most once: lists the shards, claims those ready to be read
 * from the {@link ShardCoordinator}, and for each shard it owns reads a batch, checkpoints its last
 * sequence number, and only then hands it to the binding's delivery. A shard's next read waits
 * until its last batch has sent every record. See DESIGN.md in this package.
 */
final class ShardReader extends SourceWorker {

  private static final Logger LOG = Logger.getLogger(ShardReader.class);

  /** Error codes of requests AWS refused for their credentials or signature. */
  private static final Set<String> AUTH_ERRORS =
      Set.of(
          "UnrecognizedClientException",
          "InvalidSignatureException",
          "IncompleteSignature",
          "IncompleteSignatureException",
          "AccessDenied",
          "AccessDeniedException",
          "ExpiredToken",
          "ExpiredTokenException",
          "InvalidClientTokenId",
          "MissingAuthenticationToken",
          "MissingAuthenticationTokenException",
          "SignatureDoesNotMatch",
          "NotAuthorized");

  private final KinesisSubscription subscription;
  private final KinesisSettings settings;
  private final ShardCoordinator coordinator;
  private final CredentialsResolver credentials;
  private final KinesisClients clients;
  private final BindingKey key;

  /**
   * The reader this one replaces (a changed trigger), or null: it claims nothing until that one has
   * checkpointed and released its shards, which it holds under the same identity.
   */
  private final BindingWorker previous;

  private final AtomicLong throttled = new AtomicLong();

  /** The shards this reader owns and reads, by id. */
  private final Map<String, Reading> reading = new LinkedHashMap<>();

  /** Shards given up (claimed by another replica) whose batches still send; released after. */
  private final Map<String, Batch> leaving = new LinkedHashMap<>();

  /** Shards known to be read to their end (checkpoint {@link ShardCoordinator#SHARD_END}). */
  private final Set<String> finished = new HashSet<>();

  private KinesisClient client;
  private KinesisAsyncClient asyncClient;

  /** The consumer registered for this binding's enhanced fan-out, when it is ACTIVE; else null. */
  private String consumerArn;

  private final String consumerName;

  /** The stream's shards as last listed (only the spec'd one when a shard is given), in order. */
  private List<Shard> shards = List.of();

  private boolean listed;
  private boolean discovered;

  /**
   * Whether the stream existed (ACTIVE or UPDATING) when this binding first looked and was not seen
   * missing since; null before it looked. A stream created since holds only records put after the
   * binding began: its shards without a checkpoint are read from their first record even with
   * {@code startFrom: latest}, which would otherwise skip what was put before the binding found it.
   */
  private Boolean streamExistedAtStart;

  private long nextDiscovery;
  private long nextClaim;
  private boolean claimNow = true;
  private volatile List<UnitState> units = List.of();
  private Map<String, String> owners = Map.of();

  /** One owned shard being read. */
  private static final class Reading {
    final String shard;
    String iterator;
    String lastSequence;
    boolean closed;
    long nextRead;
    long backoffMillis;
    Long millisBehind;
    Batch last;

    /** Enhanced fan-out: the running SubscribeToShard call, and where the last one ended. */
    FanOutSubscription fanOut;

    String continuation;

    Reading(String shard) {
      this.shard = shard;
    }
  }

  ShardReader(
      TriggerSource.Binding<KinesisSubscription> binding,
      TriggerEngine engine,
      KinesisSettings settings,
      ShardCoordinator coordinator,
      CredentialsResolver credentials,
      KinesisClients clients,
      BindingWorker previous) {
    super(
        engine,
        "KinesisTrigger",
        "kinesistriggers",
        "io.kubeless.kinesis.record",
        binding,
        binding.subscription().delivery(),
        "connecting to stream " + binding.subscription().stream(),
        "its records wait in the stream",
        settings.idleInterval());
    this.subscription = binding.subscription();
    this.settings = settings;
    this.coordinator = new StreamShards(coordinator, subscription.stream());
    this.credentials = credentials;
    this.clients = clients;
    this.key = new BindingKey(trigger, function);
    this.previous = previous;
    this.consumerName = consumerName(trigger, function);
    health.units(() -> units);
    metrics.lag(-1); // Kinesis tells time behind the tip, not a count: see the units
  }

  void start(TriggerEngine engine) {
    start(engine, "kinesis-" + trigger.namespace() + "-" + trigger.name() + "-" + function);
  }

  /** One round: connect, list the shards when due, claim, read the shards that may be read. */
  @Override
  protected int poll() throws Exception {
    if (client == null) {
      client =
          clients.client(
              subscription.region(),
              subscription.endpoint(),
              credentials.resolve(trigger.namespace(), subscription.secret()));
    }
    long now = System.nanoTime();
    if (!discovered || now - nextDiscovery >= 0) {
      // also when it fails: a missing stream is looked for again a discovery interval later
      discovered = true;
      nextDiscovery = now + settings.discoveryInterval().toNanos();
      discover();
      claimNow = true;
    }
    if (!listed) {
      return 0;
    }
    releaseLeft();
    finishClosedShards();
    if ((claimNow || now - nextClaim >= 0) && (previous == null || previous.isStopped())) {
      claim();
    }
    int taken = 0;
    if (available()) {
      for (Reading shard : List.copyOf(reading.values())) {
        if (!running()) {
          break;
        }
        taken += read(shard);
      }
    }
    updateState();
    return taken;
  }

  /**
   * Describes the stream and lists its shards; when it cannot be read now, the state says why and
   * nothing is listed.
   */
  private void discover() {
    StreamStatus status;
    String streamArn;
    try {
      var summary =
          client
              .describeStreamSummary(b -> b.streamName(subscription.stream()))
              .streamDescriptionSummary();
      status = summary.streamStatus();
      streamArn = summary.streamARN();
    } catch (ResourceNotFoundException e) {
      streamExistedAtStart = false; // one created later holds only records put since
      streamMissing();
      return;
    }
    boolean readable = status == StreamStatus.ACTIVE || status == StreamStatus.UPDATING;
    if (streamExistedAtStart == null) {
      streamExistedAtStart = readable;
    } else if (!streamExistedAtStart && readable && !listed) {
      LOG.infof(
          "%s: stream %s was created after the binding began: shards without a checkpoint are read"
              + " from their first record",
          label, subscription.stream());
    }
    if (!readable) {
      health.source(
          Phase.STARTING,
          BindingState.STARTING,
          "stream "
              + subscription.stream()
              + " is "
              + status
              + "; reading starts when it is ACTIVE");
      listed = false;
      return;
    }
    List<Shard> all = new ArrayList<>();
    String next = null;
    do {
      String token = next;
      ListShardsResponse page =
          client.listShards(
              token == null
                  ? ListShardsRequest.builder().streamName(subscription.stream()).build()
                  : ListShardsRequest.builder().nextToken(token).build());
      all.addAll(page.shards());
      next = page.nextToken();
    } while (next != null);
    if (subscription.shard() != null) {
      all = all.stream().filter(s -> s.shardId().equals(subscription.shard())).toList();
      if (all.isEmpty()) {
        health.source(
            Phase.SOURCE_MISSING,
            "ShardNotFound",
            "stream "
                + subscription.stream()
                + " has no shard "
                + subscription.shard()
                + "; reading starts when it appears");
        listed = false;
        stopAll();
        return;
      }
    }
    shards = List.copyOf(all);
    listed = true;
    useConsumer(streamArn == null ? null : registeredConsumer(streamArn));
  }

  /**
   * The name of the stream consumer that, once registered, makes this binding read by enhanced
   * fan-out: {@code kubeless.<namespace>.<trigger>.<function>} (dots cannot occur in a namespace
   * and separate the parts unambiguously); shortened with a hash beyond Kinesis's 128 characters.
   */
  static String consumerName(io.kubeless.trigger.TriggerId trigger, String function) {
    String name = "kubeless." + trigger.namespace() + "." + trigger.name() + "." + function;
    if (name.length() <= 128) {
      return name;
    }
    String hash = Integer.toHexString(name.hashCode() & 0x7fffffff);
    return name.substring(0, 127 - hash.length()) + "." + hash;
  }

  /** The ARN of this binding's consumer when it is registered and ACTIVE, else null. */
  private String registeredConsumer(String streamArn) {
    try {
      var consumer =
          client
              .describeStreamConsumer(b -> b.streamARN(streamArn).consumerName(consumerName))
              .consumerDescription();
      return consumer.consumerStatus() == ConsumerStatus.ACTIVE ? consumer.consumerARN() : null;
    } catch (ResourceNotFoundException e) {
      return null;
    } catch (LimitExceededException e) {
      return consumerArn; // asked again at the next discovery
    }
  }

  /** Switches between polling and enhanced fan-out; either resumes after the checkpoint. */
  private void useConsumer(String arn) {
    if (java.util.Objects.equals(arn, consumerArn)) {
      return;
    }
    if (arn != null) {
      LOG.infof(
          "%s: consumer %s is registered: reading by enhanced fan-out (SubscribeToShard)",
          label, consumerName);
    } else {
      LOG.infof("%s: no consumer %s is active: reading by polling", label, consumerName);
    }
    consumerArn = arn;
    for (Reading shard : reading.values()) {
      endFanOut(shard);
      shard.iterator = null;
      shard.nextRead = 0;
    }
  }

  private static void endFanOut(Reading shard) {
    if (shard.fanOut != null) {
      shard.fanOut.cancel();
      shard.fanOut = null;
    }
  }

  private void streamMissing() {
    health.source(
        Phase.SOURCE_MISSING,
        "StreamNotFound",
        "stream "
            + subscription.stream()
            + " does not exist in "
            + subscription.region()
            + "; reading starts when it is created");
    listed = false;
    shards = List.of();
    stopAll();
    units = List.of();
  }

  /** Stops reading every shard: their batches finish sending, then they are released. */
  private void stopAll() {
    for (Reading shard : reading.values()) {
      leave(shard);
    }
    reading.clear();
  }

  private void leave(Reading shard) {
    endFanOut(shard);
    if (shard.last == null || shard.last.isDone()) {
      coordinator.release(key, shard.shard);
    } else {
      leaving.put(shard.shard, shard.last);
    }
  }

  /** Releases the shards given up whose batches have ended. */
  private void releaseLeft() {
    var it = leaving.entrySet().iterator();
    while (it.hasNext()) {
      var entry = it.next();
      if (entry.getValue().isDone()) {
        coordinator.release(key, entry.getKey());
        it.remove();
      }
    }
  }

  /**
   * Closed shards read to their end whose last batch has ended: checkpointed as finished and
   * released, so their children become ready.
   */
  private void finishClosedShards() {
    var it = reading.values().iterator();
    while (it.hasNext()) {
      Reading shard = it.next();
      if (!shard.closed || (shard.last != null && !shard.last.isDone())) {
        continue;
      }
      it.remove();
      try {
        coordinator.checkpoint(key, shard.shard, ShardCoordinator.SHARD_END);
        finished.add(shard.shard);
        LOG.debugf("%s: shard %s read to its end", label, shard.shard);
      } catch (LostShardException e) {
        LOG.infof("%s: shard %s was taken over before its end was recorded", label, shard.shard);
      }
      coordinator.release(key, shard.shard);
      claimNow = true;
    }
  }

  /**
   * Asks the coordinator which of the ready shards this reader reads: starts the new ones, stops
   * those given up.
   */
  private void claim() {
    List<String> ready = ready();
    Set<String> mine = coordinator.claim(key, ready);
    claimNow = false;
    nextClaim = System.nanoTime() + claimInterval().toNanos();
    var it = reading.values().iterator();
    while (it.hasNext()) {
      Reading shard = it.next();
      if (!mine.contains(shard.shard) && !shard.closed) {
        LOG.infof("%s: shard %s is read by another replica now", label, shard.shard);
        it.remove();
        leave(shard);
      }
    }
    for (String shard : ready) {
      if (mine.contains(shard) && !reading.containsKey(shard) && !leaving.containsKey(shard)) {
        reading.put(shard, new Reading(shard));
      }
    }
    owners = coordinator.owners(key);
  }

  /** Renewing ownership is due this often: well within any lease. */
  private Duration claimInterval() {
    Duration interval = settings.readInterval().multipliedBy(5);
    return interval.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : interval;
  }

  /**
   * The shards that may be read: not finished, and each parent finished or no longer listed
   * (expired). A spec'd shard is read whatever its parents.
   */
  private List<String> ready() {
    Set<String> listedIds = new HashSet<>();
    shards.forEach(s -> listedIds.add(s.shardId()));
    for (Shard shard : shards) {
      if (!finished.contains(shard.shardId())
          && coordinator
              .checkpoint(key, shard.shardId())
              .filter(ShardCoordinator.SHARD_END::equals)
              .isPresent()) {
        finished.add(shard.shardId());
      }
    }
    List<String> ready = new ArrayList<>();
    for (Shard shard : shards) {
      if (finished.contains(shard.shardId())) {
        continue;
      }
      if (subscription.shard() != null
          || (parentDone(shard.parentShardId(), listedIds)
              && parentDone(shard.adjacentParentShardId(), listedIds))) {
        ready.add(shard.shardId());
      }
    }
    return ready;
  }

  private boolean parentDone(String parent, Set<String> listedIds) {
    return parent == null || !listedIds.contains(parent) || finished.contains(parent);
  }

  /** Reads one shard when it may be read; returns how many records it took. */
  private int read(Reading shard) throws CredentialsResolver.CredentialsException {
    if (consumerArn != null) {
      return readFanOut(shard);
    }
    long now = System.nanoTime();
    if (shard.closed || now - shard.nextRead < 0 || (shard.last != null && !shard.last.isSent())) {
      return 0;
    }
    GetRecordsResponse response;
    try {
      if (shard.iterator == null) {
        shard.iterator = iterator(shard);
      }
      response =
          client.getRecords(b -> b.shardIterator(shard.iterator).limit(settings.recordsPerRead()));
    } catch (ExpiredIteratorException e) {
      shard.iterator = null; // a new one after the checkpoint, in the same round trip next time
      return 0;
    } catch (ProvisionedThroughputExceededException | LimitExceededException e) {
      throttle(shard);
      return 0;
    } catch (ResourceNotFoundException e) {
      // the stream was deleted, or the shard expired: list again now
      discovered = false;
      return 0;
    }
    shard.backoffMillis = 0;
    shard.nextRead = now + settings.readInterval().toNanos();
    shard.millisBehind = response.millisBehindLatest();
    List<Record> records = response.records();
    if (!take(shard, records)) {
      return 0;
    }
    shard.iterator = response.nextShardIterator();
    if (shard.iterator == null) {
      shard.closed = true; // checkpointed as finished once its last batch has ended
      wake();
    }
    return records.size();
  }

  /**
   * Checkpoints the last of {@code records}, then hands them to delivery; false when the shard was
   * taken over meanwhile (nothing is sent).
   */
  private boolean take(Reading shard, List<Record> records) {
    if (!records.isEmpty()) {
      String lastSequence = records.getLast().sequenceNumber();
      try {
        // the commit point: before any record of the read is sent
        coordinator.checkpoint(key, shard.shard, lastSequence);
      } catch (LostShardException e) {
        LOG.infof("%s: shard %s was taken over; its last read is not sent", label, shard.shard);
        reading.remove(shard.shard);
        endFanOut(shard);
        if (shard.last != null && !shard.last.isDone()) {
          leaving.put(shard.shard, shard.last);
        }
        return false;
      }
      shard.lastSequence = lastSequence;
      metrics.received(records.size());
      List<Batch.Item> items = new ArrayList<>(records.size());
      for (Record record : records) {
        items.add(new Batch.Item(record.partitionKey(), event(shard.shard, record)));
      }
      Batch batch = delivery.batch(items, shard.last);
      shard.last = batch;
      batch.start();
    }
    return true;
  }

  /**
   * Enhanced fan-out: takes the next event Kinesis pushed for a shard, when its last batch is sent;
   * opens a new SubscribeToShard call (at most one a second per shard, as Kinesis allows) when the
   * last one ended, where it left off.
   */
  private int readFanOut(Reading shard) throws CredentialsResolver.CredentialsException {
    if (shard.closed || (shard.last != null && !shard.last.isSent())) {
      return 0;
    }
    FanOutSubscription call = shard.fanOut;
    if (call == null || call.ended()) {
      if (call != null) {
        shard.fanOut = null;
        fanOutEnded(shard, call.error());
      }
      long now = System.nanoTime();
      if (now - shard.nextRead < 0) {
        return 0;
      }
      shard.nextRead = now + Math.max(Duration.ofSeconds(1).toNanos(), backoff(shard));
      shard.fanOut =
          FanOutSubscription.open(
              asyncClient(), consumerArn, shard.shard, startingPosition(shard), this::wake);
      return 0;
    }
    SubscribeToShardEvent event = call.poll();
    if (event == null) {
      return 0;
    }
    shard.backoffMillis = 0;
    shard.millisBehind = event.millisBehindLatest();
    List<Record> records = event.records();
    if (!take(shard, records)) {
      return 0;
    }
    shard.continuation = event.continuationSequenceNumber();
    if (shard.continuation == null) {
      shard.closed = true; // the shard's end: checkpointed as finished once its batch ended
      endFanOut(shard);
      wake();
    }
    return records.size();
  }

  private static long backoff(Reading shard) {
    return Duration.ofMillis(shard.backoffMillis).toNanos();
  }

  /**
   * What an ended SubscribeToShard call means: nothing (its five minutes), a back-off, or a
   * failure.
   */
  private void fanOutEnded(Reading shard, Throwable error) throws SdkException {
    if (error == null) {
      return;
    }
    if (error instanceof ResourceInUseException
        || error instanceof LimitExceededException
        || error instanceof ProvisionedThroughputExceededException) {
      // another call on this consumer and shard still runs (a former owner's), or too many calls
      throttle(shard);
      return;
    }
    if (error instanceof ResourceNotFoundException) {
      discovered = false; // the consumer or the stream is gone: look again, maybe poll
      return;
    }
    if (error instanceof AwsServiceException e) {
      throw e; // credentials refused and the like: reported as for polling
    }
    // the connection broke: a new call resumes where this one left off
    LOG.debugf(error, "%s: enhanced fan-out of shard %s ended", label, shard.shard);
  }

  /**
   * {@code startFrom: latest} for a shard without a checkpoint: its end, unless the stream was
   * created after the binding began (see {@link #streamExistedAtStart}).
   */
  private ShardIteratorType fromLatest() {
    return Boolean.FALSE.equals(streamExistedAtStart)
        ? ShardIteratorType.TRIM_HORIZON
        : ShardIteratorType.LATEST;
  }

  /** Where a new SubscribeToShard call starts: after what was taken, or where the spec says. */
  private StartingPosition startingPosition(Reading shard) {
    String after = shard.continuation != null ? shard.continuation : shard.lastSequence;
    if (after == null) {
      after = coordinator.checkpoint(key, shard.shard).orElse(null);
    }
    if (after != null && !after.equals(ShardCoordinator.SHARD_END)) {
      String sequence = after;
      return StartingPosition.builder()
          .type(ShardIteratorType.AFTER_SEQUENCE_NUMBER)
          .sequenceNumber(sequence)
          .build();
    }
    return switch (subscription.startFrom()) {
      case LATEST -> StartingPosition.builder().type(fromLatest()).build();
      case TRIM_HORIZON -> StartingPosition.builder().type(ShardIteratorType.TRIM_HORIZON).build();
      case AT_TIMESTAMP ->
          StartingPosition.builder()
              .type(ShardIteratorType.AT_TIMESTAMP)
              .timestamp(subscription.timestamp())
              .build();
    };
  }

  private KinesisAsyncClient asyncClient() throws CredentialsResolver.CredentialsException {
    if (asyncClient == null) {
      asyncClient =
          clients.asyncClient(
              subscription.region(),
              subscription.endpoint(),
              credentials.resolve(trigger.namespace(), subscription.secret()));
    }
    return asyncClient;
  }

  /** Where a shard's reading starts: after its checkpoint, or where the spec says. */
  private String iterator(Reading shard) {
    GetShardIteratorRequest.Builder request =
        GetShardIteratorRequest.builder().streamName(subscription.stream()).shardId(shard.shard);
    String after = shard.lastSequence;
    if (after == null) {
      Optional<String> checkpoint = coordinator.checkpoint(key, shard.shard);
      after = checkpoint.orElse(null);
    }
    if (after != null && !after.equals(ShardCoordinator.SHARD_END)) {
      request
          .shardIteratorType(ShardIteratorType.AFTER_SEQUENCE_NUMBER)
          .startingSequenceNumber(after);
    } else {
      switch (subscription.startFrom()) {
        case LATEST -> request.shardIteratorType(fromLatest());
        case TRIM_HORIZON -> request.shardIteratorType(ShardIteratorType.TRIM_HORIZON);
        case AT_TIMESTAMP ->
            request
                .shardIteratorType(ShardIteratorType.AT_TIMESTAMP)
                .timestamp(subscription.timestamp());
      }
    }
    return client.getShardIterator(request.build()).shardIterator();
  }

  private void throttle(Reading shard) {
    long count = throttled.incrementAndGet();
    metrics.throttled();
    long max = settings.throttleBackoff().toMillis();
    shard.backoffMillis =
        shard.backoffMillis == 0
            ? Math.min(max, Math.max(settings.readInterval().toMillis(), 100))
            : Math.min(max, shard.backoffMillis * 2);
    shard.nextRead = System.nanoTime() + Duration.ofMillis(shard.backoffMillis).toNanos();
    delivery
        .failures()
        .warn(
            "%s: reads of shard %s are throttled by Kinesis (%d so far); backing off %d ms"
                .formatted(label, shard.shard, count, shard.backoffMillis));
  }

  private io.kubeless.trigger.invoke.Event event(String shard, Record record) {
    Instant time = record.approximateArrivalTimestamp();
    return event(
        subscription.stream() + "-" + shard + "-" + record.sequenceNumber(),
        time == null ? Instant.now() : time,
        subscription.stream(),
        null,
        record.data().asByteArrayUnsafe());
  }

  private void updateState() {
    List<UnitState> next = new ArrayList<>(shards.size());
    for (Shard shard : shards) {
      String id = shard.shardId();
      Reading r = reading.get(id);
      String state = r != null ? "Reading" : finished.contains(id) ? "Finished" : "Waiting";
      next.add(new UnitState(id, owners.get(id), r == null ? null : r.millisBehind, state));
    }
    units = List.copyOf(next);
    if (!listed) {
      return;
    }
    long open = shards.stream().filter(s -> !finished.contains(s.shardId())).count();
    String message;
    if (!reading.isEmpty()) {
      message =
          "reading %d of %d shards of stream %s%s"
              .formatted(
                  reading.size(),
                  open,
                  subscription.stream(),
                  consumerArn == null
                      ? ""
                      : " by enhanced fan-out (consumer " + consumerName + ")");
    } else if (open == 0) {
      message = "every shard of stream %s is read to its end".formatted(subscription.stream());
    } else {
      message =
          "reading none of the %d shards of stream %s: other replicas (or their parents) hold them"
              .formatted(open, subscription.stream());
    }
    health.source(Phase.ACTIVE, "Reading", message);
  }

  @Override
  protected void failed(Exception error) {
    if (error instanceof CredentialsResolver.CredentialsException e) {
      health.source(Phase.SOURCE_UNAVAILABLE, "CredentialsInvalid", e.getMessage());
      return;
    }
    if (error instanceof ResourceNotFoundException) {
      streamMissing();
      return;
    }
    if (error instanceof CoordinatorUnavailableException e) {
      // nothing of the read was sent: the checkpoint, or the claim, comes again
      health.source(Phase.SOURCE_UNAVAILABLE, "CoordinatorUnavailable", e.getMessage());
      delivery.failures().warn(label + ": " + e.getMessage());
      return;
    }
    if (error instanceof AwsServiceException e
        && (e.statusCode() == 403
            || (e.awsErrorDetails() != null
                && AUTH_ERRORS.contains(e.awsErrorDetails().errorCode())))) {
      // credentials are resolved again: the Secret may be fixed
      closeClient();
      health.source(
          Phase.SOURCE_UNAVAILABLE,
          "CredentialsInvalid",
          "Kinesis refused the credentials: " + describe(e));
      return;
    }
    if (error instanceof SdkException e) {
      discovered = false;
      health.source(
          Phase.SOURCE_UNAVAILABLE, "KinesisUnavailable", "Kinesis unreachable: " + describe(e));
      delivery.failures().warn(label + ": " + describe(e));
      return;
    }
    LOG.errorf(error, "%s: unexpected failure", label);
  }

  static String describe(SdkException e) {
    if (e instanceof AwsServiceException s && s.awsErrorDetails() != null) {
      String message = s.awsErrorDetails().errorMessage();
      return s.awsErrorDetails().errorCode() + (message == null ? "" : ": " + message);
    }
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == e
        ? e.getClass().getSimpleName() + ": " + e.getMessage()
        : root.getClass().getSimpleName() + ": " + root.getMessage();
  }

  /**
   * A graceful end: nothing more is read; the batches taken (checkpointed already) send within the
   * stop timeout, what cannot is dropped and counted; closed shards whose end was sent are
   * finished; every owned shard is released.
   */
  @Override
  protected void finish() {
    try {
      reading.values().forEach(ShardReader::endFanOut);
      long deadline = System.nanoTime() + settings.stopTimeout().toNanos();
      List<Batch> batches = new ArrayList<>();
      reading.values().stream().map(r -> r.last).filter(b -> b != null).forEach(batches::add);
      batches.addAll(leaving.values());
      while (batches.stream().anyMatch(b -> !b.isDone()) && System.nanoTime() - deadline < 0) {
        park(5);
      }
      int dropped = 0;
      for (Batch batch : batches) {
        if (batch.isDone()) {
          continue;
        }
        batch.stop();
        try {
          int first = batch.awaitFirstUnsent(Duration.ofSeconds(1));
          if (first >= 0) {
            dropped += batch.size() - first;
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (dropped > 0) {
        metrics.dropped(dropped, "stopped");
        LOG.warnf(
            "%s: %d records could not be sent within the stop timeout (%s); they are lost",
            label, dropped, settings.stopTimeout());
      }
      try {
        finishClosedShards();
      } catch (RuntimeException e) {
        LOG.debugf(e, "%s: recording the end of closed shards", label);
      }
      for (String shard : reading.keySet()) {
        coordinator.release(key, shard);
      }
      for (String shard : leaving.keySet()) {
        coordinator.release(key, shard);
      }
      reading.clear();
      leaving.clear();
    } finally {
      closeClient();
    }
  }

  /**
   * The binding no longer exists: its shards' Leases and checkpoints go, so a binding of the same
   * name that comes later starts where its {@code startFrom} says.
   */
  @Override
  protected void forget() {
    if (previous != null) {
      try {
        // the reader it replaced releases its shards under the same identity: after it
        previous.awaitStopped(settings.stopTimeout().plusSeconds(2));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    coordinator.forget(key);
  }

  private void closeClient() {
    for (Reading shard : reading.values()) {
      endFanOut(shard);
    }
    KinesisAsyncClient async = asyncClient;
    asyncClient = null;
    if (async != null) {
      try {
        async.close();
      } catch (RuntimeException e) {
        LOG.debugf(e, "%s: closing the Kinesis async client", label);
      }
    }
    KinesisClient c = client;
    client = null;
    if (c != null) {
      try {
        c.close();
      } catch (RuntimeException e) {
        LOG.debugf(e, "%s: closing the Kinesis client", label);
      }
    }
  }
}
