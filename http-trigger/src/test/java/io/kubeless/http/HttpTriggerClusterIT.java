package io.kubeless.http;

import static io.kubeless.testing.TestFunctions.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.v1beta1.HTTPTrigger;
import io.kubeless.testing.KubeCluster;
import io.kubeless.testing.PackagedApp;
import io.kubeless.testing.RecordingFunction;
import io.kubeless.testing.TestFunctions;
import io.kubeless.testing.TriggerStatuses;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packaged HTTP trigger on a real API server, installed with {@code kubectl apply -k
 * k8s/http-trigger} and running as its ServiceAccount under the manifests' RBAC, with its shipped
 * configuration (server-side apply on; the Gateway API discovered, and absent here).
 */
class HttpTriggerClusterIT {

  private static final String ACCOUNT = "kubeless-http-trigger";

  private static KubeCluster cluster;
  private static KubernetesClient admin;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void install() {
    cluster = KubeCluster.shared();
    admin = cluster.admin();
    // the Function CRD comes with the function controller, installed first (README)
    cluster.install("function-controller");
    cluster.install("http-trigger");
  }

  @Test
  void theBuiltinGatewayServesTheRouteAndTheStatusIsWrittenByServerSideApply() throws Exception {
    String ns = cluster.newNamespace("http-builtin");
    int gateway = freePort();
    try (RecordingFunction echo = new RecordingFunction("echo");
        PackagedApp trigger = replica("http-builtin-0", gateway)) {
      TestFunctions.create(admin, ns, echo, Map.of(), true);
      admin
          .resource(
              HTTPTriggerReconcilerTest.trigger(
                  ns,
                  "echo",
                  s -> {
                    s.setGateway("builtin");
                    s.setPath("echo");
                  }))
          .create();
      admin
          .resource(HTTPTriggerReconcilerTest.trigger(ns, "ghost", s -> s.setGateway("builtin")))
          .create();

      HTTPTrigger ready =
          TriggerStatuses.awaitReady(admin, HTTPTrigger.class, ns, "echo", "True", "Published");
      await().atMost(TIMEOUT).ignoreExceptions().until(() -> post(gateway, "/echo") == 200);
      assertThat(echo.requests().getLast().body())
          .asString(StandardCharsets.UTF_8)
          .isEqualTo("{\"hello\":1}");
      assertThat(ready.getStatus().getObservedGeneration())
          .isEqualTo(ready.getMetadata().getGeneration());
      assertThat(KubeCluster.statusOperations(ready)).contains("Apply");

      TriggerStatuses.awaitReady(
          admin, HTTPTrigger.class, ns, "ghost", "False", "FunctionNotFound");
      TriggerStatuses.awaitWarningEvent(admin, ns, "ghost", "FunctionNotFound");

      String table = cluster.kubectl("get", "httptriggers", "-n", ns);
      assertThat(table.lines().findFirst().orElseThrow().split("\\s+"))
          .containsExactly("NAME", "AGE", "FUNCTION", "GATEWAY", "HOST", "PATH", "READY", "URL");
      assertThat(KubeCluster.row(table, "echo"))
          .containsSubsequence("echo", "echo", "builtin", "True");
      assertThat(KubeCluster.row(table, "ghost"))
          .containsSubsequence("ghost", "ghost", "builtin", "False");

      assertThat(trigger.terminate(Duration.ofSeconds(15))).as("ended within 15 s").isTrue();
    }
  }

  /**
   * {@code gateway: nginx}: the trigger applies an Ingress (server-side apply, owned by the
   * trigger) under the manifests' permissions, and the garbage collector removes it with the
   * trigger.
   */
  @Test
  void anNginxTriggerAppliesAnIngressItOwnsAndTheGarbageCollectorRemovesItWithTheTrigger()
      throws Exception {
    cluster.withWorkloads();
    String ns = cluster.newNamespace("http-nginx");
    try (RecordingFunction hello = new RecordingFunction("hello");
        PackagedApp trigger = replica("http-nginx-0", freePort())) {
      TestFunctions.create(admin, ns, hello, Map.of(), true);
      HTTPTrigger created =
          admin
              .resource(
                  HTTPTriggerReconcilerTest.trigger(
                      ns,
                      "hello",
                      s -> {
                        s.setGateway("nginx");
                        s.setHostName("hello.example.com");
                      }))
              .create();

      TriggerStatuses.awaitReady(admin, HTTPTrigger.class, ns, "hello", "True", "Published");
      Ingress ingress = admin.network().v1().ingresses().inNamespace(ns).withName("hello").get();
      assertThat(ingress.getSpec().getRules().getFirst().getHost()).isEqualTo("hello.example.com");
      assertThat(
              ingress.getMetadata().getManagedFields().stream()
                  .map(ManagedFieldsEntry::getOperation))
          .contains("Apply");
      assertThat(ingress.getMetadata().getOwnerReferences())
          .singleElement()
          .satisfies(
              o -> {
                assertThat(o.getUid()).isEqualTo(created.getMetadata().getUid());
                assertThat(o.getController()).isTrue();
              });

      admin.resource(created).delete();
      await()
          .atMost(TIMEOUT)
          .until(
              () ->
                  admin.network().v1().ingresses().inNamespace(ns).withName("hello").get() == null);
      assertThat(trigger.terminate(Duration.ofSeconds(15))).as("ended within 15 s").isTrue();
    }
  }

