package io.kubeless.function;

import static io.kubeless.function.ClusterControllers.TIMEOUT;
import static io.kubeless.function.ClusterControllers.awaitChild;
import static io.kubeless.function.ClusterControllers.awaitReady;
import static io.kubeless.function.TestSpecs.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.testing.KubeCluster;
import io.kubeless.testing.PackagedApp;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * With the cluster's own controllers running (kube-controller-manager's Deployment, ReplicaSet and
 * garbage collector controllers, the scheduler, and kwok's fake node whose pods become Ready): a
 * Function is Ready when its pods are, a rollout whose pods never become ready is reported, and a
 * deleted Function's children go with it.
 */
class FunctionWorkloadsClusterIT {

  private static KubeCluster cluster;
  private static KubernetesClient admin;
  private static PackagedApp controller;

  @BeforeAll
  static void install() {
    cluster = KubeCluster.shared().withWorkloads();
    admin = cluster.admin();
    controller = ClusterControllers.installAndStart(cluster, "fc-workloads");
  }

  @AfterAll
  static void stop() throws InterruptedException {
    ClusterControllers.stop(controller);
  }

  @Test
  void aFunctionIsReadyOnceItsPodsAre() {
    String ns = cluster.newNamespace("fn-ready");
    Function function = TestFunctions.python(ns, "ready");
    function.getSpec().setDeployment(yaml("spec: {replicas: 2}"));
    admin.resource(function).create();

    Function ready = awaitReady(admin, ns, "ready", "True", "DeploymentAvailable");

    assertThat(ready.getStatus().getReadyReplicas()).isEqualTo(2);
    List<Pod> pods = pods(ns, "ready");
    assertThat(pods)
        .as("the pods the Deployment made are ready")
        .hasSizeGreaterThanOrEqualTo(2)
        .filteredOn(FunctionWorkloadsClusterIT::isReady)
        .hasSize(2);
  }

  @Test
  void aRolloutWhosePodsNeverBecomeReadyIsReportedAsFailed() {
    String ns = cluster.newNamespace("fn-stuck");
    Function function = TestFunctions.python(ns, "stuck");
    function
        .getSpec()
        .setDeployment(
            yaml(
                """
                spec:
                  progressDeadlineSeconds: 5
                  template:
                    metadata:
                      labels: {kubeless.io/test-never-ready: "true"}
                """));
    admin.resource(function).create();

    Deployment deployment = awaitChild(admin, Deployment.class, ns, "stuck");
    assertThat(deployment.getSpec().getProgressDeadlineSeconds()).isEqualTo(5);
    assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
        .containsEntry("kubeless.io/test-never-ready", "true");

    Function failed = awaitReady(admin, ns, "stuck", "False", "RolloutFailed");

    assertThat(failed.getStatus().getReadyReplicas()).isZero();
    assertThat(pods(ns, "stuck")).isNotEmpty().noneMatch(FunctionWorkloadsClusterIT::isReady);
  }

  @Test
  void deletingAFunctionGarbageCollectsItsChildren() {
    String ns = cluster.newNamespace("fn-gc");
    Function function = TestFunctions.python(ns, "gone");
    function
        .getSpec()
        .setHorizontalPodAutoscaler(
            yaml(
                """
                metadata: {name: gone}
                spec:
                  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: gone}
                  minReplicas: 1
                  maxReplicas: 2
                """));
    admin.resource(function).create();
    awaitReady(admin, ns, "gone", "True", "DeploymentAvailable");
    awaitChild(admin, HorizontalPodAutoscaler.class, ns, "gone");
    assertThat(pods(ns, "gone")).isNotEmpty();

    admin.resources(Function.class).inNamespace(ns).withName("gone").delete();

    await("children garbage-collected")
        .atMost(TIMEOUT)
        .until(
            () ->
                admin.resources(ConfigMap.class).inNamespace(ns).withName("gone").get() == null
                    && admin.resources(Deployment.class).inNamespace(ns).withName("gone").get()
                        == null
                    && admin.resources(Service.class).inNamespace(ns).withName("gone").get() == null
                    && admin
                            .resources(HorizontalPodAutoscaler.class)
                            .inNamespace(ns)
                            .withName("gone")
                            .get()
                        == null);
    await("pods gone").atMost(TIMEOUT).until(() -> pods(ns, "gone").isEmpty());
  }

  private static List<Pod> pods(String ns, String function) {
    return admin.pods().inNamespace(ns).withLabel("function", function).list().getItems();
  }

  private static boolean isReady(Pod pod) {
    return pod.getStatus() != null
        && pod.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }
}
