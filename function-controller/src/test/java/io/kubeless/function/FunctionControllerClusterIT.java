package io.kubeless.function;

import static io.kubeless.function.ClusterControllers.FIELD_MANAGER;
import static io.kubeless.function.ClusterControllers.TIMEOUT;
import static io.kubeless.function.ClusterControllers.awaitChild;
import static io.kubeless.function.ClusterControllers.entry;
import static io.kubeless.function.ClusterControllers.function;
import static io.kubeless.function.TestSpecs.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.function.dependent.DeploymentDependent;
import io.kubeless.testing.KubeCluster;
import io.kubeless.testing.PackagedApp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packaged function controller on a real API server, installed with {@code kubectl apply
 * --server-side -k k8s/function-controller} and running as its ServiceAccount under the manifests'
 * RBAC, with its shipped configuration (server-side apply on): how a Function's children are
 * written, and what each spec change does to them.
 */
class FunctionControllerClusterIT {

  private static KubeCluster cluster;
  private static KubernetesClient admin;
  private static PackagedApp controller;

  @BeforeAll
  static void install() {
    cluster = KubeCluster.shared();
    admin = cluster.admin();
    controller = ClusterControllers.installAndStart(cluster, "fc-main");
  }

  @AfterAll
  static void stop() throws InterruptedException {
    ClusterControllers.stop(controller);
  }

  @Test
  void everyChildIsServerSideAppliedByTheControllersFieldManagerAndTheStatusIsWritten() {
    String ns = cluster.newNamespace("fn-ssa");
    Function hello = TestFunctions.python(ns, "hello");
    hello
        .getSpec()
        .setHorizontalPodAutoscaler(
            yaml(
                """
                apiVersion: autoscaling/v2beta1
                kind: HorizontalPodAutoscaler
                metadata: {name: hello}
                spec:
                  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: hello}
                  minReplicas: 1
                  maxReplicas: 3
                  metrics:
                  - type: Resource
                    resource: {name: cpu, targetAverageUtilization: 70}
                """));
    admin.resource(hello).create();

    List<HasMetadata> children =
        List.of(
            awaitChild(admin, ConfigMap.class, ns, "hello"),
            awaitChild(admin, Deployment.class, ns, "hello"),
            awaitChild(admin, Service.class, ns, "hello"),
            awaitChild(admin, HorizontalPodAutoscaler.class, ns, "hello"));
    for (HasMetadata child : children) {
      String what = child.getKind() + " " + child.getMetadata().getManagedFields();
      assertThat(entry(child, FIELD_MANAGER, "Apply")).as(what).isPresent();
      assertThat(child.getMetadata().getManagedFields())
          .as("no field of %s is written by a plain create or update", what)
          .noneMatch(e -> FIELD_MANAGER.equals(e.getManager()) && "Update".equals(e.getOperation()))
          .noneMatch(e -> "fabric8-kubernetes-client".equals(e.getManager()));
      assertThat(child.getMetadata().getOwnerReferences())
          .singleElement()
          .satisfies(
              o -> {
                assertThat(o.getName()).isEqualTo("hello");
                assertThat(o.getController()).isTrue();
              });
      assertThat(child.getMetadata().getLabels())
          .containsEntry("function", "hello")
          .containsEntry("created-by", "kubeless");
    }

    Function function =
        await()
            .atMost(TIMEOUT)
            .until(
                () -> function(admin, ns, "hello"),
                f -> f.getStatus() != null && !f.getStatus().getConditions().isEmpty());
    assertThat(function.getStatus().getObservedGeneration()).isEqualTo(1L);
    assertThat(function.getStatus().getUrl())
        .isEqualTo("http://hello." + ns + ".svc.cluster.local:8080");
    assertThat(function.getMetadata().getManagedFields())
        .as("the status is written by the controller, on the status subresource")
        .anyMatch(e -> FIELD_MANAGER.equals(e.getManager()) && "status".equals(e.getSubresource()));
  }

