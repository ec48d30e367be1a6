package io.kubeless.http.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.kubeless.api.v1beta1.HTTPTrigger;
import io.kubeless.api.v1beta1.HTTPTriggerSpec;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The Ingress's shape from the operator's settings, without an API server. */
class IngressDependentTest {

  private static final RouteSettings CLUSTER_DEFAULTS =
      new RouteSettings(
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          "kubeless",
          Optional.empty(),
          Optional.empty());

  @Test
  void theClusterDefaultClassLeavesIngressClassNameUnset() throws Exception {
    Ingress ingress = IngressDependent.build(plan(s -> {}, Map.of()), CLUSTER_DEFAULTS);

    assertThat(ingress.getSpec().getIngressClassName()).isNull();
    // no deprecated class annotation either: the cluster's default IngressClass takes it
    assertThat(ingress.getMetadata().getAnnotations())
        .doesNotContainKey("kubernetes.io/ingress.class");
  }

  @Test
  void withoutAClusterIssuerOnlyTheAcmeAnnotationIsSet() throws Exception {
    Ingress ingress =
        IngressDependent.build(
            plan(
                s -> {
                  s.setHostName("a.example.com");
                  s.setTls(true);
                },
                Map.of()),
            CLUSTER_DEFAULTS);

    assertThat(ingress.getMetadata().getAnnotations())
        .containsEntry(IngressDependent.TLS_ACME, "true")
        .doesNotContainKey(IngressDependent.CLUSTER_ISSUER);
  }

  @Test
  void theTriggersAnnotationsAreCopiedUnderTheSpecsOwn() throws Exception {
    Ingress ingress =
        IngressDependent.build(
            plan(
                s -> s.setCorsEnable(true),
                Map.of(
                    "nginx.ingress.kubernetes.io/proxy-body-size", "20m",
                    "nginx.ingress.kubernetes.io/enable-cors", "false",
                    "kubectl.kubernetes.io/last-applied-configuration", "{}")),
            CLUSTER_DEFAULTS);

    assertThat(ingress.getMetadata().getAnnotations())
        .containsEntry("nginx.ingress.kubernetes.io/proxy-body-size", "20m")
        .containsEntry("nginx.ingress.kubernetes.io/enable-cors", "true")
        .doesNotContainKey("kubectl.kubernetes.io/last-applied-configuration");
  }

  @Test
  void aTlsSecretWithoutAHostCoversEveryHost() throws Exception {
    Ingress ingress =
        IngressDependent.build(plan(s -> s.setTlsSecret("cert"), Map.of()), CLUSTER_DEFAULTS);

    assertThat(ingress.getSpec().getTls())
        .singleElement()
        .satisfies(
            tls -> {
              assertThat(tls.getSecretName()).isEqualTo("cert");
              assertThat(tls.getHosts()).isNullOrEmpty();
            });
    assertThat(ingress.getSpec().getRules().getFirst().getHost()).isNull();
  }

  private static RoutePlan plan(Consumer<HTTPTriggerSpec> options, Map<String, String> annotations)
      throws InvalidRouteException {
    HTTPTrigger trigger = new HTTPTrigger();
    trigger.setMetadata(
        new ObjectMetaBuilder()
            .withName("fn")
            .withNamespace("ns")
            .withUid("u")
            .withAnnotations(annotations)
            .build());
    HTTPTriggerSpec spec = new HTTPTriggerSpec();
    spec.setFunctionName("fn");
    spec.setPath("fn");
    options.accept(spec);
    trigger.setSpec(spec);
    return RoutePlanner.plan(trigger, 8080);
  }
}
