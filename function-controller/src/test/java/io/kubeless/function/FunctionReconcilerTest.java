package io.kubeless.function;

import static io.kubeless.function.TestFunctions.TIMEOUT;
import static io.kubeless.function.TestFunctions.awaitCondition;
import static io.kubeless.function.TestFunctions.awaitDeployment;
import static io.kubeless.function.TestSpecs.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionSpec;
import io.kubeless.function.dependent.DeploymentDependent;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@QuarkusTest
@WithKubernetesTestServer(crud = true)
class FunctionReconcilerTest {

  @Inject KubernetesClient client;

  @Test
  void createsConfigMapDeploymentAndServiceOwnedByTheFunction() {
    String ns = TestFunctions.namespace("create");
    Function function = TestFunctions.python(ns, "hello");
    function.getSpec().setDeps("requests==2.31.0\n");
    Function created = client.resource(function).create();

    Deployment deployment = awaitDeployment(client, ns, "hello");
    ConfigMap configMap = client.configMaps().inNamespace(ns).withName("hello").get();
    Service service = client.services().inNamespace(ns).withName("hello").get();

    assertThat(configMap.getData())
        .containsEntry("handler", "hello.handler")
        .containsEntry("hello.py", function.getSpec().getFunction())
        .containsEntry("requirements.txt", "requests==2.31.0\n");
    assertThat(service.getSpec().getPorts().get(0).getName()).isEqualTo("http-function-port");
    assertThat(service.getSpec().getPorts().get(0).getPort()).isEqualTo(8080);
    assertThat(service.getSpec().getSelector()).containsEntry("function", "hello");
    Container container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(container.getImage()).endsWith("/runtime-python:3.12");
    assertThat(container.getEnv())
        .anySatisfy(e -> assertThat(e.getName()).isEqualTo("FUNC_HANDLER"));
    assertThat(deployment.getSpec().getTemplate().getSpec().getInitContainers())
        .extracting(Container::getName)
        .containsExactly("prepare", "install");
    for (HasMetadata child : List.of(configMap, service, deployment)) {
      assertThat(child.getMetadata().getLabels())
          .containsEntry("function", "hello")
          .containsEntry("created-by", "kubeless")
          .containsEntry("app", "hello");
      OwnerReference owner = child.getMetadata().getOwnerReferences().get(0);
      assertThat(owner.getUid()).isEqualTo(created.getMetadata().getUid());
      assertThat(owner.getKind()).isEqualTo("Function");
      assertThat(owner.getController()).isTrue();
    }
  }

  @Test
  void readyFollowsTheDeploymentsAvailability() {
    String ns = TestFunctions.namespace("ready");
    client.resource(TestFunctions.python(ns, "hello")).create();
    Deployment deployment = awaitDeployment(client, ns, "hello");

    Function waiting = awaitCondition(client, ns, "hello", "False", "DeploymentNotAvailable");
    assertThat(waiting.getStatus().getReadyReplicas()).isZero();
    assertThat(waiting.getStatus().getObservedGeneration())
        .isEqualTo(waiting.getMetadata().getGeneration());

    TestFunctions.markAvailable(client, deployment, 1);
    Function ready = awaitCondition(client, ns, "hello", "True", "DeploymentAvailable");
    assertThat(ready.getStatus().getReadyReplicas()).isEqualTo(1);
    assertThat(ready.getStatus().getUrl())
        .isEqualTo("http://hello." + ns + ".svc.cluster.local:8080");
  }

