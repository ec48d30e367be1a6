package io.kubeless.function;

import static io.kubeless.function.TestFunctions.awaitCondition;
import static io.kubeless.function.TestFunctions.awaitDeployment;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.Function;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

/** Function YAML written for Kubeless's runtime names applies unchanged, or says what to use. */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class KubelessRuntimeNamesTest {

  @Inject KubernetesClient client;

  @Test
  void aNodejs8FunctionRunsOnTheNodejsRuntime() {
    String ns = TestFunctions.namespace("nodejs8");
    Function function = TestFunctions.python(ns, "hello");
    function.getSpec().setRuntime("nodejs8");
    function.getSpec().setHandler("handler.foo");
    function.getSpec().setFunction("module.exports = { foo: (event, context) => 'hello' };\n");
    client.resource(function).create();

    Container container =
        awaitDeployment(client, ns, "hello")
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .get(0);
    assertThat(container.getImage()).endsWith("/runtime-nodejs:20");
    assertThat(container.getEnv())
        .filteredOn(e -> e.getName().equals("FUNC_RUNTIME"))
        .extracting(EnvVar::getValue)
        .containsExactly("nodejs8");
    assertThat(client.configMaps().inNamespace(ns).withName("hello").get().getData())
        .containsKey("handler.js");
  }

  @Test
  void aPython27FunctionIsRefusedNamingTheReplacement() {
    String ns = TestFunctions.namespace("python27");
    Function function = TestFunctions.python(ns, "hello");
    function.getSpec().setRuntime("python2.7");
    client.resource(function).create();

    Function refused = awaitCondition(client, ns, "hello", "False", "UnsupportedRuntime");
    assertThat(Conditions.find(refused.getStatus(), Conditions.READY).orElseThrow().getMessage())
        .contains("python2.7", "end-of-life", "use python3.12");
    assertThat(client.apps().deployments().inNamespace(ns).withName("hello").get()).isNull();
  }
}
