package io.kubeless.function;

import static io.kubeless.function.ClusterControllers.TIMEOUT;
import static io.kubeless.function.ClusterControllers.leaseHolder;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.testing.KubeCluster;
import io.kubeless.testing.PackagedApp;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two replicas of the packaged controller on a real API server, electing a leader through the Lease
 * {@code kubeless/kubeless-function-controller} under the manifests' RBAC: only the holder
 * reconciles; a killed leader is replaced once its Lease expires, a leader stopped gracefully
 * (SIGTERM, as in a rolling update) exits promptly and hands over at once.
 */
class FunctionLeaderElectionClusterIT {

  /**
   * Far less than the Lease's 15 s: what a released Lease allows (the standby retries every 2 s).
   */
  private static final Duration HANDOVER = Duration.ofSeconds(8);

  private static KubeCluster cluster;
  private static KubernetesClient admin;

  @BeforeAll
  static void install() {
    cluster = KubeCluster.shared();
    admin = cluster.admin();
    cluster.install("function-controller");
  }

  @Test
  void onlyTheLeaseHolderReconcilesAndAStandbyTakesOverWhenTheLeaderIsKilled() throws Exception {
    String ns = cluster.newNamespace("fn-leader");
    PackagedApp leader = leader("fc-a");
    PackagedApp standby = null;
    try {
      standby = ClusterControllers.start(cluster, "fc-b");
      admin.resource(invalid(ns, "before")).create();

      await().atMost(TIMEOUT).until(() -> !reporters(ns, "before").isEmpty());
      assertThat(reporters(ns, "before")).containsOnly("fc-a");
      assertThat(leaseHolder(admin)).isEqualTo("fc-a");

      leader.kill();
      await("fc-b holds the Lease once fc-a's expired")
          .atMost(TIMEOUT)
          .until(() -> "fc-b".equals(leaseHolder(admin)));
      admin.resource(invalid(ns, "after")).create();

      await().atMost(TIMEOUT).until(() -> !reporters(ns, "after").isEmpty());
      assertThat(reporters(ns, "after")).containsOnly("fc-b");
      assertThat(standby.isAlive()).isTrue();
    } finally {
      leader.close();
      ClusterControllers.stop(standby);
    }
  }

  @Test
  void aLeaderStoppedGracefullyExitsAndReleasesTheLeaseSoTheStandbyTakesOverAtOnce()
      throws Exception {
    String ns = cluster.newNamespace("fn-handover");
    PackagedApp leader = leader("fc-c");
    PackagedApp standby = null;
    try {
      standby = ClusterControllers.start(cluster, "fc-d");
      admin.resource(invalid(ns, "before")).create();
      await().atMost(TIMEOUT).until(() -> reporters(ns, "before").contains("fc-c"));

      assertThat(leader.terminate(Duration.ofSeconds(10)))
          .as("fc-c exits within 10 s of SIGTERM")
          .isTrue();
      assertThat(ClusterControllers.log("fc-c")).contains("fc-c released the Lease");
      await("fc-d holds the released Lease")
          .atMost(HANDOVER)
          .until(() -> "fc-d".equals(leaseHolder(admin)));

      admin.resource(invalid(ns, "after")).create();
      await().atMost(TIMEOUT).until(() -> !reporters(ns, "after").isEmpty());
      assertThat(reporters(ns, "after")).containsOnly("fc-d");
    } finally {
      leader.close();
      ClusterControllers.stop(standby);
    }
  }

  /** Starts a replica and waits until it leads. */
  private static PackagedApp leader(String identity) {
    PackagedApp replica = ClusterControllers.start(cluster, identity);
    await(identity + " leads").atMost(TIMEOUT).until(() -> identity.equals(leaseHolder(admin)));
    return replica;
  }

  /** A Function the controller reports with a Warning Event naming the replica that acted. */
  private static Function invalid(String ns, String name) {
    Function function = TestFunctions.python(ns, name);
    function.getSpec().setRuntime("cobol85");
    return function;
  }

  private static Set<String> reporters(String ns, String name) {
    return ClusterControllers.events(admin, ns, name).stream()
        .map(Event::getReportingInstance)
        .collect(Collectors.toSet());
  }
}