  @Test
  void readyWaitsForTheCurrentSpecToBeRolledOut() {
    String ns = TestFunctions.namespace("rollout");
    client.resource(TestFunctions.python(ns, "hello")).create();
    Deployment first = awaitDeployment(client, ns, "hello");
    TestFunctions.markAvailable(client, first, 1);
    awaitCondition(client, ns, "hello", "True", "DeploymentAvailable");

    TestFunctions.edit(client, ns, "hello", f -> f.getSpec().setDeps("requests==2.31.0"));
    Deployment second =
        await()
            .atMost(TIMEOUT)
            .until(
                () -> client.apps().deployments().inNamespace(ns).withName("hello").get(),
                d -> !hash(d).equals(hash(first)));

    // what the Deployment controller reports while the old pod serves and the new one starts
    second.setStatus(
        new DeploymentStatusBuilder()
            .withObservedGeneration(second.getMetadata().getGeneration())
            .withReplicas(2)
            .withUpdatedReplicas(0)
            .withReadyReplicas(1)
            .withAvailableReplicas(1)
            .addNewCondition()
            .withType("Available")
            .withStatus("True")
            .endCondition()
            .addNewCondition()
            .withType("Progressing")
            .withStatus("True")
            .withReason("ReplicaSetUpdated")
            .endCondition()
            .build());
    second = client.resource(second).updateStatus();
    Function rolling = awaitCondition(client, ns, "hello", "False", "RollingOut");
    assertThat(rolling.getStatus().getReadyReplicas()).isEqualTo(1);

    second.getStatus().getConditions().get(1).setStatus("False");
    second.getStatus().getConditions().get(1).setReason("ProgressDeadlineExceeded");
    second.getStatus().getConditions().get(1).setMessage("ReplicaSet has timed out progressing.");
    second = client.resource(second).updateStatus();
    Function failed = awaitCondition(client, ns, "hello", "False", "RolloutFailed");
    assertThat(Conditions.find(failed.getStatus(), Conditions.READY).orElseThrow().getMessage())
        .contains("timed out progressing");

    TestFunctions.markAvailable(client, second, 1);
    awaitCondition(client, ns, "hello", "True", "DeploymentAvailable");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.kubeless.function.TestSpecs#rollingChanges")
  void everySpecChangeRollsThePods(String what, Consumer<FunctionSpec> change) {
    String ns = TestFunctions.namespace("roll-" + what);
    client.resource(TestFunctions.python(ns, "hello")).create();
    String before = hash(awaitDeployment(client, ns, "hello"));

    TestFunctions.edit(
        client,
        ns,
        "hello",
        f -> {
          change.accept(f.getSpec());
        });

    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () ->
                assertThat(
                        hash(client.apps().deployments().inNamespace(ns).withName("hello").get()))
                    .as("template hash after changing %s", what)
                    .isNotEqualTo(before));
  }

  @Test
  void anAutoscalerIsAddedAndRemovedWithTheSpec() {
    String ns = TestFunctions.namespace("hpa");
    client.resource(TestFunctions.python(ns, "hello")).create();
    awaitDeployment(client, ns, "hello");

    TestFunctions.edit(
        client,
        ns,
        "hello",
        f -> {
          f.getSpec()
              .setHorizontalPodAutoscaler(
                  yaml(
                      """
                  apiVersion: autoscaling/v2beta1
                  kind: HorizontalPodAutoscaler
                  metadata: {name: hello, namespace: %s}
                  spec:
                    scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: hello}
                    minReplicas: 1
                    maxReplicas: 4
                    metrics:
                    - type: Resource
                      resource: {name: cpu, targetAverageUtilization: 70}
                  """
                          .formatted(ns)));
        });
    HorizontalPodAutoscaler hpa = await().atMost(TIMEOUT).until(() -> hpa(ns), h -> h != null);
    assertThat(hpa.getSpec().getMaxReplicas()).isEqualTo(4);
    assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo("hello");
    assertThat(hpa.getSpec().getMetrics().get(0).getResource().getTarget().getAverageUtilization())
        .isEqualTo(70);

    TestFunctions.edit(
        client,
        ns,
        "hello",
        f -> {
          f.getSpec().setHorizontalPodAutoscaler(null);
        });
    await().atMost(TIMEOUT).until(() -> hpa(ns) == null);
  }

