package io.kubeless.http;

import static io.kubeless.testing.TestFunctions.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.networking.v1.HTTPIngressPath;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.BoundFunctionStatus;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionSpec;
import io.kubeless.api.v1beta1.FunctionStatus;
import io.kubeless.api.v1beta1.HTTPTrigger;
import io.kubeless.api.v1beta1.HTTPTriggerSpec;
import io.kubeless.testing.TestFunctions;
import io.kubeless.testing.TriggerStatuses;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The HTTP trigger application on the mock API server: what HTTPTriggers become (Ingresses per
 * gateway and per option, HTTPRoutes), how they follow updates, and what the status says. The mock
 * server has no garbage collector and no server-side apply: ownership is asserted as the owner
 * reference, and updates go through the controller's equality matcher.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(FreeGatewayPort.class)
class HTTPTriggerReconcilerTest {

  private static final String NGINX = "nginx.ingress.kubernetes.io/";

  @Inject KubernetesClient client;

  @KubernetesTestServer KubernetesServer mockServer;

  @Test
  void anNginxIngressRoutesThePathToTheFunctionServicePort() {
    String ns = TestFunctions.unique("nginx");
    function(ns, "hello", 9090, true);

    HTTPTrigger created =
        client.resource(trigger(ns, "hello", s -> s.setHostName("hello.example.com"))).create();

    Ingress ingress = awaitIngress(ns, "hello");
    assertThat(ingress.getSpec().getIngressClassName()).isEqualTo("nginx");
    var rule = ingress.getSpec().getRules().getFirst();
    assertThat(rule.getHost()).isEqualTo("hello.example.com");
    HTTPIngressPath path = rule.getHttp().getPaths().getFirst();
    assertThat(path.getPath()).isEqualTo("/hello");
    assertThat(path.getPathType()).isEqualTo("Prefix");
    assertThat(path.getBackend().getService().getName()).isEqualTo("hello");
    // the Service's port, not the container's target port (8080) as Kubeless used
    assertThat(path.getBackend().getService().getPort().getNumber()).isEqualTo(9090);
    assertThat(ingress.getMetadata().getAnnotations())
        .containsEntry(NGINX + "rewrite-target", "/")
        .doesNotContainKeys(NGINX + "enable-cors", NGINX + "auth-type", "kubernetes.io/tls-acme");
    assertThat(ingress.getMetadata().getLabels())
        .containsEntry("created-by", "kubeless")
        .containsEntry("function", "hello");
    assertThat(ingress.getSpec().getTls()).isNullOrEmpty();
    // deleting the trigger deletes the Ingress: the garbage collector follows this reference
    assertThat(ingress.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(
            owner -> {
              assertThat(owner.getUid()).isEqualTo(created.getMetadata().getUid());
              assertThat(owner.getKind()).isEqualTo("HTTPTrigger");
              assertThat(owner.getController()).isTrue();
            });

    HTTPTrigger ready = awaitReady(ns, "hello", "True", "Published");
    assertThat(ready.getStatus().getUrl()).isEqualTo("http://hello.example.com/hello");
    assertThat(ready.getStatus().getObservedGeneration())
        .isEqualTo(ready.getMetadata().getGeneration());
    assertThat(ready.getStatus().getFunctions())
        .extracting(BoundFunctionStatus::getName, BoundFunctionStatus::getReady)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("hello", true));
    assertThat(condition(ready).getMessage()).contains("Ingress", "port 9090");
  }

