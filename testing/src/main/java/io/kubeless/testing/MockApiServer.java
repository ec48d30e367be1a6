package io.kubeless.testing;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceRuleBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;

/**
 * fabric8's mock API server in CRUD mode, over plain HTTP, for applications started as separate
 * processes: it stores what they write, keeps status subresources of the CRDs it was given, and
 * rejects a stale resourceVersion, so Lease-based leader election works on it. It has no garbage
 * collector, no controllers, and no server-side apply.
 */
public final class MockApiServer implements AutoCloseable {

  private final Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
  private final KubernetesMockServer server;
  private final KubernetesClient client;

  private MockApiServer() {
    server =
        new KubernetesMockServer(
            new Context(Serialization.jsonMapper()),
            new MockWebServer(),
            responses,
            new KubernetesMixedDispatcher(responses),
            false);
    server.init();
    client = server.createClient();
  }

  /** Starts a server knowing the committed CRDs of the given kinds, e.g. {@code functions}. */
  public static MockApiServer withCrds(String... plurals) {
    MockApiServer api = new MockApiServer();
    for (String plural : plurals) {
      try (InputStream in = Files.newInputStream(Repository.crd(plural))) {
        api.client.resource(Serialization.unmarshal(in, CustomResourceDefinition.class)).create();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return api;
  }

  /**
   * Answers the access review the operator SDK's leader election makes before it starts, as a
   * cluster answers a ServiceAccount with the manifests' lease Role.
   */
  public MockApiServer grantingLeases() {
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
    return this;
  }

  /** A client of this server. */
  public KubernetesClient client() {
    return client;
  }

  /** The server's URL, for {@code quarkus.kubernetes-client.api-server-url}. */
  public String url() {
    return server.url("/");
  }

  @Override
  public void close() {
    client.close();
    server.destroy();
  }
}
