package io.kubeless.kinesis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.kubeless.testing.MockApiServer;
import io.kubeless.testing.PackagedApp;
import io.kubeless.trigger.kubernetes.LeaseShardCoordinator;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The packaged application (prod profile, its own process) on the mock API server: its membership
 * Lease lives in the namespace of {@code KUBELESS_NAMESPACE} under its pod name, and a SIGTERM
 * gives its Leases up before the Kubernetes client closes, so the other replicas take its shards at
 * once instead of after the lease duration.
 */
class GracefulStopIT {

  @Test
  void aStoppedReplicaLeavesAtOnceAndAKilledOneExpires() throws Exception {
    try (MockApiServer api = MockApiServer.withCrds("kinesistriggers", "functions");
        PackagedApp graceful = replica(api, "kinesis-trigger-a");
        PackagedApp killed = replica(api, "kinesis-trigger-b")) {
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                assertThat(member(api, "kinesis-trigger-a")).isNotNull();
                assertThat(member(api, "kinesis-trigger-b")).isNotNull();
              });
      assertThat(member(api, "kinesis-trigger-a").getSpec().getHolderIdentity())
          .isEqualTo("kinesis-trigger-a");

      assertThat(graceful.terminate(Duration.ofSeconds(30))).isTrue();
      // gone by the time the process exited: released, not left to expire
      assertThat(member(api, "kinesis-trigger-a")).isNull();

      killed.kill();
      // a crashed replica's Lease stays, and stops being renewed
      Lease last = member(api, "kinesis-trigger-b");
      assertThat(last).isNotNull();
      await()
          .during(Duration.ofSeconds(2))
          .atMost(Duration.ofSeconds(3))
          .until(
              () ->
                  member(api, "kinesis-trigger-b")
                      .getSpec()
                      .getRenewTime()
                      .equals(last.getSpec().getRenewTime()));
    }
  }

  private static PackagedApp replica(MockApiServer api, String identity) {
    return PackagedApp.of("kubeless.trigger.jar")
        .apiServer(api, "kubeless")
        .env("KUBELESS_NAMESPACE", "kinesis-system")
        .property("kubeless.kinesis.lease-duration", "4s")
        .property("kubeless.kinesis.renew-interval", "500ms")
        .start(identity);
  }

  private static Lease member(MockApiServer api, String identity) {
    return api.client()
        .resources(Lease.class)
        .inNamespace("kinesis-system")
        .withName(LeaseShardCoordinator.memberLeaseName("kinesis", identity))
        .get();
  }
}