  @Test
  void nginxOptionsBecomeIngressNginxAnnotationsAndTls() {
    String ns = TestFunctions.unique("nginxopts");
    function(ns, "fn", 8080, true);

    client
        .resource(
            trigger(
                ns,
                "fn",
                s -> {
                  s.setHostName("fn.example.com");
                  s.setCorsEnable(true);
                  s.setBasicAuthSecret("fn-users");
                  s.setTlsSecret("fn-cert");
                }))
        .create();

    Ingress ingress = awaitIngress(ns, "fn");
    assertThat(ingress.getMetadata().getAnnotations())
        .containsEntry(NGINX + "enable-cors", "true")
        .containsEntry(NGINX + "auth-type", "basic")
        .containsEntry(NGINX + "auth-secret", "fn-users")
        .containsKey(NGINX + "auth-realm");
    assertThat(ingress.getSpec().getTls())
        .singleElement()
        .satisfies(
            tls -> {
              assertThat(tls.getSecretName()).isEqualTo("fn-cert");
              assertThat(tls.getHosts()).containsExactly("fn.example.com");
            });
    assertThat(awaitReady(ns, "fn", "True", "Published").getStatus().getUrl())
        .isEqualTo("https://fn.example.com/fn");
  }

  @Test
  void tlsTrueAsksAcmeForACertificate() {
    String ns = TestFunctions.unique("acme");
    function(ns, "fn", 8080, true);

    client
        .resource(
            trigger(
                ns,
                "fn",
                s -> {
                  s.setHostName("secure.example.com");
                  s.setTls(true);
                }))
        .create();

    Ingress ingress = awaitIngress(ns, "fn");
    assertThat(ingress.getMetadata().getAnnotations())
        .containsEntry("kubernetes.io/tls-acme", "true")
        .containsEntry("cert-manager.io/cluster-issuer", "letsencrypt-test")
        .containsEntry(NGINX + "ssl-redirect", "true");
    assertThat(ingress.getSpec().getTls())
        .singleElement()
        .satisfies(
            tls -> {
              assertThat(tls.getSecretName()).isEqualTo("fn-tls");
              assertThat(tls.getHosts()).containsExactly("secure.example.com");
            });
  }

  @Test
  void tlsAndATlsSecretTogetherAreRefusedWithAWarningEvent() {
    String ns = TestFunctions.unique("bothtls");
    function(ns, "fn", 8080, true);

    client
        .resource(
            trigger(
                ns,
                "fn",
                s -> {
                  s.setHostName("fn.example.com");
                  s.setTls(true);
                  s.setTlsSecret("mine");
                }))
        .create();

    HTTPTrigger refused = awaitReady(ns, "fn", "False", "InvalidSpec");
    assertThat(condition(refused).getMessage()).contains("spec.tls", "spec.tls-secret");
    assertThat(refused.getStatus().getUrl()).isNull();
    TriggerStatuses.awaitWarningEvent(client, ns, "fn", "InvalidSpec");
    assertThat(client.network().v1().ingresses().inNamespace(ns).withName("fn").get()).isNull();

    // the fix is taken up
    edit(ns, "fn", t -> t.getSpec().setTls(null));
    awaitIngress(ns, "fn");
    awaitReady(ns, "fn", "True", "Published");
  }

  @Test
  void traefikGetsItsOwnAnnotationsAndClass() {
    String ns = TestFunctions.unique("traefik");
    function(ns, "fn", 8080, true);

    client
        .resource(
            trigger(
                ns,
                "fn",
                s -> {
                  s.setGateway("traefik");
                  s.setCorsEnable(true);
                  s.setBasicAuthSecret("users");
                }))
        .create();

    Ingress ingress = awaitIngress(ns, "fn");
    assertThat(ingress.getSpec().getIngressClassName()).isEqualTo("traefik");
    assertThat(ingress.getMetadata().getAnnotations())
        .containsEntry("traefik.ingress.kubernetes.io/rewrite-target", "/")
        .containsEntry("ingress.kubernetes.io/auth-type", "basic")
        .containsEntry("ingress.kubernetes.io/auth-secret", "users")
        .hasEntrySatisfying(
            "ingress.kubernetes.io/custom-response-headers",
            v -> assertThat(v).contains("Access-Control-Allow-Origin:*"))
        .doesNotContainKeys(NGINX + "rewrite-target", NGINX + "enable-cors");
    // no host: the URL is unknown until the ingress controller reports an address
    assertThat(awaitReady(ns, "fn", "True", "Published").getStatus().getUrl()).isNull();
  }

