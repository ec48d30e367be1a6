package io.kubeless.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodListBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import org.junit.jupiter.api.Test;

/** {@code function logs} and {@code function top} on Kubernetes, on the mock API server. */
@EnableKubernetesMockClient
class FunctionLogsTopCommandTest {

  KubernetesMockServer server;
  KubernetesClient client;

  private static io.fabric8.kubernetes.api.model.Pod pod(String name) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("ns1")
        .addToLabels("function", "hello")
        .endMetadata()
        .build();
  }

  @Test
  void logsPrintsEveryReplicaPrefixedByItsPod() {
    server
        .expect()
        .get()
        .withPath("/api/v1/namespaces/ns1/pods?labelSelector=function%3Dhello")
        .andReturn(200, new PodListBuilder().addToItems(pod("hello-b"), pod("hello-a")).build())
        .once();
    server
        .expect()
        .get()
        .withPath("/api/v1/namespaces/ns1/pods/hello-a/log?pretty=false&container=hello")
        .andReturn(200, "one\ntwo\n")
        .once();
    server
        .expect()
        .get()
        .withPath("/api/v1/namespaces/ns1/pods/hello-b/log?pretty=false&container=hello")
        .andReturn(200, "three\n")
        .once();
    CliRun run =
        CliRun.run(client, "function", "logs", "hello", "-n", "ns1", "--target", "kubernetes");
    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out()).isEqualTo("[hello-a] one\n[hello-a] two\n[hello-b] three\n");
  }

  @Test
  void topReadsTheRuntimeMetricsThroughTheServiceProxy() {
    server
        .expect()
        .get()
        .withPath("/api/v1/namespaces/ns1/services/hello")
        .andReturn(
            200,
            new ServiceBuilder()
                .withNewMetadata()
                .withName("hello")
                .endMetadata()
                .withNewSpec()
                .addNewPort()
                .withName("http-function-port")
                .withPort(8080)
                .endPort()
                .endSpec()
                .build())
        .always();
    var function = new io.kubeless.api.v1beta1.Function();
    function.setMetadata(
        new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
            .withName("hello")
            .withNamespace("ns1")
            .build());
    server
        .expect()
        .get()
        .withPath("/apis/kubeless.io/v1beta1/namespaces/ns1/functions/hello")
        .andReturn(200, function)
        .always();
    server
        .expect()
        .get()
        .withPath("/api/v1/namespaces/ns1/services/hello:http-function-port/proxy/metrics")
        .andReturn(
            200,
            """
            function_calls_total{method="GET"} 2
            function_failures_total{method="GET"} 0
            function_duration_seconds_bucket{method="GET",le="0.01"} 2
            function_duration_seconds_bucket{method="GET",le="+Inf"} 2
            """)
        .always();
    CliRun run =
        CliRun.run(client, "function", "top", "-f", "hello", "-n", "ns1", "--target", "kubernetes");
    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out()).containsPattern("hello\\s+ns1\\s+2\\s+0\\s+5\\.0ms\\s+9\\.5ms");
  }
}
