package io.kubeless.kinesis;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.v1beta1.KinesisTrigger;
import io.kubeless.api.v1beta1.KinesisTriggerSpec;
import io.kubeless.kinesis.source.KinesisSettings;
import io.kubeless.kinesis.source.KinesisSource;
import io.kubeless.testing.KinesisLocal;
import io.kubeless.testing.MockApiServer;
import io.kubeless.testing.PackagedApp;
import io.kubeless.testing.RecordingFunction;
import io.kubeless.testing.TestFunctions;
import io.kubeless.testing.TriggerEngineContractTest;
import io.kubeless.trigger.coordination.InMemoryShardCoordinator;
import io.kubeless.trigger.delivery.Ordering;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.kubernetes.LeaseShardCoordinator;
import java.math.BigInteger;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * The delivery contract on Kinesis, against the kinesis-local emulator: the engine alone for
 * delivery, the packaged application (prod profile, its own OS process, against the mock API
 * server, its shard Leases and checkpoints there) for SIGKILL and replicas. A stream's units are
 * its shards, each message put on its unit's shard with an explicit hash key; a SIGKILL loses at
 * most one read ({@code records-per-read}, 100 here) per shard.
 */
class KinesisContractIT extends TriggerEngineContractTest {

  private static final int RECORDS_PER_READ = 100;
  private static final String REGION = "us-east-1";

  private static KinesisLocal emulator;
  private static KinesisClient kinesis;