  @Test
  void kongStripsThePathAndRefusesWhatItCannotDoWithAnnotations() {
    String ns = TestFunctions.unique("kong");
    function(ns, "fn", 8080, true);

    client
        .resource(
            trigger(
                ns,
                "fn",
                s -> {
                  s.setGateway("kong");
                  s.setBasicAuthSecret("users");
                }))
        .create();

    HTTPTrigger refused = awaitReady(ns, "fn", "False", "UnsupportedOption");
    assertThat(condition(refused).getMessage())
        .contains("spec.basic-auth-secret", "konghq.com/plugins");
    TriggerStatuses.awaitWarningEvent(client, ns, "fn", "UnsupportedOption");
    assertThat(client.network().v1().ingresses().inNamespace(ns).withName("fn").get()).isNull();

    // the way the message gives: a KongPlugin named by an annotation, copied to the Ingress
    edit(
        ns,
        "fn",
        t -> {
          t.getSpec().setBasicAuthSecret(null);
          t.getMetadata().setAnnotations(Map.of("konghq.com/plugins", "fn-auth"));
        });
    Ingress ingress = awaitIngress(ns, "fn");
    assertThat(ingress.getSpec().getIngressClassName()).isEqualTo("kong");
    assertThat(ingress.getMetadata().getAnnotations())
        .containsEntry("konghq.com/strip-path", "true")
        .containsEntry("konghq.com/plugins", "fn-auth");
  }

  @Test
  void annotationsFollowTheSpecWhenOptionsAreTurnedOff() {
    String ns = TestFunctions.unique("follow");
    function(ns, "fn", 8080, true);
    client
        .resource(
            trigger(
                ns,
                "fn",
                s -> {
                  s.setHostName("fn.example.com");
                  s.setCorsEnable(true);
                  s.setBasicAuthSecret("users");
                  s.setTls(true);
                }))
        .create();
    await()
        .atMost(TIMEOUT)
        .until(
            () -> ingress(ns, "fn"),
            i ->
                i != null
                    && i.getMetadata().getAnnotations().containsKey(NGINX + "enable-cors")
                    && i.getMetadata().getAnnotations().containsKey("kubernetes.io/tls-acme"));

    edit(
        ns,
        "fn",
        t -> {
          t.getSpec().setCorsEnable(false);
          t.getSpec().setBasicAuthSecret(null);
          t.getSpec().setTls(false);
          t.getSpec().setPath("/");
        });

    Ingress updated =
        await()
            .atMost(TIMEOUT)
            .until(
                () -> ingress(ns, "fn"),
                i -> !i.getMetadata().getAnnotations().containsKey(NGINX + "enable-cors"));
    assertThat(updated.getMetadata().getAnnotations())
        .doesNotContainKeys(
            NGINX + "auth-type",
            NGINX + "auth-secret",
            NGINX + "auth-realm",
            NGINX + "ssl-redirect",
            NGINX + "rewrite-target",
            "kubernetes.io/tls-acme",
            "cert-manager.io/cluster-issuer");
    assertThat(updated.getSpec().getTls()).isNullOrEmpty();
    assertThat(updated.getSpec().getRules().getFirst().getHttp().getPaths().getFirst().getPath())
        .isEqualTo("/");
    await()
        .atMost(TIMEOUT)
        .until(
            () -> trigger(ns, "fn").getStatus(), s -> "http://fn.example.com/".equals(s.getUrl()));
  }

  @Test
  void aMissingFunctionIsReportedAndItsServicePortTakenWhenItComes() {
    String ns = TestFunctions.unique("nofn");
    client.resource(trigger(ns, "later", s -> s.setHostName("later.example.com"))).create();

    HTTPTrigger waiting = awaitReady(ns, "later", "False", "FunctionNotFound");
    assertThat(condition(waiting).getMessage()).contains(ns + "/later");
    TriggerStatuses.awaitWarningEvent(client, ns, "later", "FunctionNotFound");

    function(ns, "later", 9000, false);
    awaitReady(ns, "later", "False", "FunctionUnavailable");
    await()
        .atMost(TIMEOUT)
        .until(
            () -> ingress(ns, "later"),
            i ->
                i != null
                    && i.getSpec()
                            .getRules()
                            .getFirst()
                            .getHttp()
                            .getPaths()
                            .getFirst()
                            .getBackend()
                            .getService()
                            .getPort()
                            .getNumber()
                        == 9000);
  }

