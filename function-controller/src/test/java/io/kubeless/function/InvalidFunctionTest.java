package io.kubeless.function;

import static io.kubeless.function.TestFunctions.TIMEOUT;
import static io.kubeless.function.TestFunctions.awaitCondition;
import static io.kubeless.function.TestFunctions.awaitDeployment;
import static io.kubeless.function.TestSpecs.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionSpec;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Invalid Functions become {@code Ready=False} with their own reason and a Warning Event, write
 * nothing, and do not hold back the healthy Function next to them.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class InvalidFunctionTest {

  @Inject KubernetesClient client;

  static Stream<Arguments> badSpecs() {
    return Stream.of(
        Arguments.of("InvalidHandler", (Consumer<FunctionSpec>) s -> s.setHandler("hello")),
        Arguments.of("UnknownRuntime", (Consumer<FunctionSpec>) s -> s.setRuntime("cobol85")),
        Arguments.of(
            "UnknownContentType", (Consumer<FunctionSpec>) s -> s.setFunctionContentType("binary")),
        Arguments.of(
            "ChecksumMismatch",
            (Consumer<FunctionSpec>) s -> s.setChecksum("sha256:" + "0".repeat(64))),
        Arguments.of(
            "InvalidDeployment",
            (Consumer<FunctionSpec>) s -> s.setDeployment(yaml("spec: {replicas: lots}"))),
        Arguments.of("InvalidTimeout", (Consumer<FunctionSpec>) s -> s.setTimeout("soon")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badSpecs")
  void anInvalidSpecIsReportedAndTheHealthyFunctionNextToItIsReconciled(
      String reason, Consumer<FunctionSpec> breakIt) {
    String ns = TestFunctions.namespace("bad-" + reason.toLowerCase());
    Function bad = TestFunctions.python(ns, "bad");
    breakIt.accept(bad.getSpec());
    client.resource(bad).create();
    client.resource(TestFunctions.python(ns, "good")).create();

    Function reported = awaitCondition(client, ns, "bad", "False", reason);
    awaitDeployment(client, ns, "good");

    assertThat(Conditions.find(reported.getStatus(), Conditions.READY).orElseThrow().getMessage())
        .isNotBlank();
    assertThat(warnings(ns, "bad")).extracting(Event::getReason).contains(reason);
    assertThat(client.apps().deployments().inNamespace(ns).withName("bad").get()).isNull();
    assertThat(client.configMaps().inNamespace(ns).withName("bad").get()).isNull();
  }

  @Test
  void anObjectThatIsNotKubelessIsNeverOverwritten() {
    String ns = TestFunctions.namespace("conflict");
    ConfigMap foreign =
        client
            .resource(
                new ConfigMapBuilder()
                    .withNewMetadata()
                    .withName("taken")
                    .withNamespace(ns)
                    .addToLabels("app", "billing")
                    .endMetadata()
                    .withData(Map.of("db", "postgres://billing"))
                    .build())
            .create();
    client.resource(TestFunctions.python(ns, "taken")).create();
    client.resource(TestFunctions.python(ns, "good")).create();

    Function reported = awaitCondition(client, ns, "taken", "False", "ResourceConflict");
    awaitDeployment(client, ns, "good");

    assertThat(Conditions.find(reported.getStatus(), Conditions.READY).orElseThrow().getMessage())
        .contains("ConfigMap " + ns + "/taken");
    assertThat(warnings(ns, "taken")).extracting(Event::getReason).contains("ResourceConflict");
    ConfigMap after = client.configMaps().inNamespace(ns).withName("taken").get();
    assertThat(after.getData()).isEqualTo(Map.of("db", "postgres://billing"));
    assertThat(after.getMetadata().getResourceVersion())
        .isEqualTo(foreign.getMetadata().getResourceVersion());
    assertThat(client.apps().deployments().inNamespace(ns).withName("taken").get()).isNull();

    // the owner removes the object: the Function is deployed without being touched again
    client.resource(after).delete();
    awaitDeployment(client, ns, "taken");
    awaitCondition(client, ns, "taken", "False", "DeploymentNotAvailable");
  }

  @Test
  void anOrphanLeftByKubelessIsAdopted() {
    String ns = TestFunctions.namespace("adopt");
    client
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("legacy")
                .withNamespace(ns)
                .addToLabels("created-by", "kubeless")
                .addToLabels("function", "legacy")
                .endMetadata()
                .withData(Map.of("handler", "old.handler"))
                .build())
        .create();
    Function created = client.resource(TestFunctions.python(ns, "legacy")).create();

    awaitDeployment(client, ns, "legacy");
    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () -> {
              ConfigMap adopted = client.configMaps().inNamespace(ns).withName("legacy").get();
              assertThat(adopted.getData()).containsEntry("handler", "hello.handler");
              assertThat(adopted.getMetadata().getOwnerReferences())
                  .anyMatch(
                      o -> o.getUid().equals(created.getMetadata().getUid()) && o.getController());
            });
  }

  @Test
  void aFixedFunctionIsDeployedAndWarnedAboutOnlyOnce() {
    String ns = TestFunctions.namespace("fixed");
    Function bad = TestFunctions.python(ns, "fn");
    bad.getSpec().setRuntime("cobol85");
    client.resource(bad).create();
    awaitCondition(client, ns, "fn", "False", "UnknownRuntime");
    // touching the Function without fixing it does not repeat the Event
    TestFunctions.edit(
        client,
        ns,
        "fn",
        f -> {
          f.getMetadata().getLabels().put("touched", "yes");
          f.getSpec().setTimeout("31");
        });
    await()
        .atMost(TIMEOUT)
        .until(
            () -> client.resources(Function.class).inNamespace(ns).withName("fn").get(),
            f -> f.getStatus().getObservedGeneration().equals(f.getMetadata().getGeneration()));

    TestFunctions.edit(
        client,
        ns,
        "fn",
        f -> {
          f.getSpec().setRuntime("python3.12");
        });

    TestFunctions.markAvailable(client, awaitDeployment(client, ns, "fn"), 1);
    awaitCondition(client, ns, "fn", "True", "DeploymentAvailable");
    assertThat(warnings(ns, "fn")).extracting(Event::getReason).containsExactly("UnknownRuntime");
  }

  private List<Event> warnings(String ns, String name) {
    return client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> "Warning".equals(e.getType()))
        .filter(e -> name.equals(e.getInvolvedObject().getName()))
        .toList();
  }
}
