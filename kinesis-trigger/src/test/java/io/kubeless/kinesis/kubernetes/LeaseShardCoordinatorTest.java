package io.kubeless.kinesis.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.kubeless.testing.MockApiServer;
import io.kubeless.testing.TestFunctions;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.coordination.BindingKey;
import io.kubeless.trigger.coordination.LostShardException;
import io.kubeless.trigger.coordination.ShardCoordinator;
import io.kubeless.trigger.engine.FunctionSelection;
import io.kubeless.trigger.kubernetes.LeaseShardCoordinator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Shard Leases on fabric8's mock API server in CRUD mode (which rejects a stale resourceVersion, as
 * a real one does): fair shares, takeover after a crash or a graceful stop, checkpoints only by the
 * owner. Leases last 2 s, renewed every 500 ms.
 */
class LeaseShardCoordinatorTest {

  private static final Duration LEASE = Duration.ofSeconds(2);
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final List<String> SHARDS =
      List.of(
          "shardId-000000000000",
          "shardId-000000000001",
          "shardId-000000000002",
          "shardId-000000000003");

  private static MockApiServer api;
  private final List<AutoCloseable> closing = new ArrayList<>();
  private String namespace;

  @BeforeAll
  static void startApiServer() {
    api = MockApiServer.withCrds();
  }