  @Test
  void anUnknownGatewayOrFunctionlessSpecIsInvalid() {
    String ns = TestFunctions.unique("invalid");
    client.resource(trigger(ns, "odd", s -> s.setGateway("haproxy"))).create();
    client.resource(trigger(ns, "nofn", s -> s.setFunctionName(null))).create();

    assertThat(condition(awaitReady(ns, "odd", "False", "InvalidSpec")).getMessage())
        .contains("haproxy", "nginx, traefik, kong, gateway-api, builtin");
    assertThat(condition(awaitReady(ns, "nofn", "False", "InvalidSpec")).getMessage())
        .contains("spec.function-name");
    TriggerStatuses.awaitWarningEvent(client, ns, "odd", "InvalidSpec");
  }

  @Test
  void gatewayApiGetsAnHttpRouteAttachedToTheConfiguredGateway() {
    String ns = TestFunctions.unique("gwapi");
    function(ns, "fn", 9090, true);

    client
        .resource(
            trigger(
                ns,
                "fn",
                s -> {
                  s.setGateway("gateway-api");
                  s.setHostName("api.example.com");
                  s.setPath("orders");
                }))
        .create();

    HTTPRoute route =
        await()
            .atMost(TIMEOUT)
            .until(
                () -> client.resources(HTTPRoute.class).inNamespace(ns).withName("fn").get(),
                r -> r != null);
    assertThat(route.getSpec().getParentRefs())
        .singleElement()
        .satisfies(
            parent -> {
              assertThat(parent.getName()).isEqualTo("kubeless");
              assertThat(parent.getKind()).isEqualTo("Gateway");
            });
    assertThat(route.getSpec().getHostnames()).containsExactly("api.example.com");
    var rule = route.getSpec().getRules().getFirst();
    assertThat(rule.getMatches().getFirst().getPath().getType()).isEqualTo("PathPrefix");
    assertThat(rule.getMatches().getFirst().getPath().getValue()).isEqualTo("/orders");
    assertThat(rule.getFilters())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.getType()).isEqualTo("URLRewrite");
              assertThat(f.getUrlRewrite().getPath().getReplaceFullPath()).isEqualTo("/");
            });
    assertThat(rule.getBackendRefs())
        .singleElement()
        .satisfies(
            b -> {
              assertThat(b.getName()).isEqualTo("fn");
              assertThat(b.getPort()).isEqualTo(9090);
            });
    assertThat(route.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(o -> assertThat(o.getController()).isTrue());
    assertThat(ingress(ns, "fn")).isNull();
    assertThat(awaitReady(ns, "fn", "True", "Published").getStatus().getUrl())
        .isEqualTo("http://api.example.com/orders");

    // moving to nginx replaces the HTTPRoute by an Ingress
    edit(ns, "fn", t -> t.getSpec().setGateway("nginx"));
    awaitIngress(ns, "fn");
    await()
        .atMost(TIMEOUT)
        .until(
            () -> client.resources(HTTPRoute.class).inNamespace(ns).withName("fn").get() == null);
  }

  @Test
  void gatewayApiRefusesCorsAndBasicAuth() {
    String ns = TestFunctions.unique("gwapicors");
    function(ns, "fn", 8080, true);

    client
        .resource(
            trigger(
                ns,
                "fn",
                s -> {
                  s.setGateway("gateway-api");
                  s.setCorsEnable(true);
                  s.setBasicAuthSecret("users");
                }))
        .create();

    HTTPTrigger refused = awaitReady(ns, "fn", "False", "UnsupportedOption");
    assertThat(condition(refused).getMessage())
        .contains("spec.cors-enable", "spec.basic-auth-secret");
    assertThat(client.resources(HTTPRoute.class).inNamespace(ns).withName("fn").get()).isNull();
  }

  @Test
  void anIngressTheApiServerRefusesIsReportedAndOtherTriggersAreServed() {
    String refused = TestFunctions.unique("webhook");
    String fine = TestFunctions.unique("fine");
    function(refused, "fn", 8080, true);
    function(fine, "fn", 8080, true);
    // as an admission webhook refusing every Ingress of one namespace
    mockServer
        .expect()
        .post()
        .withPath("/apis/networking.k8s.io/v1/namespaces/" + refused + "/ingresses")
        .andReturn(
            422,
            new StatusBuilder()
                .withCode(422)
                .withReason("Invalid")
                .withMessage("admission webhook denied the request: hosts must be approved")
                .build())
        .always();

    client.resource(trigger(refused, "fn", s -> {})).create();
    client.resource(trigger(fine, "fn", s -> {})).create();

    HTTPTrigger failed = awaitReady(refused, "fn", "False", "ApplyFailed");
    assertThat(condition(failed).getMessage()).contains("hosts must be approved");
    TriggerStatuses.awaitWarningEvent(client, refused, "fn", "ApplyFailed");
    awaitIngress(fine, "fn");
    awaitReady(fine, "fn", "True", "Published");
  }

  // --- helpers ---------------------------------------------------------------------------

  /** A Function as the function controller leaves it, its Service on {@code port}. */
  private void function(String ns, String name, int port, boolean ready) {
    FunctionSpec spec = new FunctionSpec();
    spec.setHandler("handler.handle");
    spec.setRuntime("python3.12");
    spec.setFunction("def handle(event, context):\n    return 'ok'\n");
    ObjectNode service = JsonNodeFactory.instance.objectNode();
    service
        .putArray("ports")
        .addObject()
        .put("name", "http-function-port")
        .put("port", port)
        .put("targetPort", 8080);
    spec.setService(service);
    Function function = new Function();
    function.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(ns).build());
    function.setSpec(spec);
    Function created = client.resource(function).create();
    FunctionStatus status = new FunctionStatus();
    status.setUrl("http://%s.%s.svc.cluster.local:%d".formatted(name, ns, port));
    status.setReadyReplicas(ready ? 1 : 0);
    created.setStatus(status);
    client.resource(created).updateStatus();
  }

  static HTTPTrigger trigger(String ns, String function, Consumer<HTTPTriggerSpec> options) {
    HTTPTrigger trigger = new HTTPTrigger();
    trigger.setMetadata(new ObjectMetaBuilder().withName(function).withNamespace(ns).build());
    HTTPTriggerSpec spec = new HTTPTriggerSpec();
    spec.setFunctionName(function);
    spec.setPath(function);
    options.accept(spec);
    trigger.setSpec(spec);
    return trigger;
  }

  private HTTPTrigger trigger(String ns, String name) {
    return client.resources(HTTPTrigger.class).inNamespace(ns).withName(name).get();
  }

  private Ingress ingress(String ns, String name) {
    return client.network().v1().ingresses().inNamespace(ns).withName(name).get();
  }

  private Ingress awaitIngress(String ns, String name) {
    return await().atMost(TIMEOUT).until(() -> ingress(ns, name), i -> i != null);
  }

  private HTTPTrigger awaitReady(String ns, String name, String status, String reason) {
    return TriggerStatuses.awaitReady(client, HTTPTrigger.class, ns, name, status, reason);
  }

  private void edit(String ns, String name, Consumer<HTTPTrigger> change) {
    client
        .resources(HTTPTrigger.class)
        .inNamespace(ns)
        .withName(name)
        .edit(
            t -> {
              change.accept(t);
              return t;
            });
  }

  private static Condition condition(HTTPTrigger trigger) {
    return Conditions.find(trigger.getStatus(), Conditions.READY).orElseThrow();
  }
}
