package io.kubeless.trigger.kubernetes;

import static io.kubeless.trigger.kubernetes.KubernetesFunctionDirectoryTest.function;
import static io.kubeless.trigger.kubernetes.KubernetesFunctionDirectoryTest.servicePort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.kubeless.api.function.FunctionFields;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionStatus;
import io.kubeless.trigger.function.FunctionEndpoint;
import io.kubeless.trigger.invoke.Event;
import io.kubeless.trigger.invoke.Invoker;
import io.kubeless.trigger.invoke.Outcome;
import io.vertx.core.Vertx;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** A function's address is derived from the Function and the operator's template, never status. */
class FunctionEndpointsTest {

  @Test
  void theDefaultTemplateIsKubelessServiceAddress() {
    Function fn = function("shop", "hello", null, Map.of());
    fn.getSpec().setService(servicePort(9090));

    FunctionEndpoint endpoint = FunctionEndpoints.defaults("cluster.local").of(fn);

    assertThat(endpoint.url()).isEqualTo(URI.create("http://hello.shop.svc.cluster.local:9090"));
    assertThat(endpoint.url())
        .isEqualTo(FunctionFields.serviceUrl("hello", "shop", 9090, "cluster.local"));
    assertThat(
            new FunctionEndpoints(FunctionEndpoints.DEFAULT_URL_TEMPLATE, "corp.example")
                .url("a", "b", 8080))
        .isEqualTo(URI.create("http://a.b.svc.corp.example:8080"));
  }

  @Test
  void statusUrlIsNeverTheAddress() {
    Function fn = function("shop", "hello", null, Map.of());
    fn.setStatus(status("http://169.254.169.254/latest/meta-data/", 1));
    Function malformed = function("shop", "broken", null, Map.of());
    malformed.setStatus(status("http://bad host:80", 1));

    FunctionEndpoints endpoints = FunctionEndpoints.defaults("cluster.local");

    assertThat(endpoints.of(fn).url())
        .isEqualTo(URI.create("http://hello.shop.svc.cluster.local:8080"));
    assertThat(endpoints.of(malformed).url())
        .isEqualTo(URI.create("http://broken.shop.svc.cluster.local:8080"));
  }

  @Test
  void aFunctionWhoseStatusPointsElsewhereIsInvokedAtItsDerivedAddress() throws Exception {
    List<String> received = new CopyOnWriteArrayList<>();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        exchange -> {
          received.add(
              new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    server.start();
    Vertx vertx = Vertx.vertx();
    try (Invoker invoker = new Invoker(vertx, Invoker.Options.defaults())) {
      Function fn = function("shop", "hello", "5", Map.of());
      fn.getSpec().setService(servicePort(server.getAddress().getPort()));
      fn.setStatus(status("http://169.254.169.254/", 1));
      FunctionEndpoint endpoint =
          new FunctionEndpoints("http://127.0.0.1:{port}", "cluster.local").of(fn);

      Outcome outcome =
          invoker.invoke(
              endpoint,
              new Event(
                  "id-1",
                  Instant.now(),
                  "kafkatriggers.kubeless.io",
                  "orders",
                  "/test",
                  "io.kubeless.test",
                  "text/plain",
                  "hello".getBytes(StandardCharsets.UTF_8)));

      assertThat(outcome.kind()).isEqualTo(Outcome.Kind.SUCCESS);
      assertThat(received).containsExactly("hello");
      assertThat(endpoint.url().getHost()).isEqualTo("127.0.0.1");
    } finally {
      server.stop(0);
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }

  @Test
  void aTemplateThatCannotMakeAnAddressIsRefusedAtStartUp() {
    for (String template :
        List.of(
            "",
            "http://{name}.{ns}:{port}",
            "http://{name:{port}",
            "{name}.{namespace}:{port}",
            "ftp://{name}:{port}",
            "http://{name} {namespace}:{port}")) {
      assertThatThrownBy(() -> new FunctionEndpoints(template, "cluster.local"))
          .as(template)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("kubeless.trigger.functions.url-template")
          .hasMessageContaining("{name}, {namespace}, {cluster-domain} and {port}");
    }
    assertThat(new FunctionEndpoints("https://{name}-{namespace}.fn.example", "x").url("a", "b", 1))
        .isEqualTo(URI.create("https://a-b.fn.example"));
  }

  @Test
  void anAddressThatCannotBeBuiltThrowsForTheDirectoryToSkip() {
    assertThatThrownBy(() -> FunctionEndpoints.defaults("cluster.local").url("a", "b", 0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void readinessComesFromReplicasThenTheReadyCondition() {
    Function fn = function("shop", "hello", null, Map.of());
    assertThat(FunctionEndpoints.ready(fn)).as("no status").isTrue();
    fn.setStatus(status(null, 0));
    assertThat(FunctionEndpoints.ready(fn)).as("no ready replica").isFalse();
    fn.setStatus(status("http://hello.shop.svc.cluster.local:8080", 1));
    assertThat(FunctionEndpoints.ready(fn)).isTrue();
    FunctionStatus conditionOnly = new FunctionStatus();
    Conditions.set(conditionOnly, fn, Conditions.READY, false, "Test", "");
    fn.setStatus(conditionOnly);
    assertThat(FunctionEndpoints.ready(fn)).as("Ready=False").isFalse();
  }

  private static FunctionStatus status(String url, int ready) {
    FunctionStatus status = new FunctionStatus();
    status.setUrl(url);
    status.setReadyReplicas(ready);
    return status;
  }
}
