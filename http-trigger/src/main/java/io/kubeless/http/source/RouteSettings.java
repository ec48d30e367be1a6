package io.kubeless.http.source;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.kubeless.api.v1beta1.HTTPTrigger;
import io.kubeless.http.config.HttpTriggerConfig;
import java.util.Optional;

/**
 * The operator's choices that shape every route (from {@link HttpTriggerConfig}), handed to the
 * dependents with each reconcile.
 *
 * @param nginxClass {@code spec.ingressClassName} of nginx Ingresses, empty for the cluster default
 * @param traefikClass likewise for traefik
 * @param kongClass likewise for kong
 * @param clusterIssuer cert-manager ClusterIssuer of {@code tls: true} routes
 * @param parentName parent Gateway of HTTPRoutes
 * @param parentNamespace its namespace, the trigger's own when empty
 * @param parentSectionName its listener, all when empty
 */
public record RouteSettings(
    Optional<String> nginxClass,
    Optional<String> traefikClass,
    Optional<String> kongClass,
    Optional<String> clusterIssuer,
    String parentName,
    Optional<String> parentNamespace,
    Optional<String> parentSectionName) {

  public static RouteSettings of(HttpTriggerConfig config) {
    var ingress = config.ingress();
    var api = config.gatewayApi();
    return new RouteSettings(
        ingressClass(ingress.nginxClass()),
        ingressClass(ingress.traefikClass()),
        ingressClass(ingress.kongClass()),
        ingress.clusterIssuer().filter(s -> !s.isBlank()),
        api.parentName(),
        api.parentNamespace().filter(s -> !s.isBlank()),
        api.parentSectionName().filter(s -> !s.isBlank()));
  }

  /** The settings the reconciler handed to this reconcile. */
  public static RouteSettings of(Context<HTTPTrigger> context) {
    return context
        .managedWorkflowAndDependentResourceContext()
        .getMandatory(RouteSettings.class, RouteSettings.class);
  }

  /** The IngressClass of a gateway's Ingresses, empty for the cluster's default class. */
  public Optional<String> ingressClass(GatewayKind gateway) {
    return switch (gateway) {
      case NGINX -> nginxClass;
      case TRAEFIK -> traefikClass;
      case KONG -> kongClass;
      default -> Optional.empty();
    };
  }

  private static Optional<String> ingressClass(String configured) {
    return configured.isBlank() || HttpTriggerConfig.CLUSTER_DEFAULT_CLASS.equals(configured)
        ? Optional.empty()
        : Optional.of(configured);
  }
}
