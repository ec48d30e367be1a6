package io.kubeless.http.source;

import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPBackendRefBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteFilterBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteMatchBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteRuleBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ParentReferenceBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import io.kubeless.api.v1beta1.HTTPTrigger;
import java.util.List;

/**
 * The Gateway API {@code HTTPRoute} of {@code gateway: gateway-api}: attached to the parent Gateway
 * of the configuration, matching the host and the path prefix, rewriting the path to {@code /} as
 * the nginx Ingress does, and sending to the function's Service port.
 */
@KubernetesDependent(informer = @Informer(labelSelector = RoutePlan.MANAGED))
public class HTTPRouteDependent extends RouteDependent<HTTPRoute> {

  /** Key of the workflow context telling whether the cluster serves HTTPRoutes. */
  public static final String ENABLED = "gateway-api-enabled";

  public HTTPRouteDependent() {
    super(HTTPRoute.class);
  }

  @Override
  protected HTTPRoute desired(HTTPTrigger primary, Context<HTTPTrigger> context) {
    return build(RoutePlan.of(context).orElseThrow(), RouteSettings.of(context));
  }

  static HTTPRoute build(RoutePlan plan, RouteSettings settings) {
    var rule =
        new HTTPRouteRuleBuilder()
            .withMatches(
                new HTTPRouteMatchBuilder()
                    .withNewPath()
                    .withType("PathPrefix")
                    .withValue(plan.path())
                    .endPath()
                    .build())
            .withBackendRefs(
                new HTTPBackendRefBuilder()
                    .withName(plan.function())
                    .withPort(plan.servicePort())
                    .build());
    if (plan.rewrite()) {
      rule.withFilters(
          new HTTPRouteFilterBuilder()
              .withType("URLRewrite")
              .withNewUrlRewrite()
              .withNewPath()
              .withType("ReplaceFullPath")
              .withReplaceFullPath("/")
              .endPath()
              .endUrlRewrite()
              .build());
    }
    return new HTTPRouteBuilder()
        .withNewMetadata()
        .withName(plan.name())
        .withNamespace(plan.namespace())
        .withLabels(plan.labels())
        .endMetadata()
        .withNewSpec()
        .withParentRefs(
            new ParentReferenceBuilder()
                .withGroup("gateway.networking.k8s.io")
                .withKind("Gateway")
                .withName(settings.parentName())
                .withNamespace(settings.parentNamespace().orElse(null))
                .withSectionName(settings.parentSectionName().orElse(null))
                .build())
        .withHostnames(plan.host().map(List::of).orElse(null))
        .withRules(rule.build())
        .endSpec()
        .build();
  }

  /**
   * HTTPRoutes are watched only once the cluster is known to serve them, so that a cluster without
   * the Gateway API CRDs runs every other gateway.
   */
  public static class Installed implements Condition<HTTPRoute, HTTPTrigger> {
    @Override
    public boolean isMet(
        DependentResource<HTTPRoute, HTTPTrigger> dependent,
        HTTPTrigger primary,
        Context<HTTPTrigger> context) {
      return context
          .managedWorkflowAndDependentResourceContext()
          .get(ENABLED, Boolean.class)
          .orElse(false);
    }
  }

  /** An HTTPRoute exists while the trigger's valid spec names gateway-api. */
  public static class Wanted implements Condition<HTTPRoute, HTTPTrigger> {
    @Override
    public boolean isMet(
        DependentResource<HTTPRoute, HTTPTrigger> dependent,
        HTTPTrigger primary,
        Context<HTTPTrigger> context) {
      return RoutePlan.of(context).filter(p -> p.gateway() == GatewayKind.GATEWAY_API).isPresent();
    }
  }
}
