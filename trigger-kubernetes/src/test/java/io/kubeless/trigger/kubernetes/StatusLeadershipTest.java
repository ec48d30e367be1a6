package io.kubeless.trigger.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class StatusLeadershipTest {

  static KubernetesClient client;

  @Test
  void exactlyOneReplicaWritesStatusAndAnotherTakesOverWhenItGoes() {
    StatusLeadership a = replica("a");
    StatusLeadership b = replica("b");
    AtomicInteger changes = new AtomicInteger();
    b.onChange(changes::incrementAndGet);
    a.start();
    await().atMost(Duration.ofSeconds(10)).until(a::isLeader);
    b.start();
    try {
      await()
          .during(Duration.ofSeconds(2))
          .atMost(Duration.ofSeconds(6))
          .until(() -> !b.isLeader());

      a.close();

      await().atMost(Duration.ofSeconds(10)).until(b::isLeader);
      assertThat(a.isLeader()).isFalse();
      assertThat(changes).hasValue(1);
      assertThat(
              client
                  .leases()
                  .inNamespace("kubeless")
                  .withName("test-lease")
                  .get()
                  .getSpec()
                  .getHolderIdentity())
          .isEqualTo("b");
    } finally {
      a.close();
      b.close();
    }
  }

  private static StatusLeadership replica(String identity) {
    return new StatusLeadership(
        client,
        new StatusLeadership.Settings(
            "kubeless",
            "test-lease",
            identity,
            Duration.ofSeconds(2),
            Duration.ofMillis(1500),
            Duration.ofMillis(200)));
  }
}
