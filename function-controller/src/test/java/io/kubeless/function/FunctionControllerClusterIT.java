package io.kubeless.function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.testing.KubeCluster;
import io.kubeless.testing.PackagedApp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packaged function controller on a real API server, installed with {@code kubectl apply -k
 * k8s/function-controller} and running as its ServiceAccount under the manifests' RBAC, with its
 * shipped configuration (server-side apply on).
 */
class FunctionControllerClusterIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final String ACCOUNT = "kubeless-function-controller";

  private static KubeCluster cluster;
  private static KubernetesClient admin;
  private static PackagedApp controller;

  @BeforeAll
  static void install() {
    cluster = KubeCluster.shared();
    admin = cluster.admin();
    cluster.install("function-controller");
    controller = PackagedApp.of("kubeless.controller.jar").cluster(cluster, ACCOUNT).start("fc-0");
  }

  @AfterAll
  static void stop() {
    if (controller != null) {
      controller.close();
    }
  }

  @Test
  void aFunctionGetsItsChildrenByServerSideApplyUnderTheManifestsPermissions() {
    String ns = cluster.newNamespace("fn-ssa");
    admin.resource(TestFunctions.python(ns, "hello")).create();

    ConfigMap configMap =
        await()
            .atMost(TIMEOUT)
            .until(
                () -> admin.configMaps().inNamespace(ns).withName("hello").get(), c -> c != null);
    var deployment = TestFunctions.awaitDeployment(admin, ns, "hello");
    var service =
        await()
            .atMost(TIMEOUT)
            .until(() -> admin.services().inNamespace(ns).withName("hello").get(), s -> s != null);

    for (HasMetadata child : new HasMetadata[] {configMap, deployment, service}) {
      assertThat(operations(child))
          .as(child.getKind() + " " + child.getMetadata().getManagedFields())
          .contains("Apply");
      assertThat(child.getMetadata().getOwnerReferences())
          .singleElement()
          .satisfies(o -> assertThat(o.getName()).isEqualTo("hello"));
    }
    Function function =
        await()
            .atMost(TIMEOUT)
            .until(
                () -> admin.resources(Function.class).inNamespace(ns).withName("hello").get(),
                f -> f.getStatus() != null && !f.getStatus().getConditions().isEmpty());
    assertThat(function.getStatus().getConditions()).isNotEmpty();
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
    assertThat(admin.resources(Function.class).inNamespace(ns).withName("malformed").get())
        .isNull();
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

  private static Set<String> operations(HasMetadata object) {
    return object.getMetadata().getManagedFields().stream()
        .map(ManagedFieldsEntry::getOperation)
        .collect(Collectors.toSet());
  }
}
