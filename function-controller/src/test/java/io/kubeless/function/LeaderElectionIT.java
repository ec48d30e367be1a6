package io.kubeless.function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceRuleBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.kubeless.api.v1beta1.Function;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two replicas of the packaged controller, in the prod profile, against one API server: only the
 * Lease holder reconciles, and when it is killed (SIGKILL) the other takes over.
 */
class LeaderElectionIT {

  private static final String LEASE = "kubeless-function-controller";
  private static final Duration TAKEOVER = Duration.ofSeconds(90);

  private final Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
  private final List<Process> replicas = new ArrayList<>();
  private KubernetesMockServer server;
  private KubernetesClient client;

  @BeforeEach
  void startApiServer() throws IOException {
    server =
        new KubernetesMockServer(
            new Context(Serialization.jsonMapper()),
            new MockWebServer(),
            responses,
            new KubernetesMixedDispatcher(responses),
            false);
    server.init();
    // What any authenticated user may ask the API server: which verbs it has on leases.
    server
        .expect()
        .post()
        .withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
        .andReturn(
            201,
            new SelfSubjectRulesReviewBuilder()
                .withNewStatus()
                .withIncomplete(false)
                .withResourceRules(
                    new ResourceRuleBuilder()
                        .withApiGroups("coordination.k8s.io")
                        .withResources("leases")
                        .withVerbs("get", "create", "update")
                        .build())
                .withNonResourceRules()
                .endStatus()
                .build())
        .always();
    client = server.createClient();
    Path crd = root().resolve("k8s/crds/functions/functions.kubeless.io-v1.yml");
    try (InputStream in = Files.newInputStream(crd)) {
      client.resource(Serialization.unmarshal(in, CustomResourceDefinition.class)).create();
    }
  }

  @AfterEach
  void stop() {
    replicas.forEach(Process::destroyForcibly);
    client.close();
    server.destroy();
  }

  @Test
  void onlyTheLeaseHolderReconcilesAndTheStandbyTakesOverWhenItDies() throws Exception {
    Process first = start("replica-a");
    await().atMost(TAKEOVER).until(() -> "replica-a".equals(holder()));
    Process second = start("replica-b");
    client.resource(invalid("before")).create();

    await().atMost(TAKEOVER).until(() -> !reporters("before").isEmpty());
    assertThat(reporters("before")).containsOnly("replica-a");
    assertThat(holder()).isEqualTo("replica-a");

    first.destroyForcibly().waitFor();
    await().atMost(TAKEOVER).until(() -> "replica-b".equals(holder()));
    client.resource(invalid("after")).create();

    await().atMost(TAKEOVER).until(() -> !reporters("after").isEmpty());
    assertThat(reporters("after")).containsOnly("replica-b");
    assertThat(second.isAlive()).isTrue();
  }

  /**
   * A Function the controller reports with a Warning Event: a plain create, unlike the server-side
   * apply of its children, which the mock API server does not implement.
   */
  private static Function invalid(String name) {
    Function function = TestFunctions.python("default", name);
    function.getSpec().setRuntime("cobol85");
    return function;
  }

  /** The replicas that recorded Events about a Function. */
  private Set<String> reporters(String name) {
    return client.v1().events().inNamespace("default").list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName()))
        .map(Event::getReportingInstance)
        .collect(Collectors.toSet());
  }

  private Process start(String identity) throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Path log = Path.of("target", identity + ".log");
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dquarkus.http.port=" + port,
                "-Dquarkus.kubernetes-client.api-server-url=" + server.url("/"),
                "-Dquarkus.kubernetes-client.namespace=kubeless",
                "-jar",
                System.getProperty("kubeless.controller.jar", "target/quarkus-app/quarkus-run.jar"))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().put("HOSTNAME", identity);
    Process process = builder.start();
    replicas.add(process);
    HttpClient http = HttpClient.newHttpClient();
    await()
        .atMost(TAKEOVER)
        .ignoreExceptions()
        .until(
            () ->
                http.send(
                            HttpRequest.newBuilder(
                                    URI.create("http://localhost:" + port + "/q/health/live"))
                                .build(),
                            HttpResponse.BodyHandlers.discarding())
                        .statusCode()
                    == 200);
    return process;
  }

  private String holder() {
    Lease lease = client.leases().inNamespace("kubeless").withName(LEASE).get();
    return lease == null ? null : lease.getSpec().getHolderIdentity();
  }

  private static Path root() {
    return Path.of(System.getProperty("maven.multiModuleProjectDirectory", ".."));
  }
}
