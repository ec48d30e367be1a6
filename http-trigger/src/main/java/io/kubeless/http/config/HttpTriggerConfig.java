package io.kubeless.http.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** Configuration of the HTTP trigger ({@code kubeless.http-trigger.*}). */
@ConfigMapping(prefix = "kubeless.http-trigger")
public interface HttpTriggerConfig {

  /** The value of an ingress class that leaves {@code spec.ingressClassName} unset. */
  String CLUSTER_DEFAULT_CLASS = "default";

  /** Ingresses of the gateways {@code nginx}, {@code traefik} and {@code kong}. */
  Ingress ingress();

  /** HTTPRoutes of {@code gateway: gateway-api}. */
  GatewayApi gatewayApi();

  /** The built-in gateway ({@code gateway: builtin}), served by these pods. */
  Gateway gateway();

  /** Ingress settings. */
  interface Ingress {

    /**
     * {@code spec.ingressClassName} of nginx Ingresses: the IngressClass of ingress-nginx. {@code
     * default} leaves it unset, so the cluster's default IngressClass serves them.
     */
    @WithDefault("nginx")
    String nginxClass();

    /** {@code spec.ingressClassName} of traefik Ingresses; {@code default} leaves it unset. */
    @WithDefault("traefik")
    String traefikClass();

    /** {@code spec.ingressClassName} of kong Ingresses; {@code default} leaves it unset. */
    @WithDefault("kong")
    String kongClass();

    /**
     * The cert-manager ClusterIssuer of {@code tls: true} triggers ({@code
     * cert-manager.io/cluster-issuer}); without it only {@code kubernetes.io/tls-acme} is set,
     * which cert-manager honours with its default issuer (and kube-lego did).
     */
    Optional<String> clusterIssuer();
  }

  /** Gateway API settings. */
  interface GatewayApi {

    /**
     * Whether HTTPRoutes are managed. Unset: when the API server serves {@code
     * gateway.networking.k8s.io/v1} HTTPRoutes at start-up (install the Gateway API CRDs, then
     * restart the controller).
     */
    Optional<Boolean> enabled();

    /** Name of the parent Gateway every HTTPRoute attaches to. */
    @WithDefault("kubeless")
    String parentName();

    /** Namespace of the parent Gateway; the trigger's own when unset. */
    Optional<String> parentNamespace();

    /** Listener of the parent Gateway ({@code sectionName}); every listener when unset. */
    Optional<String> parentSectionName();
  }

  /** Built-in gateway settings. */
  interface Gateway {

    /** Interface the gateway listens on. */
    @WithDefault("0.0.0.0")
    String host();

    /**
     * Port of the gateway, apart from the management port (health, metrics) so that a route can
     * never shadow a probe. 0 picks a free port (tests).
     */
    @WithDefault("8081")
    int port();

    /** Largest request body the gateway forwards; the gateway's own default when unset. */
    Optional<Long> maxBodyBytes();

    /**
     * {@code Retry-After} of a 503 when the function has no ready endpoint; the gateway's own
     * default when unset.
     */
    Optional<Duration> retryAfter();

    /**
     * Authority of the Service in front of every replica ({@code kubeless-http-gateway}), used in
     * {@code status.url} of triggers without a host.
     */
    @WithDefault("kubeless-http-gateway.${KUBELESS_NAMESPACE:kubeless}.svc")
    String serviceAddress();
  }
}
