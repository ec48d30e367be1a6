package io.kubeless.http.source;

import io.fabric8.kubernetes.api.model.networking.v1.HTTPIngressPathBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.IngressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.IngressTLSBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import io.kubeless.api.v1beta1.HTTPTrigger;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The {@code networking.k8s.io/v1} Ingress of gateways nginx, traefik and kong, with each
 * controller's annotations (see README.md, "Gateways"). The backend is the function's Service by
 * its port number, not the container's target port as in Kubeless.
 */
@KubernetesDependent(informer = @Informer(labelSelector = RoutePlan.MANAGED))
public class IngressDependent extends RouteDependent<Ingress> {

  /** The annotation kube-lego and cert-manager's ingress-shim watch for. */
  public static final String TLS_ACME = "kubernetes.io/tls-acme";

  public static final String CLUSTER_ISSUER = "cert-manager.io/cluster-issuer";

  /** Traefik 1.x response headers of a CORS-enabled route; preflights reach the function. */
  static final String TRAEFIK_CORS_HEADERS =
      "Access-Control-Allow-Origin:*"
          + "||Access-Control-Allow-Methods:GET, PUT, POST, DELETE, PATCH, OPTIONS"
          + "||Access-Control-Allow-Headers:DNT,User-Agent,X-Requested-With,If-Modified-Since,"
          + "Cache-Control,Content-Type,Range,Authorization"
          + "||Access-Control-Allow-Credentials:true";

  public IngressDependent() {
    super(Ingress.class);
  }

  @Override
  protected Ingress desired(HTTPTrigger primary, Context<HTTPTrigger> context) {
    return build(RoutePlan.of(context).orElseThrow(), RouteSettings.of(context));
  }

  static Ingress build(RoutePlan plan, RouteSettings settings) {
    var path =
        new HTTPIngressPathBuilder()
            .withPath(plan.path())
            .withPathType("Prefix")
            .withNewBackend()
            .withNewService()
            .withName(plan.function())
            .withNewPort()
            .withNumber(plan.servicePort())
            .endPort()
            .endService()
            .endBackend()
            .build();
    var rule =
        new IngressRuleBuilder()
            .withHost(plan.host().orElse(null))
            .withNewHttp()
            .withPaths(path)
            .endHttp()
            .build();
    var builder =
        new IngressBuilder()
            .withNewMetadata()
            .withName(plan.name())
            .withNamespace(plan.namespace())
            .withLabels(plan.labels())
            .withAnnotations(annotations(plan, settings))
            .endMetadata()
            .withNewSpec()
            .withIngressClassName(settings.ingressClass(plan.gateway()).orElse(null))
            .withRules(rule)
            .endSpec();
    if (plan.tlsSecret().isPresent()) {
      builder
          .editSpec()
          .withTls(
              new IngressTLSBuilder()
                  .withHosts(plan.host().map(List::of).orElse(null))
                  .withSecretName(plan.tlsSecret().get())
                  .build())
          .endSpec();
    } else if (plan.acme()) {
      // the Secret the ACME client fills, named as Kubeless named it
      builder
          .editSpec()
          .withTls(
              new IngressTLSBuilder()
                  .withHosts(plan.host().orElseThrow())
                  .withSecretName(plan.name() + "-tls")
                  .build())
          .endSpec();
    }
    return builder.build();
  }

  /**
   * The trigger's own annotations (Kubeless copied them: the way to reach a controller's other
   * features), then the ones the spec calls for, which win.
   */
  static Map<String, String> annotations(RoutePlan plan, RouteSettings settings) {
    Map<String, String> annotations = new TreeMap<>();
    Objects.requireNonNullElse(
            plan.trigger().getMetadata().getAnnotations(), Map.<String, String>of())
        .forEach(
            (key, value) -> {
              if (!key.startsWith("kubectl.kubernetes.io/")) {
                annotations.put(key, value);
              }
            });
    switch (plan.gateway()) {
      case NGINX -> {
        if (plan.rewrite()) {
          annotations.put("nginx.ingress.kubernetes.io/rewrite-target", "/");
        }
        if (plan.cors()) {
          annotations.put("nginx.ingress.kubernetes.io/enable-cors", "true");
        }
        plan.basicAuthSecret()
            .ifPresent(
                secret -> {
                  annotations.put("nginx.ingress.kubernetes.io/auth-type", "basic");
                  annotations.put("nginx.ingress.kubernetes.io/auth-secret", secret);
                  annotations.put("nginx.ingress.kubernetes.io/auth-realm", realm(plan));
                });
        if (plan.acme()) {
          annotations.put("nginx.ingress.kubernetes.io/ssl-redirect", "true");
        }
      }
      case TRAEFIK -> {
        if (plan.rewrite()) {
          annotations.put("traefik.ingress.kubernetes.io/rewrite-target", "/");
        }
        if (plan.cors()) {
          annotations.put("ingress.kubernetes.io/custom-response-headers", TRAEFIK_CORS_HEADERS);
        }
        plan.basicAuthSecret()
            .ifPresent(
                secret -> {
                  annotations.put("ingress.kubernetes.io/auth-type", "basic");
                  annotations.put("ingress.kubernetes.io/auth-secret", secret);
                  annotations.put("ingress.kubernetes.io/auth-realm", realm(plan));
                });
      }
      case KONG -> {
        if (plan.rewrite()) {
          annotations.put("konghq.com/strip-path", "true");
        }
      }
      default -> throw new IllegalArgumentException("not an Ingress gateway: " + plan.gateway());
    }
    if (plan.acme()) {
      annotations.put(TLS_ACME, "true");
      settings.clusterIssuer().ifPresent(issuer -> annotations.put(CLUSTER_ISSUER, issuer));
    }
    return annotations;
  }

  private static String realm(RoutePlan plan) {
    return "Authentication required: " + plan.namespace() + "/" + plan.name();
  }

  /** An Ingress exists while the trigger's valid spec names an Ingress gateway. */
  public static class Wanted implements Condition<Ingress, HTTPTrigger> {
    @Override
    public boolean isMet(
        DependentResource<Ingress, HTTPTrigger> dependent,
        HTTPTrigger primary,
        Context<HTTPTrigger> context) {
      return RoutePlan.of(context).filter(plan -> plan.gateway().ingress()).isPresent();
    }
  }
}
