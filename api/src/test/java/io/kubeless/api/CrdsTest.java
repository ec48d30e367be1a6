package io.kubeless.api;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.APIResourceListBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.KafkaTrigger;
import io.kubeless.api.v1beta1.NATSTrigger;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What a controller checks before its informers start: the API discovery lists its kinds. */
class CrdsTest {

  private KubernetesMockServer server;
  private KubernetesClient client;

  @BeforeEach
  void start() {
    server = new KubernetesMockServer(false);
    server.init();
    client = server.createClient();
  }

  @AfterEach
  void stop() {
    client.close();
    server.destroy();
  }

  /** kubeless.io/v1beta1 as served with only these CRDs installed. */
  private void serving(String... plurals) {
    APIResourceListBuilder list =
        new APIResourceListBuilder().withGroupVersion("kubeless.io/v1beta1");
    for (String plural : plurals) {
      list.addNewResource().withName(plural).withNamespaced(true).endResource();
      list.addNewResource().withName(plural + "/status").withNamespaced(true).endResource();
    }
    server
        .expect()
        .get()
        .withPath("/apis/kubeless.io/v1beta1")
        .andReturn(200, list.build())
        .always();
  }

  @Test
  void servedKindsPass() {
    serving("functions", "natstriggers", "kafkatriggers");

    assertThatCode(() -> Crds.requireServed(client, List.of(NATSTrigger.class, Function.class)))
        .doesNotThrowAnyException();
  }

  @Test
  void aKindNotServedIsNamedWithItsCrd() {
    serving("functions", "kafkatriggers");

    assertThatThrownBy(
            () ->
                Crds.requireServed(
                    client, List.of(NATSTrigger.class, Function.class, KafkaTrigger.class)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith(
            "The API server serves no natstriggers.kubeless.io (NATSTrigger kubeless.io/v1beta1):")
        .hasMessageContaining("k8s/crds/natstriggers")
        .hasMessageNotContaining("functions.kubeless.io")
        .hasMessageNotContaining("kafkatriggers");
  }

  @Test
  void aGroupNotServedAtAllNamesEveryKind() {
    // no expectation: the mock server answers 404, as an API server with no kubeless.io CRD

    assertThatThrownBy(() -> Crds.requireServed(client, List.of(NATSTrigger.class, Function.class)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no natstriggers.kubeless.io (NATSTrigger kubeless.io/v1beta1)")
        .hasMessageContaining("no functions.kubeless.io (Function kubeless.io/v1beta1)")
        .hasMessageContaining("k8s/crds/natstriggers, k8s/crds/functions");
  }
}
