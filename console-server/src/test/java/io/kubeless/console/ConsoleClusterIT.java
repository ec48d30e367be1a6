package io.kubeless.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.testing.KubeCluster;
import io.kubeless.testing.PackagedApp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packaged console server on a real API server, installed with {@code kubectl apply -k
 * k8s/console} and running as its ServiceAccount under the manifests' RBAC: everything the console
 * does is allowed (resources of every kind, dry runs, triggers, replicas), and a dry run stores
 * nothing.
 */
class ConsoleClusterIT {

  private static final String TOKEN = "cluster-test-token";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static KubeCluster cluster;
  private static KubernetesClient admin;
  private static PackagedApp console;

  @BeforeAll
  static void install() {
    cluster = KubeCluster.shared();
    admin = cluster.admin();
    cluster.install("console");
    for (String plural :
        List.of(
            "functions",
            "httptriggers",
            "cronjobtriggers",
            "kafkatriggers",
            "natstriggers",
            "kinesistriggers")) {
      cluster.install("crds/" + plural);
    }
    console =
        PackagedApp.of("kubeless.console.jar")
            .cluster(cluster, "kubeless-console")
            .env("KUBELESS_CONSOLE_TOKEN", TOKEN)
            .start("console-0");
  }

  @AfterAll
  static void stop() {
    if (console != null) {
      console.close();
    }
  }

  @Test
  void aDryRunShowsTheResultAndStoresNothing() throws Exception {
    String ns = cluster.newNamespace("console-dry");
    String path = "/api/resources/functions/" + ns + "/hello";

    HttpResponse<String> fresh = send("PUT", path + "?dryRun=true", function(ns, "10"));
    assertThat(fresh.statusCode()).as(fresh.body()).isEqualTo(200);
    JsonNode created = JSON.readTree(fresh.body());
    assertThat(created.path("dryRun").asBoolean()).isTrue();
    assertThat(created.path("current").isNull()).isTrue();
    assertThat(created.at("/resource/spec/timeout").asText()).isEqualTo("10");
    assertThat(created.at("/resource/metadata/uid").asText()).isNotEmpty();
    assertThat(admin.resources(Function.class).inNamespace(ns).withName("hello").get()).isNull();

    assertThat(send("PUT", path, function(ns, "10")).statusCode()).isEqualTo(201);
    HttpResponse<String> change = send("PUT", path + "?dryRun=true", function(ns, "20"));
    assertThat(change.statusCode()).as(change.body()).isEqualTo(200);
    JsonNode diff = JSON.readTree(change.body());
    assertThat(diff.at("/current/spec/timeout").asText()).isEqualTo("10");
    assertThat(diff.at("/resource/spec/timeout").asText()).isEqualTo("20");
    assertThat(
            admin
                .resources(Function.class)
                .inNamespace(ns)
                .withName("hello")
                .get()
                .getSpec()
                .getTimeout())
        .isEqualTo("10");

    // the API server's own validation, a 422 there, is the user's 400 here
    HttpResponse<String> invalid =
        send(
            "PUT",
            path,
            function(ns, "10")
                .replace("name: hello", "name: hello\n  labels: {bad: 'no spaces allowed'}"));
    assertThat(invalid.statusCode()).as(invalid.body()).isEqualTo(400);
  }

  @Test
  void theManifestsRbacAllowsEverythingTheConsoleDoes() throws Exception {
    String ns = cluster.newNamespace("console-rbac");
    String path = "/api/resources/functions/" + ns + "/hello";
    assertThat(send("PUT", path, function(ns, "10")).statusCode()).isEqualTo(201);
    assertThat(send("PUT", path, function(ns, "11")).statusCode()).isEqualTo(200);
    assertThat(send("GET", "/api/resources/functions", null).statusCode()).isEqualTo(200);
    assertThat(send("GET", "/api/functions/" + ns + "/hello", null).statusCode()).isEqualTo(200);
    HttpResponse<String> triggers = send("GET", "/api/triggers", null);
    assertThat(triggers.statusCode()).as(triggers.body()).isEqualTo(200);
    String trigger =
        """
        apiVersion: kubeless.io/v1beta1
        kind: KafkaTrigger
        metadata: {name: orders, namespace: %s}
        spec: {topic: orders, functionSelector: {matchLabels: {app: hello}}}
        """
            .formatted(ns);
    assertThat(send("PUT", "/api/resources/kafkatriggers/" + ns + "/orders", trigger).statusCode())
        .isEqualTo(201);
    assertThat(JSON.readTree(send("GET", "/api/triggers", null).body()).findValuesAsText("name"))
        .contains("orders");
    assertThat(send("DELETE", "/api/resources/kafkatriggers/" + ns + "/orders", null).statusCode())
        .isEqualTo(200);

    // no controller manager here: the ServiceAccount a pod runs as is created by hand
    admin
        .resource(
            new io.fabric8.kubernetes.api.model.ServiceAccountBuilder()
                .withNewMetadata()
                .withName("default")
                .withNamespace(ns)
                .endMetadata()
                .build())
        .create();
    admin
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("hello-0")
                .withNamespace(ns)
                .addToLabels(FunctionsApi.FUNCTION_LABEL, "hello")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("function")
                .withImage("runtime")
                .endContainer()
                .endSpec()
                .build())
        .create();
    HttpResponse<String> replicas = send("GET", "/api/functions/" + ns + "/hello/replicas", null);
    assertThat(replicas.statusCode()).as(replicas.body()).isEqualTo(200);
    assertThat(JSON.readTree(replicas.body()).findValuesAsText("name")).containsExactly("hello-0");

    assertThat(send("DELETE", path, null).statusCode()).isEqualTo(200);
    assertThat(admin.resources(Function.class).inNamespace(ns).withName("hello").get()).isNull();
    // and nothing more: no Secrets
    assertThat(
            cluster
                .tryKubectl(
                    "auth",
                    "can-i",
                    "list",
                    "secrets",
                    "--as",
                    "system:serviceaccount:kubeless:kubeless-console")
                .out()
                .trim())
        .isEqualTo("no");
  }

  private static HttpResponse<String> send(String method, String path, String body)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://localhost:" + console.port() + path))
            .header("Authorization", "Bearer " + TOKEN)
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String function(String ns, String timeout) {
    return """
        apiVersion: kubeless.io/v1beta1
        kind: Function
        metadata:
          name: hello
          namespace: %s
        spec:
          runtime: python3.12
          handler: handler.hello
          timeout: "%s"
          function: |
            def hello(event, context):
                return "hi"
        """
        .formatted(ns, timeout);
  }
}
