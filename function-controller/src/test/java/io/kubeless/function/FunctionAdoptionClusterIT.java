package io.kubeless.function;

import static io.kubeless.function.ClusterControllers.FIELD_MANAGER;
import static io.kubeless.function.ClusterControllers.TIMEOUT;
import static io.kubeless.function.ClusterControllers.awaitChild;
import static io.kubeless.function.ClusterControllers.entry;
import static io.kubeless.function.ClusterControllers.function;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.function.spec.FunctionPlan;
import io.kubeless.testing.KubeCluster;
import io.kubeless.testing.PackagedApp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Moving from Kubeless: its controller wrote a Function's ConfigMap, Deployment and Service with
 * plain creates and updates, so their fields belong to its field manager (named after its binary,
 * {@code kubeless-function-controller}, operation {@code Update}). Server-side apply alone would
 * leave every field Kubeless set and this controller does not in place forever; the controller
 * takes those fields over first, so that after one reconciliation it alone manages the children and
 * nothing of Kubeless's is left behind.
 */
class FunctionAdoptionClusterIT {

  /** The field manager the API server records for Kubeless's controller. */
  private static final String KUBELESS = "kubeless-function-controller";

  private static KubeCluster cluster;
  private static KubernetesClient admin;
  private static PackagedApp controller;

  @BeforeAll
  static void install() {
    cluster = KubeCluster.shared();
    admin = cluster.admin();
    controller = ClusterControllers.installAndStart(cluster, "fc-adoption");
  }

  @AfterAll
  static void stop() throws InterruptedException {
    ClusterControllers.stop(controller);
  }

  @Test
  void orphansKubelessCreatedAreAdoptedWithNoFieldLeftBehind() {
    String ns = cluster.newNamespace("fn-orphans");
    createAsKubeless(ns, "hello", null);

    admin.resource(TestFunctions.python(ns, "hello")).create();

    assertTakenOver(ns, "hello");
  }

  @Test
  void childrenKubelessWroteForAnExistingFunctionAreTakenOverWithNoFieldLeftBehind() {
    String ns = cluster.newNamespace("fn-upgrade");
    // the Function as Kubeless ran it; a runtime this controller lacks keeps it from writing
    Function function = TestFunctions.python(ns, "hello");
    function.getSpec().setRuntime("python2.7");
    function = admin.resource(function).create();
    ClusterControllers.awaitReady(admin, ns, "hello", "False", "UnsupportedRuntime");
    createAsKubeless(ns, "hello", FunctionPlan.controllerReference(function));

    TestFunctions.edit(admin, ns, "hello", f -> f.getSpec().setRuntime("python3.12"));

    assertTakenOver(ns, "hello");
  }

  private static void assertTakenOver(String ns, String name) {
    Function function =
        await().atMost(TIMEOUT).until(() -> function(admin, ns, name), f -> f != null);
    await("ConfigMap taken over")
        .atMost(TIMEOUT)
        .untilAsserted(
            () -> {
              ConfigMap configMap = admin.configMaps().inNamespace(ns).withName(name).get();
              assertManagedOnlyByTheController(configMap, function);
              assertThat(configMap.getData()).containsKeys("handler", "hello.py");
              assertThat(configMap.getData()).doesNotContainKey("kubeless-notes.txt");
            });
    await("Deployment taken over")
        .atMost(TIMEOUT)
        .untilAsserted(
            () -> {
              Deployment deployment =
                  admin.apps().deployments().inNamespace(ns).withName(name).get();
              assertManagedOnlyByTheController(deployment, function);
              var container = deployment.getSpec().getTemplate().getSpec().getContainers();
              assertThat(container).singleElement();
              assertThat(container.get(0).getEnv())
                  .extracting(EnvVar::getName)
                  .contains("FUNC_HANDLER", "FUNC_TIMEOUT")
                  .doesNotContain("KUBELESS_ONLY");
              assertThat(container.get(0).getImage()).contains("runtime-python");
            });
    await("Service taken over")
        .atMost(TIMEOUT)
        .untilAsserted(
            () -> {
              Service service = admin.services().inNamespace(ns).withName(name).get();
              assertManagedOnlyByTheController(service, function);
              assertThat(service.getSpec().getPorts())
                  .extracting(ServicePort::getPort)
                  .containsExactly(8080);
            });
  }