  @Test
  void eachSpecChangeReachesTheChildrenAndWhatTheSpecNoLongerAsksForIsRemoved() {
    String ns = cluster.newNamespace("fn-life");
    admin.resource(TestFunctions.python(ns, "life")).create();
    String firstHash = hash(awaitChild(admin, Deployment.class, ns, "life"));

    // code: the ConfigMap's file and the pod template's hash
    String code = "def handler(event, context):\n    return 'v2'\n";
    edit(ns, f -> f.getSpec().setFunction(code));
    await("new code")
        .atMost(TIMEOUT)
        .until(() -> code.equals(configMap(ns).getData().get("hello.py")));
    await("rolled by the code")
        .atMost(TIMEOUT)
        .until(() -> !firstHash.equals(hash(deployment(ns))));

    // deps: the requirements file and the install init container
    edit(ns, f -> f.getSpec().setDeps("requests==2.32.3\n"));
    await("deps")
        .atMost(TIMEOUT)
        .until(
            () ->
                "requests==2.32.3\n".equals(configMap(ns).getData().get("requirements.txt"))
                    && deployment(ns).getSpec().getTemplate().getSpec().getInitContainers().stream()
                        .anyMatch(c -> "install".equals(c.getName())));

    // runtime: another image, another code file; the Python files are gone from the ConfigMap
    edit(
        ns,
        f -> {
          f.getSpec().setRuntime("nodejs20");
          f.getSpec().setDeps("");
          f.getSpec().setFunction("module.exports = { handler: () => 'js' };\n");
        });
    await("runtime")
        .atMost(TIMEOUT)
        .until(
            () ->
                container(deployment(ns)).getImage().contains("runtime-nodejs")
                    && configMap(ns).getData().containsKey("hello.js"));
    assertThat(configMap(ns).getData()).doesNotContainKeys("hello.py", "requirements.txt");
    assertThat(env(deployment(ns))).containsEntry("FUNC_RUNTIME", "nodejs20");

    // timeout: the runtime's environment
    edit(ns, f -> f.getSpec().setTimeout("45"));
    await("timeout")
        .atMost(TIMEOUT)
        .until(() -> "45".equals(env(deployment(ns)).get("FUNC_TIMEOUT")));

    // spec.deployment: replicas, labels and env merged in
    edit(
        ns,
        f ->
            f.getSpec()
                .setDeployment(
                    yaml(
                        """
                        metadata: {labels: {team: payments}}
                        spec:
                          replicas: 2
                          template:
                            spec:
                              containers:
                              - env: [{name: GREETING, value: hi}]
                        """)));
    await("spec.deployment")
        .atMost(TIMEOUT)
        .until(
            () -> {
              Deployment d = deployment(ns);
              return d.getSpec().getReplicas() == 2
                  && "payments".equals(d.getMetadata().getLabels().get("team"))
                  && "hi".equals(env(d).get("GREETING"));
            });

    // without spec.deployment, its label and env var are removed (the replicas are kept, as after
    // a kubectl scale)
    edit(ns, f -> f.getSpec().setDeployment(null));
    await("spec.deployment removed")
        .atMost(TIMEOUT)
        .until(
            () -> {
              Deployment d = deployment(ns);
              return !d.getMetadata().getLabels().containsKey("team")
                  && !env(d).containsKey("GREETING");
            });
    assertThat(env(deployment(ns))).containsEntry("FUNC_TIMEOUT", "45");

    Function reconciled =
        await()
            .atMost(TIMEOUT)
            .until(
                () -> function(admin, ns, "life"),
                f ->
                    f.getStatus() != null
                        && Objects.equals(
                            f.getStatus().getObservedGeneration(),
                            f.getMetadata().getGeneration()));
    assertThat(reconciled.getMetadata().getGeneration()).isGreaterThan(5L);

    admin.resources(Function.class).inNamespace(ns).withName("life").delete();
    await("deleted").atMost(TIMEOUT).until(() -> function(admin, ns, "life") == null);
  }

  @Test
  void theCrdSchemaRejectsAMalformedFunctionWithTheApiServersMessage() throws Exception {
    String ns = cluster.newNamespace("fn-schema");
    Path file = Files.createTempFile("function", ".yaml");
    Files.writeString(
        file,
        """
        apiVersion: kubeless.io/v1beta1
        kind: Function
        metadata:
          name: malformed
          namespace: %s
        spec:
          handler: hello.handler
          runtime: python3.12
          function: "def handler(event, context): return 'hi'"
          timeout: 3
        """
            .formatted(ns));
    KubeCluster.Result result = cluster.tryKubectl("apply", "-f", file.toString());
    assertThat(result.exitCode()).isNotZero();
    assertThat(result.err()).contains("spec.timeout").contains("must be of type string");
    assertThat(function(admin, ns, "malformed")).isNull();
  }

  @Test
  void kubectlShowsThePrinterColumns() {
    String ns = cluster.newNamespace("fn-columns");
    admin.resource(TestFunctions.python(ns, "columns")).create();
    String table = cluster.kubectl("get", "functions", "-n", ns);
    assertThat(table.lines().findFirst().orElseThrow().split("\\s+"))
        .containsExactly("NAME", "AGE", "HANDLER", "RUNTIME", "READY");
    assertThat(table).contains("columns").contains("python3.12");
  }

  private static void edit(String ns, java.util.function.Consumer<Function> change) {
    TestFunctions.edit(admin, ns, "life", change);
  }

  private static ConfigMap configMap(String ns) {
    return admin.configMaps().inNamespace(ns).withName("life").get();
  }

  private static Deployment deployment(String ns) {
    return admin.apps().deployments().inNamespace(ns).withName("life").get();
  }

  private static Container container(Deployment deployment) {
    return deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  private static Map<String, String> env(Deployment deployment) {
    Map<String, String> env = new java.util.HashMap<>();
    for (EnvVar var : container(deployment).getEnv()) {
      env.put(var.getName(), var.getValue());
    }
    return env;
  }

  private static String hash(Deployment deployment) {
    return deployment
        .getSpec()
        .getTemplate()
        .getMetadata()
        .getAnnotations()
        .get(DeploymentDependent.HASH_ANNOTATION);
  }
}