  @AfterAll
  static void stopApiServer() {
    api.close();
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closing.reversed()) {
      c.close();
    }
  }

  @Test
  void twoReplicasShareFourShardsTwoAndTwoOnceBothAreMembers() {
    var a = replica("a");
    var b = replica("b");
    BindingKey binding = binding("orders");
    awaitMembers(2);

    awaitSplit(binding, a, b);

    // the owners, as status shows them, are the Leases' live holders (as b's cache sees them)
    Set<String> ofA = a.claim(binding, SHARDS);
    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () -> {
              Map<String, String> owners = b.owners(binding);
              assertThat(owners).containsOnlyKeys(SHARDS);
              ofA.forEach(shard -> assertThat(owners).containsEntry(shard, "a"));
              assertThat(owners.values()).containsOnly("a", "b").filteredOn("b"::equals).hasSize(2);
            });
  }

  @Test
  void aCrashedReplicasShardsAreTakenOverAfterTheLeaseDurationWithTheirCheckpoints()
      throws Exception {
    KubernetesClient ofA = client();
    var a = replica("a", ofA);
    var b = replica("b");
    BindingKey binding = binding("crash");
    awaitMembers(2);
    Set<String> aShards = awaitSplit(binding, a, b);
    for (String shard : aShards) {
      a.checkpoint(binding, shard, "4960000000000000000" + shard.charAt(shard.length() - 1));
    }

    // SIGKILL, as the cluster sees it: a stops renewing anything, releases nothing
    ofA.close();

    await().atMost(TIMEOUT).until(() -> b.claim(binding, SHARDS), mine -> mine.containsAll(SHARDS));
    for (String shard : aShards) {
      assertThat(b.checkpoint(binding, shard))
          .contains("4960000000000000000" + shard.charAt(shard.length() - 1));
    }
    // owners read b's cache of the Leases, which follows within moments
    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () -> {
              assertThat(b.owners(binding)).containsOnlyKeys(SHARDS);
              assertThat(b.owners(binding).values()).containsOnly("b");
            });
  }

  @Test
  void aGracefulStopHandsItsShardsOverAtOnceKeepingTheirCheckpoints() throws Exception {
    var a = replica("a");
    var b = replica("b");
    BindingKey binding = binding("stop");
    awaitMembers(2);
    Set<String> aShards = awaitSplit(binding, a, b);
    for (String shard : aShards) {
      a.checkpoint(binding, shard, "seq-" + shard);
    }

    a.close();

    // a's membership Lease is gone with it: b's share is every shard, and none waits to expire
    assertThat(memberLeases()).extracting(l -> l.getSpec().getHolderIdentity()).containsOnly("b");
    // (as soon as b's cache of the Leases has seen a go)
    await().atMost(TIMEOUT).until(() -> b.claim(binding, SHARDS), mine -> mine.containsAll(SHARDS));
    for (String shard : aShards) {
      assertThat(b.checkpoint(binding, shard)).contains("seq-" + shard);
    }
  }

  @Test
  void aJoiningReplicaGetsItsShareFromOneThatHeldEverything() {
    var a = replica("a");
    BindingKey binding = binding("join");
    awaitMembers(1);
    assertThat(a.claim(binding, SHARDS)).containsExactlyInAnyOrderElementsOf(SHARDS);

    var b = replica("b");
    awaitMembers(2);
    // a's share halves once its cache of the Leases has seen b's membership
    Set<String> kept =
        await().atMost(TIMEOUT).until(() -> a.claim(binding, SHARDS), mine -> mine.size() == 2);
    // the reader stops the two it no longer has, checkpoints them and gives them up
    SHARDS.stream().filter(s -> !kept.contains(s)).forEach(s -> a.release(binding, s));

    assertThat(
            await().atMost(TIMEOUT).until(() -> b.claim(binding, SHARDS), mine -> mine.size() == 2))
        .doesNotContainAnyElementsOf(kept)
        .containsExactlyInAnyOrderElementsOf(
            SHARDS.stream().filter(s -> !kept.contains(s)).toList());
  }

  @Test
  void aLiveReplicasIdleShardsAreNotWrittenAtEveryClaimAndMoveOnlyOnceItsMembershipExpires() {
    KubernetesClient ofA = client();
    var a = replica("a", ofA);
    var b = replica("b");
    BindingKey binding = binding("idle");
    awaitMembers(2);
    Set<String> ofTheA = awaitSplit(binding, a, b);
    Map<String, String> versions = versions();

    // claims of both, for longer than the lease duration: a's membership is renewed in the
    // background, so its shards stay a's without being written, and b's stay b's
    await()
        .during(LEASE.multipliedBy(2))
        .atMost(LEASE.multipliedBy(2).plus(TIMEOUT))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                a.claim(binding, SHARDS).equals(ofTheA)
                    && java.util.Collections.disjoint(b.claim(binding, SHARDS), ofTheA));
    assertThat(versions()).as("no shard Lease written").isEqualTo(versions);

    // a's process dies: its membership expires, and b takes a's shards then
    ofA.close();
    await().atMost(TIMEOUT).until(() -> b.claim(binding, SHARDS), mine -> mine.containsAll(SHARDS));
  }

  /** The resourceVersion of every shard Lease. */
  private Map<String, String> versions() {
    Map<String, String> versions = new java.util.TreeMap<>();
    shardLeases()
        .forEach(
            l -> versions.put(l.getMetadata().getName(), l.getMetadata().getResourceVersion()));
    return versions;
  }

  @Test
  void aCheckpointByAReplicaThatDoesNotOwnTheShardIsRefused() throws Exception {
    // shard Leases of 4 s: a's membership stays renewed, so only their own expiry frees them
    var a = replica("a", api.client(), Duration.ofSeconds(4));
    var b = replica("b", api.client(), Duration.ofSeconds(4));
    BindingKey binding = binding("lost");
    awaitMembers(2);
    List<String> one = List.of("shardId-000000000000");
    assertThat(a.claim(binding, one)).containsExactly("shardId-000000000000");
    a.checkpoint(binding, "shardId-000000000000", "100");

    assertThatThrownBy(() -> b.checkpoint(binding, "shardId-000000000000", "200"))
        .isInstanceOf(LostShardException.class)
        .hasMessageContaining("now a's");

    // a stops renewing (a stuck reader): once its Lease expires b takes the shard over, and a's
    // next checkpoint, written against the Lease it last saw, fails instead of overwriting b's
    await()
        .atMost(TIMEOUT)
        .until(() -> b.claim(binding, one), mine -> mine.equals(Set.copyOf(one)));
    b.checkpoint(binding, "shardId-000000000000", "300");
    assertThatThrownBy(() -> a.checkpoint(binding, "shardId-000000000000", "101"))
        .isInstanceOf(LostShardException.class)
        .hasMessageContaining("now b's");
    assertThat(a.checkpoint(binding, "shardId-000000000000")).contains("300");
  }

  @Test
  void shardEndRoundTripsAndOutlivesTheOwner() throws Exception {
    var a = replica("a");
    BindingKey binding = binding("end");
    List<String> parent = List.of("shardId-000000000000");
    assertThat(a.checkpoint(binding, "shardId-000000000000")).isEmpty();
    assertThat(a.claim(binding, parent)).containsExactly("shardId-000000000000");

    a.checkpoint(binding, "shardId-000000000000", ShardCoordinator.SHARD_END);
    a.release(binding, "shardId-000000000000");
    a.close();

    var c = replica("c");
    assertThat(c.checkpoint(binding, "shardId-000000000000")).contains(ShardCoordinator.SHARD_END);
    assertThat(c.owners(binding)).isEmpty();
  }

  @Test
  void shardLeasesAreNamedByHashAndSayWhatTheyHold() {
    var a = replica("kubeless-kinesis-trigger-7d9f8c6b5-x2x4z");
    BindingKey binding = binding("names");
    a.claim(binding, List.of("shardId-000000000007"));

    Lease lease =
        api.client()
            .resources(Lease.class)
            .inNamespace(namespace)
            .withName(LeaseShardCoordinator.leaseName("kinesis", binding, "shardId-000000000007"))
            .get();
    assertThat(lease.getMetadata().getName()).matches("kinesis-[0-9a-f]{16}");
    assertThat(lease.getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/managed-by", "kubeless-kinesis-trigger")
        .containsEntry(LeaseShardCoordinator.roleLabel("kinesis"), LeaseShardCoordinator.SHARD)
        .containsEntry(
            LeaseShardCoordinator.bindingLabelKey("kinesis"),
            LeaseShardCoordinator.bindingLabel(binding))
        .containsEntry("kubeless.io/namespace", "shop")
        .containsEntry("kubeless.io/trigger", "names")
        .containsEntry("kubeless.io/function", "audit");
    assertThat(lease.getMetadata().getAnnotations())
        .containsEntry("kubeless.io/shard", "shardId-000000000007")
        .containsEntry("kubeless.io/trigger", "names");
    assertThat(lease.getSpec().getHolderIdentity())
        .isEqualTo("kubeless-kinesis-trigger-7d9f8c6b5-x2x4z");
    // the membership Lease is the heartbeat; a shard Lease lasts ten times as long
    assertThat(lease.getSpec().getLeaseDurationSeconds()).isEqualTo(20);
    assertThat(lease.getSpec().getRenewTime()).isNotNull();
    assertThat(
            LeaseShardCoordinator.memberLeaseName(
                "kinesis", "kubeless-kinesis-trigger-7d9f8c6b5-x2x4z"))
        .isEqualTo("kinesis-member-kubeless-kinesis-trigger-7d9f8c6b5-x2x4z");
    // a name that would not be a valid one of at most 63 characters is hashed
    assertThat(LeaseShardCoordinator.memberLeaseName("kinesis", "x".repeat(60)))
        .matches("kinesis-member-[0-9a-f]{16}");
    assertThat(LeaseShardCoordinator.memberLeaseName("kinesis", "Pod_A"))
        .matches("kinesis-member-[0-9a-f]{16}");
  }

  @Test
  void forgetDeletesTheLeasesOfThatBindingOnly() {
    var a = replica("a");
    BindingKey gone = binding("gone");
    BindingKey kept = binding("kept");
    a.claim(gone, SHARDS);
    a.claim(kept, SHARDS);
    assertThat(shardLeases()).hasSize(8);

    a.forget(gone);

    assertThat(shardLeases())
        .hasSize(4)
        .allSatisfy(
            l ->
                assertThat(l.getMetadata().getLabels())
                    .containsEntry(
                        LeaseShardCoordinator.bindingLabelKey("kinesis"),
                        LeaseShardCoordinator.bindingLabel(kept)));
    await().atMost(TIMEOUT).until(() -> a.owners(gone).isEmpty());
    assertThat(a.checkpoint(gone, SHARDS.getFirst())).isEmpty();
  }

  // --- helpers ---------------------------------------------------------------------------

  private LeaseShardCoordinator replica(String identity) {
    return replica(identity, api.client());
  }

  @Test
  void forgetLeavesTheLeasesAnotherReplicaHoldsLiveAndDeletesTheReleasedOnes() {
    var a = replica("a");
    var b = replica("b");
    BindingKey binding = binding("retired");
    awaitMembers(2);
    Set<String> ofA = awaitSplit(binding, a, b);
    Set<String> ofB = new HashSet<>(SHARDS);
    ofB.removeAll(ofA);
    // a retires its binding: releases its shards, then forgets; b has not learned it yet
    ofA.forEach(shard -> a.release(binding, shard));
    assertThat(b.claim(binding, SHARDS)).isEqualTo(ofB); // renewed: live

    a.forget(binding);

    assertThat(shardLeases())
        .extracting(l -> l.getMetadata().getAnnotations().get("kubeless.io/shard"))
        .containsExactlyInAnyOrderElementsOf(ofB);
    // b then retires it too: nothing is left
    ofB.forEach(shard -> b.release(binding, shard));
    b.forget(binding);
    assertThat(shardLeases()).isEmpty();
  }

  @Test
  void theLeasesOfATriggerOrFunctionDeletedWhileNoReplicaRanAreSweptOnceStaleAndNoOthers()
      throws Exception {
    // the triggers and functions that exist, as the API server lists them: "gone" and the function
    // "removed" were deleted while no replica ran, so none retired their bindings; "new" was
    // created after the list was read
    var existing =
        new LeaseShardCoordinator.Existing(
            Set.of(new TriggerId("shop", "kept")), Set.of(new TriggerId("shop", "audit")));
    LeaseShardCoordinator a = sweeping(existing);
    BindingKey kept = binding("kept");
    BindingKey gone = binding("gone");
    BindingKey created = binding("new");
    BindingKey removed = new BindingKey(new TriggerId("shop", "kept"), "removed");
    for (BindingKey binding : List.of(kept, gone, removed)) {
      assertThat(a.claim(binding, SHARDS)).containsExactlyInAnyOrderElementsOf(SHARDS);
      a.checkpoint(binding, SHARDS.getFirst(), "seq-" + binding.trigger().name());
      SHARDS.forEach(shard -> a.release(binding, shard));
    }
    // written moments ago: nothing is stale yet
    assertThat(a.forgetStale()).isZero();
    assertThat(shardLeases()).hasSize(12);

    // two shard Lease durations (4 s) later, the Leases of "gone" and of "removed" go; "new"'s,
    // renewed by its reader all along, stay though its trigger was not listed
    await()
        .atMost(TIMEOUT)
        .until(
            () -> {
              a.claim(created, SHARDS);
              a.forgetStale();
              return shardLeases().stream()
                  .noneMatch(l -> of(l, "gone") || "removed".equals(function(l)));
            });
    assertThat(shardLeases())
        .hasSize(8)
        .noneMatch(l -> of(l, "gone") || "removed".equals(function(l)));
    assertThat(shardLeases().stream().filter(l -> of(l, "kept"))).hasSize(4);
    assertThat(a.checkpoint(kept, SHARDS.getFirst())).contains("seq-kept");
    assertThat(a.checkpoint(gone, SHARDS.getFirst())).isEmpty();
    assertThat(a.checkpoint(removed, SHARDS.getFirst())).isEmpty();
    assertThat(a.owners(created)).containsOnlyKeys(SHARDS);
  }

  @Test
  void theLeasesOfAFunctionItsTriggerNoLongerSelectsAreSweptOnceStaleButNotAnInvalidTriggers()
      throws Exception {
    // "kept" selects app=audit; while no replica ran, the function "moved" was relabelled away
    // from it; "broken"'s spec is invalid now (its Leases wait for the fix)
    var existing =
        new LeaseShardCoordinator.Existing(
            Map.of(
                new TriggerId("shop", "kept"),
                Optional.of(
                    FunctionSelection.matching(
                        new LabelSelectorBuilder()
                            .withMatchLabels(Map.of("app", "audit"))
                            .build())),
                new TriggerId("shop", "broken"),
                Optional.empty()),
            Map.of(
                new TriggerId("shop", "audit"), Map.of("app", "audit"),
                new TriggerId("shop", "moved"), Map.of("app", "other")));
    LeaseShardCoordinator a = sweeping(existing);
    BindingKey selected = new BindingKey(new TriggerId("shop", "kept"), "audit");
    BindingKey deselected = new BindingKey(new TriggerId("shop", "kept"), "moved");
    BindingKey invalid = new BindingKey(new TriggerId("shop", "broken"), "moved");
    for (BindingKey binding : List.of(selected, deselected, invalid)) {
      assertThat(a.claim(binding, SHARDS)).containsExactlyInAnyOrderElementsOf(SHARDS);
      a.checkpoint(binding, SHARDS.getFirst(), "seq-" + binding.function());
      SHARDS.forEach(shard -> a.release(binding, shard));
    }
    assertThat(a.forgetStale()).isZero();

    await()
        .atMost(TIMEOUT)
        .until(
            () -> {
              a.forgetStale();
              return shardLeases().stream()
                  .noneMatch(l -> of(l, "kept") && "moved".equals(function(l)));
            });
    assertThat(shardLeases()).hasSize(8);
    assertThat(a.checkpoint(selected, SHARDS.getFirst())).contains("seq-audit");
    assertThat(a.checkpoint(invalid, SHARDS.getFirst())).contains("seq-moved");
    assertThat(a.checkpoint(deselected, SHARDS.getFirst())).isEmpty();
  }

  private static boolean of(Lease lease, String trigger) {
    return trigger.equals(lease.getMetadata().getAnnotations().get("kubeless.io/trigger"));
  }

  private static String function(Lease lease) {
    return lease.getMetadata().getAnnotations().get("kubeless.io/function");
  }

  @Test
  void anUnreachableApiServerIsReportedAsTheCoordinatorsNotAsAnUnexpectedFailure()
      throws Exception {
    int closedPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    KubernetesClient down =
        new KubernetesClientBuilder()
            .withConfig(
                new ConfigBuilder()
                    .withMasterUrl("https://127.0.0.1:" + closedPort)
                    .withTrustCerts(true)
                    .withRequestRetryBackoffLimit(0)
                    .build())
            .build();
    closing.add(down);
    LeaseShardCoordinator coordinator = replica("a", down);
    BindingKey binding = binding("down");

    assertThatThrownBy(() -> coordinator.claim(binding, SHARDS))
        .isInstanceOf(io.kubeless.trigger.coordination.CoordinatorUnavailableException.class)
        .hasMessageContaining("Kubernetes API server: claiming the shards of");
    assertThatThrownBy(() -> coordinator.checkpoint(binding, SHARDS.getFirst()))
        .isInstanceOf(io.kubeless.trigger.coordination.CoordinatorUnavailableException.class)
        .hasMessageContaining("reading the checkpoint of shard " + SHARDS.getFirst());
    assertThatThrownBy(() -> coordinator.checkpoint(binding, SHARDS.getFirst(), "42"))
        .isInstanceOf(io.kubeless.trigger.coordination.CoordinatorUnavailableException.class)
        .hasMessageContaining("checkpointing shard " + SHARDS.getFirst());
  }

  /** Replica "a" with shard Leases as long as its membership's, sweeping with {@code existing}. */
  private LeaseShardCoordinator sweeping(LeaseShardCoordinator.Existing existing) {
    if (namespace == null) {
      namespace = TestFunctions.unique("leases");
    }
    LeaseShardCoordinator a =
        new LeaseShardCoordinator(
            api.client(),
            new LeaseShardCoordinator.Settings(
                "kinesis", namespace, "a", LEASE, Duration.ofMillis(500), LEASE),
            () -> existing);
    closing.add(a);
    return a;
  }

  private LeaseShardCoordinator replica(String identity, KubernetesClient client) {
    return replica(identity, client, LEASE.multipliedBy(LeaseShardCoordinator.SHARD_LEASE_FACTOR));
  }

  private LeaseShardCoordinator replica(
      String identity, KubernetesClient client, Duration shardLease) {
    if (namespace == null) {
      namespace = TestFunctions.unique("leases");
    }
    LeaseShardCoordinator coordinator =
        new LeaseShardCoordinator(
            client,
            new LeaseShardCoordinator.Settings(
                "kinesis", namespace, identity, LEASE, Duration.ofMillis(500), shardLease));
    closing.add(coordinator);
    return coordinator;
  }

  private static KubernetesClient client() {
    return new KubernetesClientBuilder()
        .withConfig(new ConfigBuilder().withMasterUrl(api.url()).withTrustCerts(true).build())
        .build();
  }

  private BindingKey binding(String trigger) {
    return new BindingKey(new TriggerId("shop", trigger), "audit");
  }

  /**
   * Claims for both replicas until each reads two shards, never the same one, as their readers do
   * every renew interval (releasing what they give up); returns a's.
   */
  private static Set<String> awaitSplit(
      BindingKey binding, LeaseShardCoordinator a, LeaseShardCoordinator b) {
    AtomicReference<Set<String>> ofA = new AtomicReference<>();
    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () -> {
              Set<String> mineA = a.claim(binding, SHARDS);
              Set<String> mineB = b.claim(binding, SHARDS);
              // as readers do, each releases what it gave up (beyond its share, once it has seen
              // the other's membership); releasing a shard it does not hold does nothing
              SHARDS.stream().filter(s -> !mineA.contains(s)).forEach(s -> a.release(binding, s));
              SHARDS.stream().filter(s -> !mineB.contains(s)).forEach(s -> b.release(binding, s));
              // the claims read a cache of the Leases: the split settles within moments
              assertThat(mineA).hasSize(2);
              assertThat(mineB).hasSize(2);
              assertThat(mineA).doesNotContainAnyElementsOf(mineB);
              Set<String> all = new HashSet<>(mineA);
              all.addAll(mineB);
              assertThat(all).containsExactlyInAnyOrderElementsOf(SHARDS);
              ofA.set(mineA);
            });
    return ofA.get();
  }

  private void awaitMembers(int count) {
    await().atMost(TIMEOUT).until(() -> memberLeases().size() == count);
  }

  private List<Lease> memberLeases() {
    return api.client()
        .resources(Lease.class)
        .inNamespace(namespace)
        .withLabel(LeaseShardCoordinator.roleLabel("kinesis"), LeaseShardCoordinator.MEMBER)
        .list()
        .getItems();
  }

  private List<Lease> shardLeases() {
    return api.client()
        .resources(Lease.class)
        .inNamespace(namespace)
        .withLabel(LeaseShardCoordinator.roleLabel("kinesis"), LeaseShardCoordinator.SHARD)
        .list()
        .getItems();
  }
}
