package io.kubeless.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code function call} through the API server's service proxy, on the mock API server. */
@EnableKubernetesMockClient
class FunctionCallCommandTest {

  static final String PROXY = "/api/v1/namespaces/calls/services/hello:http-function-port/proxy/";

  KubernetesMockServer server;
  KubernetesClient client;

  @TempDir Path dir;

  @BeforeEach
  void functionService() {
    server
        .expect()
        .get()
        .withPath("/api/v1/namespaces/calls/services/hello")
        .andReturn(
            200,
            new ServiceBuilder()
                .withNewMetadata()
                .withName("hello")
                .withNamespace("calls")
                .endMetadata()
                .withNewSpec()
                .addNewPort()
                .withName("http-function-port")
                .withPort(8080)
                .endPort()
                .endSpec()
                .build())
        .always();
  }

  private RecordedRequest proxyRequest() throws InterruptedException {
    RecordedRequest request;
    do {
      request = server.takeRequest();
    } while (!request.getPath().equals(PROXY));
    return request;
  }

  @Test
  void withoutDataItSendsAGetWithKubelessHeaders() throws Exception {
    server.expect().get().withPath(PROXY).andReturn(200, "hello world").once();

    CliRun run = CliRun.run(client, "function", "call", "hello", "-n", "calls");

    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out()).isEqualTo("hello world\n");
    RecordedRequest request = proxyRequest();
    assertThat(request.getMethod()).isEqualTo("GET");
    assertThat(request.getHeader("event-namespace")).isEqualTo("cli.kubeless.io");
    assertThat(request.getHeader("event-id")).hasSize(11);
    assertThat(request.getHeader("event-time"))
        .matches("\\d{4}-\\d\\d-\\d\\dT.*(Z|[+-]\\d\\d:\\d\\d)");
  }

  @Test
  void jsonDataFromAFileIsPostedAsJson() throws Exception {
    server.expect().post().withPath(PROXY).andReturn(200, "{\"ok\":true}").once();
    Path payload = dir.resolve("payload.json");
    Files.writeString(payload, "{\"name\":\"kubeless\"}");

    CliRun run =
        CliRun.run(client, "function", "call", "hello", "-n", "calls", "-d", "@" + payload);

    assertThat(run.code()).as(run.err()).isZero();
    RecordedRequest request = proxyRequest();
    assertThat(request.getMethod()).isEqualTo("POST");
    assertThat(request.getHeader("Content-Type")).startsWith("application/json");
    assertThat(request.getHeader("event-type")).isEqualTo("application/json");
    assertThat(request.getUtf8Body()).isEqualTo("{\"name\":\"kubeless\"}");
  }

  @Test
  void failAndIncludeReportTheStatus() throws Exception {
    server.expect().put().withPath(PROXY).andReturn(500, "boom").once();

    CliRun run =
        CliRun.run(
            client,
            "function",
            "call",
            "hello",
            "-n",
            "calls",
            "-X",
            "PUT",
            "-d",
            "x",
            "-H",
            "X-Trace: abc",
            "--fail",
            "-i");

    assertThat(run.code()).isEqualTo(1);
    assertThat(run.out()).startsWith("HTTP 500").endsWith("boom\n");
    RecordedRequest request = proxyRequest();
    assertThat(request.getHeader("X-Trace")).isEqualTo("abc");
    assertThat(request.getHeader("Content-Type")).startsWith("application/x-www-form-urlencoded");
  }

  @Test
  void requestTimeoutIsReportedAsKubelessDoes() {
    server.expect().get().withPath(PROXY).andReturn(408, "").once();

    CliRun run = CliRun.run(client, "function", "call", "hello", "-n", "calls");

    assertThat(run.code()).isEqualTo(1);
    assertThat(run.err()).contains("Request timeout exceeded");
  }
}
