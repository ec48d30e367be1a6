package io.kubeless.http;

import static io.kubeless.testing.TestFunctions.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kubeless.testing.MockApiServer;
import io.kubeless.testing.PackagedApp;
import io.kubeless.testing.RecordingFunction;
import io.kubeless.testing.TestFunctions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Two packaged replicas of the HTTP trigger on one API server, as behind the Service {@code
 * kubeless-http-gateway}: both serve a builtin route, and when one is killed the other keeps
 * serving it.
 */
class GatewayReplicasIT {

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void everyReplicaServesTheBuiltinRoutes() throws Exception {
    String ns = TestFunctions.unique("replicas");
    int portA = freePort();
    int portB = freePort();
    try (MockApiServer api = MockApiServer.withCrds("httptriggers", "functions");
        RecordingFunction echo = new RecordingFunction("echo");
        PackagedApp a = replica(api, "http-trigger-a", portA);
        PackagedApp b = replica(api, "http-trigger-b", portB)) {
      TestFunctions.create(api.client(), ns, echo, Map.of(), true);
      api.client()
          .resource(
              HTTPTriggerReconcilerTest.trigger(
                  ns,
                  "echo",
                  s -> {
                    s.setGateway("builtin");
                    s.setPath("/echo");
                  }))
          .create();

      // (no status here: the packaged application patches status with server-side apply, which
      // the mock API server rejects; HTTPTriggerReconcilerTest covers status in-process)
      await().atMost(TIMEOUT).ignoreExceptions().until(() -> post(portA) == 200);
      await().atMost(TIMEOUT).ignoreExceptions().until(() -> post(portB) == 200);
      int received = echo.received();
      assertThat(received).isGreaterThanOrEqualTo(2);

      a.kill();
      assertThat(post(portB)).isEqualTo(200);
      assertThat(echo.received()).isEqualTo(received + 1);
    }
  }

  private int post(int port) throws IOException, InterruptedException {
    return http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/echo"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"hello\":1}"))
                .timeout(Duration.ofSeconds(20))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  private static PackagedApp replica(MockApiServer api, String identity, int gatewayPort) {
    return PackagedApp.of("kubeless.trigger.jar")
        .apiServer(api, "kubeless")
        // the recording function listens on 127.0.0.1, on its Function's Service port
        .property("kubeless.trigger.functions.url-template", "http://127.0.0.1:{port}")
        .env("KUBELESS_NAMESPACE", "kubeless")
        .property("kubeless.http-trigger.gateway.port", String.valueOf(gatewayPort))
        .property("kubeless.http-trigger.gateway-api.enabled", "false")
        .property("kubeless.trigger.status-interval", "2s")
        .property("kubeless.trigger.leader-election.lease-duration", "4s")
        .property("kubeless.trigger.leader-election.renew-deadline", "3s")
        .property("kubeless.trigger.leader-election.retry-period", "1s")
        .start(identity);
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
