package io.kubeless.trigger.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionSpec;
import io.kubeless.api.v1beta1.FunctionStatus;
import io.kubeless.trigger.function.FunctionEndpoint;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class KubernetesFunctionDirectoryTest {

  static KubernetesClient client;

  private KubernetesFunctionDirectory directory;
  private final List<String> changes = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    Path crd =
        Path.of(System.getProperty("maven.multiModuleProjectDirectory", ".."))
            .resolve("k8s/crds/functions/functions.kubeless.io-v1.yml");
    try (InputStream in = Files.newInputStream(crd)) {
      client
          .resource(Serialization.unmarshal(in, CustomResourceDefinition.class))
          .createOr(r -> r.update());
    }
    directory =
        new KubernetesFunctionDirectory(
            client, FunctionEndpoints.defaults("cluster.local"), Duration.ofSeconds(10));
    directory.subscribe((ns, name) -> changes.add(ns + "/" + name));
  }

  @AfterEach
  void stop() {
    directory.close();
  }

  @Test
  void followsFunctionsTheirReadinessAndTheirLabels() {
    Function hello =
        client.resource(function("shop", "hello", "30", Map.of("app", "shop"))).create();
    client.resource(function("shop", "other", null, Map.of("app", "billing"))).create();
    client.resource(function("elsewhere", "hello", null, Map.of("app", "shop"))).create();
    status(hello, "http://hello.shop.svc.cluster.local:8080", 1);

    var selector = new LabelSelectorBuilder().withMatchLabels(Map.of("app", "shop")).build();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> directory.select("shop", selector).stream().anyMatch(FunctionEndpoint::ready));
    FunctionEndpoint endpoint = directory.select("shop", selector).getFirst();
    assertThat(directory.select("shop", selector)).hasSize(1);
    assertThat(endpoint.url()).isEqualTo(URI.create("http://hello.shop.svc.cluster.local:8080"));
    assertThat(endpoint.timeout()).isEqualTo(Duration.ofSeconds(30));
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> assertThat(changes).contains("shop/hello", "shop/other", "elsewhere/hello"));

    status(
        client.resources(Function.class).inNamespace("shop").withName("hello").get(),
        "http://hello.shop.svc.cluster.local:8080",
        0);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> !directory.find("shop", "hello").orElseThrow().ready());

    client.resources(Function.class).inNamespace("shop").withName("hello").delete();
    await().atMost(Duration.ofSeconds(10)).until(() -> directory.find("shop", "hello").isEmpty());
    assertThat(directory.select("shop", selector)).isEmpty();
  }

  @Test
  void keepsOnlyWhatAnEndpointNeedsOfAFunction() {
    Function big = function("shop", "big", "12", Map.of("app", "shop"));
    big.getSpec().setFunction("x".repeat(100_000));
    big.getSpec().setDeps("requests==2.32.3");
    big.getSpec().setService(servicePort(9090));
    client.resource(big).create();

    await().atMost(Duration.ofSeconds(10)).until(() -> directory.find("shop", "big").isPresent());
    Function cached = directory.cached("shop", "big");
    assertThat(cached.getSpec().getFunction()).isNull();
    assertThat(cached.getSpec().getDeps()).isNull();
    assertThat(cached.getMetadata().getManagedFields()).isNullOrEmpty();
    assertThat(cached.getMetadata().getLabels()).containsEntry("app", "shop");
    assertThat(cached.getMetadata().getResourceVersion()).isNotBlank();
    FunctionEndpoint endpoint = directory.find("shop", "big").orElseThrow();
    assertThat(endpoint.url()).isEqualTo(URI.create("http://big.shop.svc.cluster.local:9090"));
    assertThat(endpoint.timeout()).isEqualTo(Duration.ofSeconds(12));
  }

  @Test
  void aFunctionWithoutStatusGetsKubelessAddressAndDefaultTimeout() {
    client.resource(function("legacy", "old", "", Map.of())).create();

    await().atMost(Duration.ofSeconds(10)).until(() -> directory.find("legacy", "old").isPresent());
    FunctionEndpoint endpoint = directory.find("legacy", "old").orElseThrow();
    assertThat(endpoint.url()).isEqualTo(URI.create("http://old.legacy.svc.cluster.local:8080"));
    assertThat(endpoint.timeout()).isEqualTo(Duration.ofSeconds(180));
    assertThat(endpoint.ready()).isTrue();
  }

  @Test
  void aFunctionIsReachedOnItsServicePortAndAMalformedStatusUrlBreaksNothing() {
    Function custom = function("legacy", "custom", "7", Map.of());
    custom.getSpec().setService(servicePort(9090));
    client.resource(custom).create();
    Function broken = client.resource(function("legacy", "broken", null, Map.of())).create();
    status(broken, "http://bad host:80", 1);
    client.resource(function("legacy", "after", null, Map.of())).create();

    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                directory.find("legacy", "after").isPresent()
                    && directory
                        .find("legacy", "broken")
                        .map(FunctionEndpoint::ready)
                        .orElse(false));
    FunctionEndpoint endpoint = directory.find("legacy", "custom").orElseThrow();
    assertThat(endpoint.url()).isEqualTo(URI.create("http://custom.legacy.svc.cluster.local:9090"));
    assertThat(endpoint.timeout()).isEqualTo(Duration.ofSeconds(7));
    // status.url is never read for delivery: a malformed one neither breaks the directory nor
    // hides the Function
    assertThat(directory.find("legacy", "broken").orElseThrow().url())
        .isEqualTo(URI.create("http://broken.legacy.svc.cluster.local:8080"));
  }

  @Test
  void aStatusUrlPointingElsewhereIsIgnored() {
    Function fn = client.resource(function("ssrf", "fn", null, Map.of())).create();
    status(fn, "http://169.254.169.254/latest/meta-data/", 1);

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> directory.find("ssrf", "fn").map(FunctionEndpoint::ready).orElse(false));
    assertThat(directory.find("ssrf", "fn").orElseThrow().url())
        .isEqualTo(URI.create("http://fn.ssrf.svc.cluster.local:8080"));
  }

  static ObjectNode servicePort(int port) {
    ObjectMapper json = new ObjectMapper();
    ObjectNode service = json.createObjectNode();
    service.putArray("ports").addObject().put("name", "http-function-port").put("port", port);
    return service;
  }

  static Function function(String ns, String name, String timeout, Map<String, String> labels) {
    FunctionSpec spec = new FunctionSpec();
    spec.setRuntime("python3.12");
    spec.setHandler("h.handle");
    spec.setTimeout(timeout);
    Function f = new Function();
    f.setMetadata(
        new ObjectMetaBuilder().withNamespace(ns).withName(name).withLabels(labels).build());
    f.setSpec(spec);
    return f;
  }

  private static void status(Function f, String url, int ready) {
    FunctionStatus status = new FunctionStatus();
    status.setUrl(url);
    status.setReadyReplicas(ready);
    Conditions.set(status, f, Conditions.READY, ready > 0, "Test", "");
    f.setStatus(status);
    client.resource(f).updateStatus();
  }
}
