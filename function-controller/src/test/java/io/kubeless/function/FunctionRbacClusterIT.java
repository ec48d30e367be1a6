package io.kubeless.function;

import static io.kubeless.function.ClusterControllers.ACCOUNT;
import static io.kubeless.function.ClusterControllers.TIMEOUT;
import static io.kubeless.function.ClusterControllers.awaitChild;
import static io.kubeless.function.ClusterControllers.awaitReady;
import static io.kubeless.function.ClusterControllers.events;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.testing.KubeCluster;
import io.kubeless.testing.PackagedApp;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The manifests' RBAC is what the controller runs under, and every permission in it is needed:
 * without one, a Function fails visibly, naming the call it was refused, and writes nothing in its
 * place; once the permission is back, it recovers on its own.
 */
class FunctionRbacClusterIT {

  private static KubeCluster cluster;
  private static KubernetesClient admin;
  private static PackagedApp controller;

  @BeforeAll
  static void install() {
    cluster = KubeCluster.shared();
    admin = cluster.admin();
    controller = ClusterControllers.installAndStart(cluster, "fc-rbac");
  }

  @AfterAll
  static void stop() throws InterruptedException {
    cluster.install("function-controller");
    ClusterControllers.stop(controller);
  }

  @Test
  void withoutTheRightToWriteDeploymentsAFunctionFailsVisiblyAndRecoversOnceItIsBack() {
    String ns = cluster.newNamespace("fn-rbac");
    Function created;
    try {
      ClusterRole role = admin.rbac().clusterRoles().withName(ACCOUNT).get();
      role.getRules().stream()
          .filter(r -> r.getResources().contains("deployments"))
          .forEach(r -> r.setVerbs(List.of("get", "list", "watch")));
      admin.resource(role).update();
      created = admin.resource(TestFunctions.python(ns, "guarded")).create();

      Function refused = awaitReady(admin, ns, "guarded", "False", "Forbidden");

      Condition ready = Conditions.find(refused.getStatus(), Conditions.READY).orElseThrow();
      assertThat(ready.getMessage())
          .contains("system:serviceaccount:kubeless:" + ACCOUNT)
          .contains("cannot patch resource \"deployments\" in API group \"apps\"")
          .contains("k8s/function-controller/rbac.yaml");
      await("a Warning Event")
          .atMost(TIMEOUT)
          .until(
              () ->
                  events(admin, ns, "guarded").stream()
                      .anyMatch(
                          e ->
                              "Warning".equals(e.getType())
                                  && "Forbidden".equals(e.getReason())
                                  && e.getMessage().contains("deployments")));
      assertThat(admin.apps().deployments().inNamespace(ns).withName("guarded").get()).isNull();
    } finally {
      // the manifests, as installed: the permission is back
      cluster.install("function-controller");
    }

    awaitChild(admin, Deployment.class, ns, "guarded");
    Function recovered =
        await("no longer Forbidden")
            .atMost(TIMEOUT)
            .pollInterval(Duration.ofMillis(500))
            .until(
                () -> ClusterControllers.function(admin, ns, "guarded"),
                f ->
                    Conditions.find(f.getStatus(), Conditions.READY)
                        .filter(c -> !"Forbidden".equals(c.getReason()))
                        .isPresent());
    assertThat(Conditions.find(recovered.getStatus(), Conditions.READY).orElseThrow().getReason())
        .isIn("DeploymentNotAvailable", "DeploymentAvailable", "RollingOut");
    assertThat(recovered.getMetadata().getUid()).isEqualTo(created.getMetadata().getUid());
  }
}
