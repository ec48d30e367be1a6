package io.kubeless.http.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.kubeless.api.v1beta1.HTTPTrigger;
import io.kubeless.api.v1beta1.HTTPTriggerSpec;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The one reading of an HTTPTrigger's spec, whatever the gateway. */
class RoutePlannerTest {

  @Test
  void kubelessDefaultsAndPathsWithoutALeadingSlashAreKept() throws Exception {
    RoutePlan plan = RoutePlanner.plan(trigger(s -> s.setPath("hello")), 8080);

    assertThat(plan.gateway()).isEqualTo(GatewayKind.NGINX);
    assertThat(plan.path()).isEqualTo("/hello");
    assertThat(plan.rewrite()).isTrue();
    assertThat(plan.host()).isEmpty();
    assertThat(plan.https()).isFalse();
    assertThat(plan.labels())
        .containsEntry("created-by", "kubeless")
        .containsEntry("function", "fn");

    RoutePlan root = RoutePlanner.plan(trigger(s -> {}), 8080);
    assertThat(root.path()).isEqualTo("/");
    assertThat(root.rewrite()).isFalse();
  }

  @Test
  void gatewaysAreCaseInsensitiveAndUnknownOnesRefused() throws Exception {
    assertThat(RoutePlanner.plan(trigger(s -> s.setGateway("Traefik")), 80).gateway())
        .isEqualTo(GatewayKind.TRAEFIK);
    assertThatThrownBy(() -> RoutePlanner.plan(trigger(s -> s.setGateway("istio")), 80))
        .isInstanceOfSatisfying(
            InvalidRouteException.class,
            e -> assertThat(e.reason()).isEqualTo(InvalidRouteException.INVALID_SPEC))
        .hasMessageContaining("istio");
  }

  @Test
  void malformedHostsPathsAndSecretsAreInvalid() {
    assertInvalid(s -> s.setHostName("Not A Host"), "spec.host-name");
    assertInvalid(s -> s.setPath("/a b"), "spec.path");
    assertInvalid(s -> s.setPath("/a?b"), "spec.path");
    assertInvalid(s -> s.setBasicAuthSecret("Bad_Name"), "spec.basic-auth-secret");
    assertInvalid(s -> s.setTls(true), "spec.host-name");
    assertInvalid(
        s -> {
          s.setHostName("a.example.com");
          s.setTls(true);
          s.setTlsSecret("cert");
        },
        "exclude each other");
  }

  @Test
  void wildcardHostsAreAccepted() throws Exception {
    assertThat(RoutePlanner.plan(trigger(s -> s.setHostName("*.example.com")), 80).host())
        .isEqualTo(Optional.of("*.example.com"));
  }

  @Test
  void eachGatewayRefusesOnlyWhatItCannotDo() throws Exception {
    Consumer<HTTPTriggerSpec> everything =
        s -> {
          s.setHostName("a.example.com");
          s.setCorsEnable(true);
          s.setBasicAuthSecret("users");
          s.setTlsSecret("cert");
        };
    for (String gateway : new String[] {"nginx", "traefik"}) {
      assertThat(
              RoutePlanner.plan(trigger(everything.andThen(s -> s.setGateway(gateway))), 80).cors())
          .isTrue();
    }
    assertUnsupported(everything.andThen(s -> s.setGateway("kong")), "spec.cors-enable");
    assertUnsupported(everything.andThen(s -> s.setGateway("gateway-api")), "spec.tls-secret");
    assertUnsupported(everything.andThen(s -> s.setGateway("builtin")), "spec.tls-secret");
    // builtin does CORS and basic auth itself
    RoutePlan builtin =
        RoutePlanner.plan(
            trigger(
                s -> {
                  s.setGateway("builtin");
                  s.setCorsEnable(true);
                  s.setBasicAuthSecret("users");
                }),
            80);
    assertThat(builtin.basicAuthSecret()).contains("users");
  }

  private static void assertInvalid(Consumer<HTTPTriggerSpec> options, String field) {
    assertThatThrownBy(() -> RoutePlanner.plan(trigger(options), 80))
        .isInstanceOfSatisfying(
            InvalidRouteException.class,
            e -> assertThat(e.reason()).isEqualTo(InvalidRouteException.INVALID_SPEC))
        .hasMessageContaining(field);
  }

  private static void assertUnsupported(Consumer<HTTPTriggerSpec> options, String field) {
    assertThatThrownBy(() -> RoutePlanner.plan(trigger(options), 80))
        .isInstanceOfSatisfying(
            InvalidRouteException.class,
            e -> assertThat(e.reason()).isEqualTo(InvalidRouteException.UNSUPPORTED_OPTION))
        .hasMessageContaining(field);
  }

  private static HTTPTrigger trigger(Consumer<HTTPTriggerSpec> options) {
    HTTPTrigger trigger = new HTTPTrigger();
    trigger.setMetadata(
        new ObjectMetaBuilder().withName("fn").withNamespace("ns").withUid("u").build());
    HTTPTriggerSpec spec = new HTTPTriggerSpec();
    spec.setFunctionName("fn");
    options.accept(spec);
    trigger.setSpec(spec);
    return trigger;
  }
}
