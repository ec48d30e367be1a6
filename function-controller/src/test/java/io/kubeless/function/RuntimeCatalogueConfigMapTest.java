package io.kubeless.function;

import static io.kubeless.function.TestFunctions.TIMEOUT;
import static io.kubeless.function.TestFunctions.awaitCondition;
import static io.kubeless.function.TestFunctions.awaitDeployment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.kubeless.api.v1beta1.Function;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The catalogue ConfigMap changes runtimes without restarting the controller. */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class RuntimeCatalogueConfigMapTest {

  @Inject KubernetesClient client;

  @AfterEach
  void restoreDefaults() {
    client.configMaps().inNamespace("kubeless").withName("kubeless-runtimes").delete();
  }

  @Test
  void aRuntimeAddedToTheCatalogueDeploysFunctionsWaitingForIt() {
    String ns = TestFunctions.namespace("catalogue");
    Function function = TestFunctions.python(ns, "ruby");
    function.getSpec().setRuntime("ruby3.3");
    function.getSpec().setHandler("handler.call");
    client.resource(function).create();
    awaitCondition(client, ns, "ruby", "False", "UnknownRuntime");

    catalogue("ruby3.3:\n  image: mirror.local/ruby:3.3\n  fileSuffix: .rb\n");
    assertThat(image(awaitDeployment(client, ns, "ruby"))).isEqualTo("mirror.local/ruby:3.3");
    assertThat(client.configMaps().inNamespace(ns).withName("ruby").get().getData())
        .containsKey("handler.rb");

    catalogue("ruby3.3:\n  image: mirror.local/ruby:3.3.1\n  fileSuffix: .rb\n");
    await()
        .atMost(TIMEOUT)
        .until(
            () -> image(client.apps().deployments().inNamespace(ns).withName("ruby").get()),
            "mirror.local/ruby:3.3.1"::equals);
  }

  @Test
  void aBrokenCatalogueKeepsFunctionsRunning() {
    String ns = TestFunctions.namespace("broken-catalogue");
    catalogue("python3.12: [not, a, map");
    client.resource(TestFunctions.python(ns, "hello")).create();

    assertThat(image(awaitDeployment(client, ns, "hello"))).endsWith("/runtime-python:3.12");
  }

  private void catalogue(String yaml) {
    client
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("kubeless-runtimes")
                .withNamespace("kubeless")
                .endMetadata()
                .withData(Map.of("runtimes.yaml", yaml))
                .build())
        .createOr(NonDeletingOperation::update);
  }

  private static String image(io.fabric8.kubernetes.api.model.apps.Deployment deployment) {
    return deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getImage();
  }
}