  private static void assertManagedOnlyByTheController(HasMetadata child, Function function) {
    String what = child.getKind() + " " + child.getMetadata().getManagedFields();
    assertThat(entry(child, FIELD_MANAGER, "Apply")).as(what).isPresent();
    assertThat(child.getMetadata().getManagedFields())
        .as(what)
        .noneMatch(e -> KUBELESS.equals(e.getManager()))
        .noneMatch(e -> "fabric8-kubernetes-client".equals(e.getManager()));
    assertThat(child.getMetadata().getLabels())
        .as(what)
        .containsEntry("created-by", "kubeless")
        .doesNotContainKey("kubeless-era");
    assertThat(child.getMetadata().getAnnotations())
        .as(what)
        .satisfiesAnyOf(
            a -> assertThat(a).isNull(), a -> assertThat(a).doesNotContainKey("kubeless.io/era"));
    assertThat(child.getMetadata().getOwnerReferences())
        .as(what)
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.getUid()).isEqualTo(function.getMetadata().getUid());
              assertThat(o.getController()).isTrue();
            });
  }

  /**
   * A client that writes as Kubeless's controller did: without a field manager, so that the API
   * server names it after the client's User-Agent, i.e. after the controller's binary.
   */
  private static KubernetesClient kubelessController() {
    return new KubernetesClientBuilder()
        .withConfig(
            new ConfigBuilder(admin.getConfiguration())
                .withUserAgent(KUBELESS + "/v1.0.8 (linux/amd64) kubernetes/$Format")
                .build())
        .build();
  }

  /**
   * A Function's children as Kubeless's controller wrote them (plain creates), each with something
   * this controller does not set: a label and an annotation, a ConfigMap key, an env var, a Service
   * port.
   */
  private static void createAsKubeless(String ns, String name, OwnerReference owner) {
    Map<String, String> labels = new LinkedHashMap<>(FunctionPlan.selector(name));
    labels.put("kubeless-era", "1.0.8");
    Map<String, String> annotations = Map.of("kubeless.io/era", "before-the-move");
    List<OwnerReference> owners = new ArrayList<>();
    KubernetesClient kubeless = kubelessController();
    if (owner != null) {
      owners.add(owner);
    }
    kubeless
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(ns)
                .withLabels(labels)
                .withAnnotations(annotations)
                .withOwnerReferences(owners)
                .endMetadata()
                .withData(
                    Map.of(
                        "handler", "hello.handler",
                        "hello.py", "def handler(event, context):\n    return 'kubeless'\n",
                        "requirements.txt", "",
                        "kubeless-notes.txt", "written by Kubeless"))
                .build())
        .create();
    kubeless
        .resource(
            new DeploymentBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(ns)
                .withLabels(labels)
                .withAnnotations(annotations)
                .withOwnerReferences(owners)
                .endMetadata()
                .withNewSpec()
                .withNewSelector()
                .withMatchLabels(FunctionPlan.selector(name))
                .endSelector()
                .withNewTemplate()
                .withNewMetadata()
                .withLabels(FunctionPlan.selector(name))
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName(name)
                .withImage("kubeless/python@sha256:" + "0".repeat(64))
                .addNewEnv()
                .withName("FUNC_HANDLER")
                .withValue("handler")
                .endEnv()
                .addNewEnv()
                .withName("KUBELESS_ONLY")
                .withValue("1")
                .endEnv()
                .addNewPort()
                .withContainerPort(8080)
                .endPort()
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build())
        .create();
    kubeless
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(ns)
                .withLabels(labels)
                .withAnnotations(annotations)
                .withOwnerReferences(owners)
                .endMetadata()
                .withNewSpec()
                .withSelector(FunctionPlan.selector(name))
                .addNewPort()
                .withName("http-function-port")
                .withPort(8080)
                .withTargetPort(new IntOrString(8080))
                .endPort()
                .addNewPort()
                .withName("kubeless-debug")
                .withPort(9090)
                .withTargetPort(new IntOrString(9090))
                .endPort()
                .endSpec()
                .build())
        .create();
    kubeless.close();
    for (var type : List.of(ConfigMap.class, Deployment.class, Service.class)) {
      HasMetadata child = awaitChild(admin, type, ns, name);
      assertThat(entry(child, KUBELESS, "Update")).as(child.getKind()).isPresent();
    }
  }
}