  @BeforeAll
  static void startEmulator() {
    emulator = KinesisLocal.start();
    kinesis =
        KinesisClient.builder()
            .endpointOverride(URI.create(emulator.endpoint()))
            .region(Region.of(REGION))
            .credentialsProvider(
                StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")))
            .httpClient(UrlConnectionHttpClient.create())
            .overrideConfiguration(c -> c.apiCallTimeout(Duration.ofSeconds(60)))
            .build();
  }

  @AfterAll
  static void stopEmulator() {
    kinesis.close();
    emulator.close();
  }

  @Override
  protected int largePayload() {
    return 1_000_000; // a record's data is at most 1 MiB, its partition key included
  }

  @Override
  protected boolean declaresContentType() {
    return false; // a Kinesis record is its data alone
  }

  /** A stream whose units are its shards, in shard id order. */
  static final class KinesisStream implements Stream {
    final String name;
    final List<Shard> shards;

    /** Sequence numbers put, per shard, in order: a record's position is its rank. */
    final Map<Integer, List<BigInteger>> put = new ConcurrentHashMap<>();

    KinesisStream(String name, List<Shard> shards) {
      this.name = name;
      this.shards = shards;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public void publish(List<Message> messages) {
      for (int from = 0; from < messages.size(); from += 500) {
        List<Message> chunk = messages.subList(from, Math.min(messages.size(), from + 500));
        List<Message> pending = new ArrayList<>(chunk);
        while (!pending.isEmpty()) {
          // one unit's records in one request keep their order; failed ones are put again, after
          pending = putInOrder(pending);
        }
      }
    }

    /** Puts {@code messages}; returns those refused (throttled), to put again in order. */
    private List<Message> putInOrder(List<Message> messages) {
      List<PutRecordsRequestEntry> entries = new ArrayList<>();
      for (Message m : messages) {
        entries.add(
            PutRecordsRequestEntry.builder()
                .partitionKey(m.key() == null ? "unit-" + m.unit() : m.key())
                .explicitHashKey(shards.get(m.unit()).hashKeyRange().startingHashKey())
                .data(SdkBytes.fromByteArray(m.payload()))
                .build());
      }
      List<PutRecordsResultEntry> results =
          kinesis.putRecords(r -> r.streamName(name).records(entries)).records();
      List<Message> failed = new ArrayList<>();
      for (int i = 0; i < results.size(); i++) {
        PutRecordsResultEntry result = results.get(i);
        if (result.errorCode() != null
            && !result.errorCode().equals("ProvisionedThroughputExceededException")) {
          throw new IllegalStateException(
              "put refused: " + result.errorCode() + ": " + result.errorMessage());
        }
        if (result.errorCode() != null || !failed.isEmpty()) {
          // after a refused record, the rest of the chunk goes again too, so that order holds
          failed.add(messages.get(i));
          continue;
        }
        put.computeIfAbsent(
                messages.get(i).unit(), u -> Collections.synchronizedList(new ArrayList<>()))
            .add(new BigInteger(result.sequenceNumber()));
      }
      return failed;
    }

    long rank(int unit, String sequenceNumber) {
      List<BigInteger> list = put.getOrDefault(unit, List.of());
      synchronized (list) {
        List<BigInteger> sorted = new ArrayList<>(list);
        Collections.sort(sorted);
        return Collections.binarySearch(sorted, new BigInteger(sequenceNumber));
      }
    }

    /** The last sequence number put on each shard, by shard id. */
    Map<String, BigInteger> last() {
      Map<String, BigInteger> last = new HashMap<>();
      put.forEach(
          (unit, list) -> {
            synchronized (list) {
              last.put(shards.get(unit).shardId(), Collections.max(list));
            }
          });
      return last;
    }
  }

  private KinesisStream last;

  @Override
  protected Stream stream(String prefix, int units) {
    String name = TestFunctions.unique(prefix);
    kinesis.createStream(r -> r.streamName(name).shardCount(units));
    org.awaitility.Awaitility.await()
        .atMost(TIMEOUT)
        .until(
            () ->
                kinesis
                        .describeStreamSummary(r -> r.streamName(name))
                        .streamDescriptionSummary()
                        .streamStatus()
                    == StreamStatus.ACTIVE);
    List<Shard> shards = new ArrayList<>(kinesis.listShards(r -> r.streamName(name)).shards());
    shards.sort(java.util.Comparator.comparing(Shard::shardId));
    last = new KinesisStream(name, shards);
    return last;
  }

  private static KinesisTriggerSpec spec(KinesisStream stream) {
    KinesisTriggerSpec spec = new KinesisTriggerSpec();
    spec.setStream(stream.name());
    spec.setRegion(REGION);
    spec.setEndpoint(emulator.endpoint());
    spec.setStartFrom("trim_horizon");
    return spec;
  }

  @Override
  protected Binding bind(TriggerEngine engine, Stream stream, String function, Ordering ordering) {
    KinesisSettings d = KinesisSettings.defaults();
    KinesisSource source =
        new KinesisSource(
            engine,
            new KinesisSettings(
                d.recordsPerRead(),
                d.readInterval(),
                Duration.ofSeconds(2),
                d.throttleBackoff(),
                Duration.ofSeconds(5),
                d.idleInterval()),
            new InMemoryShardCoordinator("contract", null),
            (namespace, secret) ->
                StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")));
    KinesisTriggerSpec spec = spec((KinesisStream) stream);
    spec.setFunctionSelector(selecting(function));
    spec.setOrdering(ordering.label());
    return bindThrough(engine, source, function, spec);
  }

  @Override
  protected Deployment deploy(Stream stream, RecordingFunction function) {
    KinesisStream kinesisStream = (KinesisStream) stream;
    MockApiServer api = MockApiServer.withCrds("kinesistriggers", "functions");
    KubernetesClient client = api.client();
    String ns = TestFunctions.unique("contract");
    TestFunctions.create(client, ns, function, Map.of("app", "counter"), true);
    KinesisTrigger trigger = new KinesisTrigger();
    trigger.setMetadata(new ObjectMetaBuilder().withName("count").withNamespace(ns).build());
    KinesisTriggerSpec spec = spec(kinesisStream);
    spec.setFunctionName(function.name());
    trigger.setSpec(spec);
    client.resource(trigger).create();
    return packaged(api, identity -> replica(api, identity), () -> drained(client, kinesisStream));
  }

  /**
   * Two live replicas split a 4-shard stream through their Leases; one is SIGKILLed mid-stream: the
   * other takes its shards over from their checkpoints once the Leases expire, with 0 duplicates
   * and a loss within one read per shard.
   */
  @org.junit.jupiter.api.Test
  void twoReplicasSplitTheShardsAndTheSurvivorTakesOverFromTheCheckpoints() throws Exception {
    KinesisStream stream = (KinesisStream) stream("takeover", 4);
    RecordingFunction f = new RecordingFunction("counter");
    f.delay(Duration.ofMillis(2));
    int records = 8000;
    stream.publish(
        java.util.stream.IntStream.range(0, records)
            .mapToObj(i -> Message.json(i % 4, null, i))
            .toList());
    MockApiServer api = MockApiServer.withCrds("kinesistriggers", "functions");
    KubernetesClient client = api.client();
    String ns = TestFunctions.unique("takeover");
    TestFunctions.create(client, ns, f, Map.of("app", "counter"), true);
    KinesisTrigger trigger = new KinesisTrigger();
    trigger.setMetadata(new ObjectMetaBuilder().withName("count").withNamespace(ns).build());
    KinesisTriggerSpec spec = spec(stream);
    spec.setFunctionName(f.name());
    trigger.setSpec(spec);
    client.resource(trigger).create();
    try (f;
        PackagedApp a = replica(api, "replica-a");
        PackagedApp b = replica(api, "replica-b")) {
      // each holds the Leases of two shards (status shows the same owners, written with
      // server-side apply, which this mock API server does not take: the Leases are the truth)
      org.awaitility.Awaitility.await()
          .atMost(TIMEOUT)
          .until(() -> holders(client).equals(Map.of("replica-a", 2L, "replica-b", 2L)));
      org.awaitility.Awaitility.await().atMost(TIMEOUT).until(() -> f.distinct() >= records / 4);
      b.kill();
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofMinutes(4))
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> drained(client, stream));
      org.awaitility.Awaitility.await()
          .atMost(TIMEOUT)
          .until(() -> holders(client).equals(Map.of("replica-a", 4L)));
      // checkpointed before sent: a may still be sending the last read of each shard
      org.awaitility.Awaitility.await()
          .atMost(TIMEOUT)
          .pollInterval(Duration.ofSeconds(2))
          .until(new io.kubeless.testing.StableCount(f));
      int lost = records - f.distinct();
      System.out.printf(
          "KinesisContractIT, two replicas, one SIGKILLed: sent %d, received %d (distinct %d),"
              + " duplicates %d, lost %d, bound %d%n",
          records, f.received(), f.distinct(), f.duplicates().size(), lost, RECORDS_PER_READ * 2);
      org.assertj.core.api.Assertions.assertThat(f.duplicates()).as("delivered twice").isEmpty();
      // the killed replica held two shards: at most one read of each was taken and not sent
      org.assertj.core.api.Assertions.assertThat(lost).isLessThanOrEqualTo(RECORDS_PER_READ * 2);
    } finally {
      api.close();
    }
  }

  /** How many shard Leases each live replica holds. */
  private static Map<String, Long> holders(KubernetesClient client) {
    return client
        .leases()
        .inAnyNamespace()
        .withLabel("kubeless.io/kinesis-lease", "shard")
        .list()
        .getItems()
        .stream()
        .filter(l -> l.getSpec().getHolderIdentity() != null)
        .filter(
            l ->
                l.getSpec().getRenewTime() != null
                    && l.getSpec()
                        .getRenewTime()
                        .toInstant()
                        .plusSeconds(l.getSpec().getLeaseDurationSeconds())
                        .isAfter(java.time.Instant.now()))
        .collect(
            java.util.stream.Collectors.groupingBy(
                l -> l.getSpec().getHolderIdentity(), java.util.stream.Collectors.counting()));
  }

  /** Whether every shard's checkpoint (in its Lease) is the last record put on it. */
  private static boolean drained(KubernetesClient client, KinesisStream stream) {
    Map<String, BigInteger> last = stream.last();
    Map<String, String> checkpoints = new HashMap<>();
    for (Lease lease : client.leases().inAnyNamespace().list().getItems()) {
      Map<String, String> annotations = lease.getMetadata().getAnnotations();
      if (annotations == null || !annotations.containsKey(LeaseShardCoordinator.CHECKPOINT)) {
        continue;
      }
      String shard = annotations.get("kubeless.io/shard");
      if (shard == null && lease.getMetadata().getLabels() != null) {
        shard = lease.getMetadata().getLabels().get("kubeless.io/shard");
      }
      if (shard == null) {
        continue;
      }
      // the Lease names the shard by its stream and id
      checkpoints.put(
          shard.substring(shard.lastIndexOf('/') + 1),
          annotations.get(LeaseShardCoordinator.CHECKPOINT));
    }
    return last.entrySet().stream()
        .allMatch(
            e -> {
              String checkpoint = checkpoints.get(e.getKey());
              return checkpoint != null
                  && !checkpoint.isEmpty()
                  && Character.isDigit(checkpoint.charAt(0))
                  && new BigInteger(checkpoint).compareTo(e.getValue()) >= 0;
            });
  }

  private static PackagedApp replica(MockApiServer api, String identity) {
    return packagedTrigger(api)
        // the recording function listens on 127.0.0.1, on its Function's Service port
        .property("kubeless.trigger.functions.url-template", "http://127.0.0.1:{port}")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_REGION", REGION)
        .property("kubeless.kinesis.records-per-read", String.valueOf(RECORDS_PER_READ))
        .property("kubeless.kinesis.lease-duration", "4s")
        .property("kubeless.kinesis.renew-interval", "1s")
        .property("kubeless.kinesis.discovery-interval", "2s")
        .start(identity);
  }

  @Override
  protected int unit(RecordingFunction.Request request) {
    String id = request.eventId();
    int at = id.indexOf("shardId-");
    return Integer.parseInt(id.substring(at + 8, at + 20));
  }

  @Override
  protected long position(RecordingFunction.Request request) {
    String id = request.eventId();
    String sequence = id.substring(id.lastIndexOf('-') + 1);
    return last.rank(unit(request), sequence);
  }

  @Override
  protected int lossBoundPerKill(int units) {
    return RECORDS_PER_READ * units;
  }
}