  /**
   * Two replicas serve the builtin routes; the status Lease elects which one writes status. A
   * SIGTERM releases it, and the other one writes the next generation's status at once.
   */
  @Test
  void everyReplicaServesTheRouteAndTheStatusLeaseMovesOnSigterm() throws Exception {
    String ns = cluster.newNamespace("http-lease");
    int portA = freePort();
    int portB = freePort();
    try (RecordingFunction echo = new RecordingFunction("echo");
        PackagedApp a = replica("http-lease-a", portA);
        PackagedApp b = replica("http-lease-b", portB)) {
      Map<String, PackagedApp> replicas = Map.of("http-lease-a", a, "http-lease-b", b);
      Map<String, Integer> ports = Map.of("http-lease-a", portA, "http-lease-b", portB);
      TestFunctions.create(admin, ns, echo, Map.of(), true);
      admin
          .resource(HTTPTriggerReconcilerTest.trigger(ns, "echo", s -> s.setGateway("builtin")))
          .create();
      TriggerStatuses.awaitReady(admin, HTTPTrigger.class, ns, "echo", "True", "Published");
      await().atMost(TIMEOUT).ignoreExceptions().until(() -> post(portA, "/echo") == 200);
      await().atMost(TIMEOUT).ignoreExceptions().until(() -> post(portB, "/echo") == 200);

      String leader = await().atMost(TIMEOUT).until(this::holder, replicas::containsKey);
      String other = leader.equals("http-lease-a") ? "http-lease-b" : "http-lease-a";
      assertThat(replicas.get(leader).terminate(Duration.ofSeconds(15)))
          .as("ended within 15 s")
          .isTrue();
      assertThat(holder()).as("released by " + leader).isNotEqualTo(leader);
      long generation =
          admin
              .resources(HTTPTrigger.class)
              .inNamespace(ns)
              .withName("echo")
              .edit(
                  t -> {
                    t.getSpec().setPath("echo-again");
                    return t;
                  })
              .getMetadata()
              .getGeneration();
      await().atMost(TIMEOUT).until(() -> holder().equals(other));
      await()
          .atMost(TIMEOUT)
          .until(
              () ->
                  Long.valueOf(generation)
                      .equals(
                          admin
                              .resources(HTTPTrigger.class)
                              .inNamespace(ns)
                              .withName("echo")
                              .get()
                              .getStatus()
                              .getObservedGeneration()));
      int served = echo.received();
      await()
          .atMost(TIMEOUT)
          .ignoreExceptions()
          .until(() -> post(ports.get(other), "/echo-again") == 200);
      assertThat(echo.received()).isGreaterThan(served);
      assertThat(replicas.get(other).terminate(Duration.ofSeconds(15))).isTrue();
    }
  }

  private String holder() {
    var lease = admin.leases().inNamespace("kubeless").withName("kubeless-http-trigger").get();
    return lease == null || lease.getSpec().getHolderIdentity() == null
        ? ""
        : lease.getSpec().getHolderIdentity();
  }

  private static PackagedApp replica(String identity, int gatewayPort) {
    return PackagedApp.of("kubeless.trigger.jar")
        .cluster(cluster, ACCOUNT)
        // kubeless.trigger.functions.url-template, as an environment variable: no property of
        // that name in a build that still reads the URL from the Function's status
        .env("KUBELESS_TRIGGER_FUNCTIONS_URL_TEMPLATE", "http://127.0.0.1:{port}")
        .property("kubeless.http-trigger.gateway.port", String.valueOf(gatewayPort))
        .start(identity);
  }

  private int post(int port, String path) throws IOException, InterruptedException {
    return http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .POST(HttpRequest.BodyPublishers.ofString("{\"hello\":1}"))
                .timeout(Duration.ofSeconds(20))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
