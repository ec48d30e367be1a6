package io.kubeless.kinesis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.KinesisTrigger;
import io.kubeless.api.v1beta1.KinesisTriggerSpec;
import io.kubeless.api.v1beta1.ShardStatus;
import io.kubeless.api.v1beta1.TriggerStatus;
import io.kubeless.testing.KinesisLocal;
import io.kubeless.testing.KubeCluster;
import io.kubeless.testing.PackagedApp;
import io.kubeless.testing.RecordingFunction;
import io.kubeless.testing.StableCount;
import io.kubeless.testing.TestFunctions;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.coordination.BindingKey;
import io.kubeless.trigger.kubernetes.LeaseShardCoordinator;
import java.math.BigInteger;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
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
 * The packaged Kinesis trigger on a real API server, installed with {@code kubectl apply -k
 * k8s/kinesis-trigger} and running as its ServiceAccount under the manifests' RBAC, with its
 * shipped configuration (server-side apply on), against the kinesis-local emulator: {@code
 * status.shards} written by server-side apply, a missing stream and missing credentials as
 * conditions with a Warning Event, and the shard Leases balanced across two replicas, handed over
 * at once on SIGTERM and after their expiry on SIGKILL, with no record delivered twice.
 */
class KinesisClusterIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(120);
  private static final String ACCOUNT = "kubeless-kinesis-trigger";
  private static final String REGION = "us-east-1";
  private static final int RECORDS_PER_READ = 100;
  private static final Duration LEASE_DURATION = Duration.ofSeconds(6);

  private static KubeCluster cluster;
  private static KubernetesClient admin;
  private static KinesisLocal emulator;
  private static KinesisClient kinesis;

  @BeforeAll
  static void install() {
    cluster = KubeCluster.shared();
    admin = cluster.admin();
    cluster.install("kinesis-trigger");
    // the Functions' CRD, which the function controller's installation brings
    cluster.install("crds/functions");
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
    if (kinesis != null) {
      kinesis.close();
    }
    if (emulator != null) {
      emulator.close();
    }
  }

  @Test
  void statusShardsAreWrittenByServerSideApplyUnderTheManifestsPermissions() throws Exception {
    String ns = cluster.newNamespace("kin-status");
    Stream stream = stream("status", 3);
    try (RecordingFunction f = new RecordingFunction("counter");
        PackagedApp replica = replica("kin-status-0")) {
      TestFunctions.create(admin, ns, f, Map.of("app", "counter"), true);
      admin.resource(trigger(ns, "count", stream.name, f.name(), null)).create();
      admin.resource(trigger(ns, "missing", "no-such-stream-" + ns, f.name(), null)).create();
      stream.publish(30);

      await().atMost(TIMEOUT).until(() -> f.distinct() >= 30);
      assertThat(f.duplicates()).isEmpty();

      TriggerStatus status =
          await()
              .atMost(TIMEOUT)
              .until(
                  () -> status(ns, "count"),
                  s ->
                      s != null
                          && isTrue(ready(s))
                          && s.getShards() != null
                          && s.getShards().size() == 3
                          && s.getShards().stream()
                              .allMatch(
                                  shard ->
                                      "kin-status-0".equals(shard.getOwner())
                                          && shard.getMillisBehindLatest() != null));
      assertThat(status.getShards())
          .extracting(ShardStatus::getShard)
          .containsExactlyInAnyOrderElementsOf(stream.shardIds());
      assertThat(status.getShards())
          .allSatisfy(s -> assertThat(s.getFunction()).isEqualTo("counter"));
      KinesisTrigger written = get(ns, "count");
      assertThat(written.getMetadata().getManagedFields())
          .as("status written by server-side apply")
          .anySatisfy(
              m -> {
                assertThat(m.getOperation()).isEqualTo("Apply");
                assertThat(m.getSubresource()).isEqualTo("status");
              });
      assertThat(
              written.getMetadata().getManagedFields().stream()
                  .filter(m -> "status".equals(m.getSubresource()))
                  .map(ManagedFieldsEntry::getOperation))
          .containsOnly("Apply");

      String table = cluster.kubectl("get", "kinesistriggers", "-n", ns);
      assertThat(table.lines().findFirst().orElseThrow().split("\\s+"))
          .containsExactly("NAME", "AGE", "FUNCTION", "STREAM", "READY");
      assertThat(table.lines().filter(l -> l.startsWith("count ")).findFirst().orElseThrow())
          .contains(stream.name)
          .contains("counter")
          .contains("True");

      // a stream that does not exist: Ready=False with the reason, a Warning Event, no crash
      Condition missing =
          await()
              .atMost(TIMEOUT)
              .until(
                  () -> ready(status(ns, "missing")),
                  c -> c != null && "False".equals(c.getStatus()));
      assertThat(missing.getReason()).isEqualTo("StreamNotFound");
      assertThat(missing.getMessage()).contains("no-such-stream-" + ns);
      assertThat(
              await()
                  .atMost(TIMEOUT)
                  .until(() -> warning(ns, "missing", "StreamNotFound"), Optional::isPresent))
          .isPresent();
      assertThat(replica.isAlive()).isTrue();
      stream.publish(30);
      await().atMost(TIMEOUT).until(() -> f.distinct() >= 60);
      assertThat(f.duplicates()).isEmpty();
      assertThat(replica.terminate(Duration.ofSeconds(40))).isTrue();
    } finally {
      admin.resources(KinesisTrigger.class).inNamespace(ns).delete();
    }
  }

  @Test
  void shardLeasesAreBalancedAndHandedOverOnSigtermAndAfterExpiryOnSigkill() throws Exception {
    String ns = cluster.newNamespace("kin-lease");
    Stream stream = stream("lease", 4);
    int batch = 2000;
    try (RecordingFunction f = new RecordingFunction("counter");
        PackagedApp a = replica("kin-lease-a");
        PackagedApp b = replica("kin-lease-b")) {
      f.delay(Duration.ofMillis(2));
      TestFunctions.create(admin, ns, f, Map.of("app", "counter"), true);
      stream.publish(batch);
      admin.resource(trigger(ns, "count", stream.name, f.name(), null)).create();

      // two replicas: two shards each, and status.shards says so
      await()
          .atMost(TIMEOUT)
          .until(() -> holders(ns).equals(Map.of("kin-lease-a", 2L, "kin-lease-b", 2L)));
      await()
          .atMost(TIMEOUT)
          .until(
              () -> owners(status(ns, "count")),
              o -> o.equals(Map.of("kin-lease-a", 2L, "kin-lease-b", 2L)));
      await().atMost(TIMEOUT).until(() -> f.distinct() >= batch / 4);

      // SIGTERM a: its shards are released when it exits, and b takes them before they expire
      Map<String, Lease> before = shardLeases(ns);
      assertThat(a.terminate(Duration.ofSeconds(40))).as("stopped within 40 s").isTrue();
      Instant stopped = Instant.now();
      Map<String, Lease> released = shardLeases(ns);
      for (Lease lease : before.values()) {
        if ("kin-lease-a".equals(lease.getSpec().getHolderIdentity())) {
          assertThat(holder(released.get(lease.getMetadata().getName())))
              .as("released when the process exited")
              .isNotEqualTo("kin-lease-a");
        }
      }
      await().atMost(TIMEOUT).until(() -> holders(ns).equals(Map.of("kin-lease-b", 4L)));
      for (Lease lease : before.values()) {
        if ("kin-lease-a".equals(lease.getSpec().getHolderIdentity())) {
          Lease taken = shardLeases(ns).get(lease.getMetadata().getName());
          assertThat(taken.getSpec().getAcquireTime().toInstant())
              .as("taken over at once, sooner than a crashed replica's shards move")
              .isBefore(stopped.plus(LEASE_DURATION));
        }
      }
      await().atMost(TIMEOUT).until(() -> drained(ns, stream));
      await().atMost(TIMEOUT).until(() -> f.distinct() >= batch);
      assertThat(f.duplicates()).as("delivered twice across the stop").isEmpty();
      assertThat(f.distinct()).as("a graceful stop loses nothing").isEqualTo(batch);
      await()
          .atMost(TIMEOUT)
          .until(() -> owners(status(ns, "count")), o -> o.equals(Map.of("kin-lease-b", 4L)));

      // a third replica joins: b gives two shards up; then c is SIGKILLed mid-stream
      try (PackagedApp c = replica("kin-lease-c")) {
        await()
            .atMost(TIMEOUT)
            .until(() -> holders(ns).equals(Map.of("kin-lease-b", 2L, "kin-lease-c", 2L)));
        stream.publish(batch);
        await().atMost(TIMEOUT).until(() -> f.distinct() >= batch + batch / 4);
        Map<String, Lease> beforeKill = shardLeases(ns);
        // c's shard Leases live as long as its membership Lease, its heartbeat
        Lease membership =
            admin
                .leases()
                .inNamespace("kubeless")
                .withName(LeaseShardCoordinator.memberLeaseName("kinesis", "kin-lease-c"))
                .get();
        c.kill();
        Instant killedAt = Instant.now();
        await().atMost(TIMEOUT).until(() -> holders(ns).equals(Map.of("kin-lease-b", 4L)));
        for (Lease lease : beforeKill.values()) {
          if ("kin-lease-c".equals(lease.getSpec().getHolderIdentity())) {
            Lease taken = shardLeases(ns).get(lease.getMetadata().getName());
            assertThat(taken.getSpec().getAcquireTime().toInstant())
                .as("taken over once the killed replica's membership Lease expired")
                .isAfterOrEqualTo(expiry(membership).minusSeconds(1));
          }
        }
        await().atMost(TIMEOUT).until(() -> drained(ns, stream));
        // checkpointed before sent: b may still be sending the last read of each shard
        await().atMost(TIMEOUT).pollInterval(Duration.ofSeconds(2)).until(new StableCount(f));
        int lost = 2 * batch - f.distinct();
        System.out.printf(
            "KinesisClusterIT: sent %d, received %d (distinct %d), duplicates %d, lost %d,"
                + " bound %d%n",
            2 * batch,
            f.received(),
            f.distinct(),
            f.duplicates().size(),
            lost,
            (RECORDS_PER_READ + 1) * 2);
        assertThat(f.duplicates()).as("delivered twice across the kill").isEmpty();
        // c held two shards: at most one read of each was taken and not sent, plus, per shard, the
        // request in flight when it died (it had left, so it is not sent again, but it may not
        // have arrived)
        assertThat(lost).isBetween(0, (RECORDS_PER_READ + 1) * 2);
        TriggerStatus after =
            await()
                .atMost(TIMEOUT)
                .until(
                    () -> status(ns, "count"),
                    s -> owners(s).equals(Map.of("kin-lease-b", 4L)) && isTrue(ready(s)));
        assertThat(after.getShards())
            .allSatisfy(s -> assertThat(s.getMillisBehindLatest()).isNotNull());
        assertThat(killedAt).isBefore(Instant.now());
      }
      // deleted, the trigger leaves none of its shard Leases behind (c's had expired)
      admin.resources(KinesisTrigger.class).inNamespace(ns).withName("count").delete();
      await().atMost(TIMEOUT).until(() -> shardLeases(ns).isEmpty());
      assertThat(b.terminate(Duration.ofSeconds(40))).isTrue();
    } finally {
      admin.resources(KinesisTrigger.class).inNamespace(ns).delete();
    }
  }

  @Test
  void theShardLeasesOfATriggerOrFunctionDeletedWhileNoReplicaRanAreDeletedByTheNextReplica()
      throws Exception {
    String ns = cluster.newNamespace("kin-stale");
    Stream stream = stream("stale", 1);
    String shard = stream.name + "/" + stream.shardIds().getFirst();
    try (RecordingFunction f = new RecordingFunction("counter")) {
      TestFunctions.create(admin, ns, f, Map.of("app", "counter"), true);
      try (PackagedApp a = replica("kin-stale-a")) {
        admin.resource(trigger(ns, "gone", stream.name, f.name(), null)).create();
        stream.publish(5);
        await().atMost(TIMEOUT).until(() -> f.distinct() == 5 && drained(ns, stream));
        // killed: nothing retires the binding, and the trigger is deleted while no replica runs
        a.kill();
      }
    }
    admin.resources(KinesisTrigger.class).inNamespace(ns).withName("gone").delete();
    Lease left = shardLeases(ns).values().stream().findFirst().orElseThrow();
    assertThat(left.getMetadata().getAnnotations())
        .containsEntry("kubeless.io/trigger", "gone")
        .containsEntry("kubeless.io/shard", shard);
    // an hour passes; alike Leases of a trigger that exists (bound to a function that does not):
    // one of that function, deleted while no replica ran, and one of the Function that exists,
    // which the trigger no longer selects (relabelled or renamed away while no replica ran); and
    // one of a trigger whose spec is invalid now, which stays for the spec's fix
    admin.resource(trigger(ns, "kept", stream.name, "absent", null)).create();
    KinesisTrigger broken = trigger(ns, "broken", stream.name, "counter", null);
    broken
        .getSpec()
        .setFunctionSelector(
            new io.fabric8.kubernetes.api.model.LabelSelectorBuilder()
                .withMatchLabels(Map.of("app", "counter"))
                .build());
    admin.resource(broken).create();
    java.time.ZonedDateTime hourAgo =
        java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).minusHours(1);
    admin
        .leases()
        .inNamespace("kubeless")
        .withName(left.getMetadata().getName())
        .edit(l -> new LeaseBuilder(l).editSpec().withRenewTime(hourAgo).endSpec().build());
    String gone = left.getMetadata().getName();
    String absent = copy(left, new BindingKey(new TriggerId(ns, "kept"), "absent"), shard);
    String deselected = copy(left, new BindingKey(new TriggerId(ns, "kept"), "counter"), shard);
    String kept = copy(left, new BindingKey(new TriggerId(ns, "broken"), "counter"), shard);

    // the next replica looks for such Leases a minute after it starts
    try (PackagedApp b = replica("kin-stale-b")) {
      await()
          .atMost(Duration.ofSeconds(150))
          .until(
              () ->
                  admin.leases().inNamespace("kubeless").withName(gone).get() == null
                      && admin.leases().inNamespace("kubeless").withName(absent).get() == null
                      && admin.leases().inNamespace("kubeless").withName(deselected).get() == null);
      assertThat(admin.leases().inNamespace("kubeless").withName(kept).get()).isNotNull();
      assertThat(b.isAlive()).isTrue();
    } finally {
      admin.resources(KinesisTrigger.class).inNamespace(ns).delete();
      admin.leases().inNamespace("kubeless").withName(kept).delete();
    }
  }

  /** A copy of {@code lease} (as old) for another binding's shard; returns its name. */
  private static String copy(Lease lease, BindingKey binding, String shard) {
    String name = LeaseShardCoordinator.leaseName("kinesis", binding, shard);
    admin
        .resource(
            new LeaseBuilder(lease)
                .editMetadata()
                .withName(name)
                .withResourceVersion(null)
                .withUid(null)
                .withCreationTimestamp(null)
                .withManagedFields(List.of())
                .addToLabels("kubeless.io/trigger", binding.trigger().name())
                .addToLabels("kubeless.io/function", binding.function())
                .addToLabels(
                    LeaseShardCoordinator.bindingLabelKey("kinesis"),
                    LeaseShardCoordinator.bindingLabel(binding))
                .addToAnnotations("kubeless.io/trigger", binding.trigger().name())
                .addToAnnotations("kubeless.io/function", binding.function())
                .endMetadata()
                .editSpec()
                .withRenewTime(java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).minusHours(1))
                .endSpec()
                .build())
        .create();
    return name;
  }

  @Test
  void missingCredentialsAreAConditionNotACrash() throws Exception {
    String ns = cluster.newNamespace("kin-creds");
    Stream stream = stream("creds", 1);
    try (RecordingFunction f = new RecordingFunction("counter");
        PackagedApp replica = replica("kin-creds-0")) {
      TestFunctions.create(admin, ns, f, Map.of("app", "counter"), true);
      admin.resource(trigger(ns, "no-secret", stream.name, f.name(), "absent")).create();
      admin
          .resource(
              new SecretBuilder()
                  .withNewMetadata()
                  .withName("partial")
                  .withNamespace(ns)
                  .endMetadata()
                  .addToStringData("aws_access_key_id", "local")
                  .build())
          .create();
      // another stream: one function receives a stream through one trigger only
      admin.resource(trigger(ns, "no-key", stream("creds", 1).name, f.name(), "partial")).create();
      stream.publish(5);

      Condition absent =
          await()
              .atMost(TIMEOUT)
              .until(
                  () -> ready(status(ns, "no-secret")),
                  c -> c != null && "CredentialsInvalid".equals(c.getReason()));
      assertThat(absent.getStatus()).isEqualTo("False");
      assertThat(absent.getMessage()).contains("absent").contains("not found");
      Condition partial =
          await()
              .atMost(TIMEOUT)
              .until(
                  () -> ready(status(ns, "no-key")),
                  c -> c != null && "CredentialsInvalid".equals(c.getReason()));
      assertThat(partial.getStatus()).isEqualTo("False");
      assertThat(partial.getMessage()).contains("aws_secret_access_key").doesNotContain("local");
      assertThat(
              await()
                  .atMost(TIMEOUT)
                  .until(() -> warning(ns, "no-secret", "CredentialsInvalid"), Optional::isPresent))
          .isPresent();
      assertThat(f.received()).isZero();
      assertThat(replica.isAlive()).isTrue();

      // the Secret is created: the trigger reads it and delivers
      admin
          .resource(
              new SecretBuilder()
                  .withNewMetadata()
                  .withName("absent")
                  .withNamespace(ns)
                  .endMetadata()
                  .addToStringData("aws_access_key_id", "local")
                  .addToStringData("aws_secret_access_key", "local")
                  .build())
          .create();
      await()
          .atMost(TIMEOUT)
          .until(() -> status(ns, "no-secret"), s -> s != null && isTrue(ready(s)));
      await().atMost(TIMEOUT).until(() -> f.distinct() >= 5);
      assertThat(f.duplicates()).isEmpty();
      assertThat(replica.terminate(Duration.ofSeconds(40))).isTrue();
    } finally {
      admin.resources(KinesisTrigger.class).inNamespace(ns).delete();
    }
  }

  private static PackagedApp replica(String identity) {
    return PackagedApp.of("kubeless.trigger.jar")
        .cluster(cluster, ACCOUNT)
        // the AWS default chain, for triggers without spec.secret
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_REGION", REGION)
        // kubeless.trigger.functions.url-template: recording functions listen on 127.0.0.1, on
        // their Function's Service port
        .env("KUBELESS_TRIGGER_FUNCTIONS_URL_TEMPLATE", "http://127.0.0.1:{port}")
        .property("kubeless.trigger.status-interval", "1s")
        .property("kubeless.kinesis.records-per-read", String.valueOf(RECORDS_PER_READ))
        .property("kubeless.kinesis.lease-duration", LEASE_DURATION.toSeconds() + "s")
        .property("kubeless.kinesis.renew-interval", "1s")
        .property("kubeless.kinesis.discovery-interval", "2s")
        .start(identity);
  }

  private static KinesisTrigger trigger(
      String ns, String name, String stream, String function, String secret) {
    KinesisTriggerSpec spec = new KinesisTriggerSpec();
    spec.setStream(stream);
    spec.setRegion(REGION);
    spec.setEndpoint(emulator.endpoint());
    spec.setStartFrom("trim_horizon");
    spec.setFunctionName(function);
    spec.setSecret(secret);
    KinesisTrigger trigger = new KinesisTrigger();
    trigger.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
    trigger.setSpec(spec);
    return trigger;
  }

  /** A stream of the emulator, and what was put on it. */
  private static final class Stream {
    final String name;
    final List<Shard> shards;
    final Map<String, BigInteger> last = new HashMap<>();
    int published;

    Stream(String name, List<Shard> shards) {
      this.name = name;
      this.shards = shards;
    }

    List<String> shardIds() {
      return shards.stream().map(Shard::shardId).toList();
    }

    /** Puts {@code count} records, spread evenly over the shards (explicit hash keys). */
    synchronized void publish(int count) {
      for (int from = 0; from < count; from += 500) {
        List<PutRecordsRequestEntry> entries = new ArrayList<>();
        for (int i = from; i < Math.min(count, from + 500); i++) {
          Shard shard = shards.get(i % shards.size());
          entries.add(
              PutRecordsRequestEntry.builder()
                  .partitionKey("key-" + i)
                  .explicitHashKey(shard.hashKeyRange().startingHashKey())
                  .data(
                      SdkBytes.fromString(
                          "{\"n\":" + (published + i) + "}", StandardCharsets.UTF_8))
                  .build());
        }
        List<PutRecordsResultEntry> results =
            kinesis.putRecords(r -> r.streamName(name).records(entries)).records();
        for (PutRecordsResultEntry result : results) {
          assertThat(result.errorCode()).as(result.errorMessage()).isNull();
          last.merge(result.shardId(), new BigInteger(result.sequenceNumber()), BigInteger::max);
        }
      }
      published += count;
    }
  }

  private static Stream stream(String prefix, int shards) {
    String name = TestFunctions.unique(prefix);
    kinesis.createStream(r -> r.streamName(name).shardCount(shards));
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                kinesis
                        .describeStreamSummary(r -> r.streamName(name))
                        .streamDescriptionSummary()
                        .streamStatus()
                    == StreamStatus.ACTIVE);
    List<Shard> list = new ArrayList<>(kinesis.listShards(r -> r.streamName(name)).shards());
    list.sort(Comparator.comparing(Shard::shardId));
    return new Stream(name, list);
  }

  /** The shard Leases of the triggers of {@code ns}, by name. */
  private static Map<String, Lease> shardLeases(String ns) {
    return admin
        .leases()
        .inNamespace("kubeless")
        .withLabel(LeaseShardCoordinator.roleLabel("kinesis"), LeaseShardCoordinator.SHARD)
        .withLabel("kubeless.io/namespace", ns)
        .list()
        .getItems()
        .stream()
        .collect(Collectors.toMap(l -> l.getMetadata().getName(), l -> l));
  }

  /** How many unexpired shard Leases each replica holds. */
  private static Map<String, Long> holders(String ns) {
    Instant now = Instant.now();
    return shardLeases(ns).values().stream()
        .filter(l -> holder(l) != null && l.getSpec().getRenewTime() != null)
        .filter(l -> expiry(l).isAfter(now))
        .collect(Collectors.groupingBy(KinesisClusterIT::holder, Collectors.counting()));
  }

  /** Whether every shard's checkpoint is the last record put on it. */
  private static boolean drained(String ns, Stream stream) {
    Map<String, String> checkpoints = new HashMap<>();
    for (Lease lease : shardLeases(ns).values()) {
      Map<String, String> annotations = lease.getMetadata().getAnnotations();
      if (annotations != null && annotations.containsKey(LeaseShardCoordinator.CHECKPOINT)) {
        // the Lease names the shard by its stream and id
        String shard = annotations.get("kubeless.io/shard");
        checkpoints.put(
            shard.substring(shard.lastIndexOf('/') + 1),
            annotations.get(LeaseShardCoordinator.CHECKPOINT));
      }
    }
    synchronized (stream) {
      return stream.last.entrySet().stream()
          .allMatch(
              e -> {
                String checkpoint = checkpoints.get(e.getKey());
                return checkpoint != null
                    && !checkpoint.isEmpty()
                    && Character.isDigit(checkpoint.charAt(0))
                    && new BigInteger(checkpoint).compareTo(e.getValue()) >= 0;
              });
    }
  }

  private static Instant expiry(Lease lease) {
    return lease
        .getSpec()
        .getRenewTime()
        .toInstant()
        .plusSeconds(lease.getSpec().getLeaseDurationSeconds());
  }

  private static String holder(Lease lease) {
    if (lease == null || lease.getSpec() == null) {
      return null;
    }
    String holder = lease.getSpec().getHolderIdentity();
    return holder == null || holder.isEmpty() ? null : holder;
  }

  /** How many shards each replica reads, as status.shards says. */
  private static Map<String, Long> owners(TriggerStatus status) {
    if (status == null || status.getShards() == null) {
      return Map.of();
    }
    return status.getShards().stream()
        .filter(s -> s.getOwner() != null)
        .collect(Collectors.groupingBy(ShardStatus::getOwner, Collectors.counting()));
  }

  private static KinesisTrigger get(String ns, String name) {
    return admin.resources(KinesisTrigger.class).inNamespace(ns).withName(name).get();
  }

  private static TriggerStatus status(String ns, String name) {
    KinesisTrigger t = get(ns, name);
    return t == null ? null : t.getStatus();
  }

  private static Condition ready(TriggerStatus status) {
    return Conditions.find(status, Conditions.READY).orElse(null);
  }

  private static boolean isTrue(Condition condition) {
    return condition != null && "True".equals(condition.getStatus());
  }

  private static Optional<Event> warning(String ns, String name, String reason) {
    return admin.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(
            e ->
                "Warning".equals(e.getType())
                    && reason.equals(e.getReason())
                    && name.equals(e.getInvolvedObject().getName()))
        .findFirst();
  }
}
