package io.kubeless.function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.testing.MockApiServer;
import io.kubeless.testing.PackagedApp;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two replicas of the packaged controller, in the prod profile, against one API server: only the
 * Lease holder reconciles, and when it is killed (SIGKILL) the other takes over.
 */
class LeaderElectionIT {

  private static final String LEASE = "kubeless-function-controller";
  private static final Duration TAKEOVER = Duration.ofSeconds(90);

  private final MockApiServer api = MockApiServer.withCrds("functions").grantingLeases();

  @AfterEach
  void stop() {
    api.close();
  }

  @Test
  void onlyTheLeaseHolderReconcilesAndTheStandbyTakesOverWhenItDies() throws Exception {
    try (PackagedApp first = replica("replica-a")) {
      await().atMost(TAKEOVER).until(() -> "replica-a".equals(holder()));
      try (PackagedApp second = replica("replica-b")) {
        api.client().resource(invalid("before")).create();

        await().atMost(TAKEOVER).until(() -> !reporters("before").isEmpty());
        assertThat(reporters("before")).containsOnly("replica-a");
        assertThat(holder()).isEqualTo("replica-a");

        first.kill();
        await().atMost(TAKEOVER).until(() -> "replica-b".equals(holder()));
        api.client().resource(invalid("after")).create();

        await().atMost(TAKEOVER).until(() -> !reporters("after").isEmpty());
        assertThat(reporters("after")).containsOnly("replica-b");
        assertThat(second.isAlive()).isTrue();
      }
    }
  }

  private PackagedApp replica(String identity) {
    return PackagedApp.of("kubeless.controller.jar").apiServer(api, "kubeless").start(identity);
  }

  /**
   * A Function the controller reports with a Warning Event: a plain create, unlike the server-side
   * apply of its children, which the mock API server does not implement.
   */
  private static Function invalid(String name) {
    Function function = TestFunctions.python("default", name);
    function.getSpec().setRuntime("cobol85");
    return function;
  }

  /** The replicas that recorded Events about a Function. */
  private Set<String> reporters(String name) {
    return api.client().v1().events().inNamespace("default").list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName()))
        .map(Event::getReportingInstance)
        .collect(Collectors.toSet());
  }

  private String holder() {
    Lease lease = api.client().leases().inNamespace("kubeless").withName(LEASE).get();
    return lease == null ? null : lease.getSpec().getHolderIdentity();
  }
}
