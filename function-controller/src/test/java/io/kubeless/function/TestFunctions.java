package io.kubeless.function;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionSpec;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/** Builds Functions for tests and reads what the controller made of them. */
final class TestFunctions {

  static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final AtomicInteger NAMESPACES = new AtomicInteger();

  private TestFunctions() {}

  /** A namespace no other test uses. */
  static String namespace(String prefix) {
    return prefix + "-" + NAMESPACES.incrementAndGet();
  }

  static Function python(String namespace, String name) {
    FunctionSpec spec = TestSpecs.python();
    Function function = new Function();
    function.setMetadata(
        new ObjectMetaBuilder()
            .withName(name)
            .withNamespace(namespace)
            .withLabels(Map.of("app", name))
            .build());
    function.setSpec(spec);
    return function;
  }

  static Deployment awaitDeployment(KubernetesClient client, String namespace, String name) {
    return await()
        .atMost(TIMEOUT)
        .until(
            () -> client.apps().deployments().inNamespace(namespace).withName(name).get(),
            d -> d != null);
  }

  static Function awaitCondition(
      KubernetesClient client, String namespace, String name, String status, String reason) {
    return await()
        .atMost(TIMEOUT)
        .until(
            () -> client.resources(Function.class).inNamespace(namespace).withName(name).get(),
            f ->
                f != null
                    && Conditions.find(f.getStatus(), Conditions.READY)
                        .filter(c -> c.getStatus().equals(status) && c.getReason().equals(reason))
                        .isPresent());
  }

  /**
   * Changes a Function as {@code kubectl edit} does: on a conflict with a concurrent write (the
   * controller's status), read it again and retry.
   */
  static void edit(
      KubernetesClient client, String namespace, String name, Consumer<Function> change) {
    await()
        .atMost(TIMEOUT)
        .ignoreException(KubernetesClientException.class)
        .until(
            () -> {
              client
                  .resources(Function.class)
                  .inNamespace(namespace)
                  .withName(name)
                  .edit(
                      f -> {
                        change.accept(f);
                        return f;
                      });
              return true;
            });
  }

  /** What the cluster's Deployment controller would report once the pods are ready. */
  static void markAvailable(KubernetesClient client, Deployment deployment, int ready) {
    deployment.setStatus(
        new DeploymentStatusBuilder()
            .withObservedGeneration(deployment.getMetadata().getGeneration())
            .withReplicas(ready)
            .withUpdatedReplicas(ready)
            .withReadyReplicas(ready)
            .withAvailableReplicas(ready)
            .withConditions(
                new DeploymentConditionBuilder()
                    .withType("Available")
                    .withStatus(ready > 0 ? "True" : "False")
                    .withReason("MinimumReplicasAvailable")
                    .build())
            .build());
    client.resource(deployment).updateStatus();
  }
}