  @Test
  void deletingTheFunctionLeavesItsChildrenToTheGarbageCollector() {
    String ns = TestFunctions.namespace("delete");
    client.resource(TestFunctions.python(ns, "hello")).create();
    client.resource(TestFunctions.python(ns, "other")).create();
    awaitDeployment(client, ns, "hello");
    awaitDeployment(client, ns, "other");

    client.resources(Function.class).inNamespace(ns).withName("hello").delete();
    await()
        .atMost(TIMEOUT)
        .until(
            () -> client.resources(Function.class).inNamespace(ns).withName("hello").get() == null);
    TestingGarbageCollector.collect(client, ns);

    assertThat(client.configMaps().inNamespace(ns).withName("hello").get()).isNull();
    assertThat(client.services().inNamespace(ns).withName("hello").get()).isNull();
    assertThat(client.apps().deployments().inNamespace(ns).withName("hello").get()).isNull();
    // the controller does not bring back the children of a deleted Function, and keeps the rest
    TestFunctions.edit(
        client,
        ns,
        "other",
        f -> {
          f.getSpec().setTimeout("99");
        });
    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () ->
                assertThat(
                        client
                            .apps()
                            .deployments()
                            .inNamespace(ns)
                            .withName("other")
                            .get()
                            .getSpec()
                            .getTemplate()
                            .getSpec()
                            .getContainers()
                            .get(0)
                            .getEnv())
                    .anyMatch(
                        e -> e.getName().equals("FUNC_TIMEOUT") && e.getValue().equals("99")));
    assertThat(client.apps().deployments().inNamespace(ns).withName("hello").get()).isNull();
    assertThat(client.configMaps().inNamespace(ns).withName("hello").get()).isNull();
  }

  @Test
  void zipAndCompressedTarCodeIsUnpackedByTheInitContainer() {
    String ns = TestFunctions.namespace("archive");
    Function zip = TestFunctions.python(ns, "zipped");
    zip.getSpec().setFunctionContentType("base64+zip");
    zip.getSpec()
        .setFunction(
            Base64.getEncoder()
                .encodeToString("PK\u0003\u0004".getBytes(StandardCharsets.ISO_8859_1)));
    Function tar = TestFunctions.python(ns, "tarred");
    tar.getSpec().setFunctionContentType("url+compressedtar");
    tar.getSpec().setFunction("https://example.com/fn.tar.gz");
    client.resource(zip).create();
    client.resource(tar).create();

    String zipScript = prepareScript(awaitDeployment(client, ns, "zipped"));
    String tarScript = prepareScript(awaitDeployment(client, ns, "tarred"));

    assertThat(client.configMaps().inNamespace(ns).withName("zipped").get().getData())
        .containsKey("hello.zip");
    assertThat(zipScript).contains("base64 -d").contains("unzip -o -q");
    assertThat(tarScript).contains("curl -fsSL").contains("tar xf");
    assertThat(
            awaitDeployment(client, ns, "tarred")
                .getSpec()
                .getTemplate()
                .getSpec()
                .getInitContainers()
                .get(0)
                .getEnv())
        .anyMatch(
            e ->
                e.getName().equals("KUBELESS_FUNC_URL")
                    && e.getValue().equals("https://example.com/fn.tar.gz"));
  }

  @Test
  void reconcilesAHundredFunctions() {
    String ns = TestFunctions.namespace("hundred");
    IntStream.range(0, 100)
        .forEach(i -> client.resource(TestFunctions.python(ns, "fn-" + i)).create());

    await()
        .atMost(TIMEOUT.multipliedBy(4))
        .untilAsserted(
            () -> {
              assertThat(client.apps().deployments().inNamespace(ns).list().getItems())
                  .hasSize(100);
              assertThat(client.services().inNamespace(ns).list().getItems()).hasSize(100);
              assertThat(client.configMaps().inNamespace(ns).list().getItems()).hasSize(100);
              assertThat(client.resources(Function.class).inNamespace(ns).list().getItems())
                  .allSatisfy(
                      f ->
                          assertThat(f.getStatus().getUrl())
                              .isEqualTo(
                                  "http://"
                                      + f.getMetadata().getName()
                                      + "."
                                      + ns
                                      + ".svc.cluster.local:8080"));
            });
  }

  private HorizontalPodAutoscaler hpa(String ns) {
    return client.resources(HorizontalPodAutoscaler.class).inNamespace(ns).withName("hello").get();
  }

  private static String prepareScript(Deployment deployment) {
    return deployment
        .getSpec()
        .getTemplate()
        .getSpec()
        .getInitContainers()
        .get(0)
        .getCommand()
        .get(2);
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
