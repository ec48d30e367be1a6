package io.kubeless.http;

import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressLoadBalancerIngress;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.AggregatedOperatorException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.kubeless.api.v1beta1.BoundFunctionStatus;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.HTTPTrigger;
import io.kubeless.http.HTTPTriggerStatuses.Observation;
import io.kubeless.http.config.HttpTriggerConfig;
import io.kubeless.http.gateway.RouteProblem;
import io.kubeless.http.source.InvalidRouteException;
import io.kubeless.http.source.RoutePlan;
import io.kubeless.trigger.kubernetes.FunctionEndpoints;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What a reconcile tells of a trigger, in the order of {@code Ready}'s reasons (README.md,
 * "Status"): the spec, the function, the gateway's own problem, the function's readiness.
 */
final class Observations {

  static final String GATEWAY_API_NOT_INSTALLED = "GatewayApiNotInstalled";
  static final String FUNCTION_NOT_FOUND = "FunctionNotFound";
  static final String FUNCTION_UNAVAILABLE = "FunctionUnavailable";
  static final String APPLY_FAILED = "ApplyFailed";
  static final String PUBLISHED = "Published";

  private Observations() {}

  static Observation invalid(HTTPTrigger trigger, InvalidRouteException e) {
    return new Observation(false, e.reason(), e.getMessage(), null, null);
  }

  static Observation failed(HTTPTrigger trigger, Exception e) {
    return new Observation(
        false,
        APPLY_FAILED,
        "writing to the API server failed, retrying: " + describe(e),
        trigger.getStatus() == null ? null : trigger.getStatus().getUrl(),
        null);
  }

  /**
   * What the API server said, for a person: the workflow's wrappers unwrapped, each failed route
   * named, the server's own message rather than the client's request line.
   */
  static String describe(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof AggregatedOperatorException aggregated) {
        return aggregated.getAggregatedExceptions().entrySet().stream()
            .map(failed -> failed.getKey() + ": " + describe(failed.getValue()))
            .collect(Collectors.joining("; "));
      }
      if (t instanceof KubernetesClientException k
          && k.getStatus() != null
          && k.getStatus().getMessage() != null) {
        return k.getStatus().getMessage() + " (HTTP " + k.getCode() + ")";
      }
    }
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  static Observation of(
      RoutePlan plan,
      Optional<Function> function,
      Optional<RouteProblem> problem,
      Context<HTTPTrigger> context,
      HttpTriggerConfig config) {
    String fn = plan.namespace() + "/" + plan.function();
    String url = url(plan, context, config);
    if (function.isEmpty()) {
      return new Observation(
          false,
          FUNCTION_NOT_FOUND,
          "Function %s does not exist; the route sends to its Service once it does".formatted(fn),
          url,
          new BoundFunctionStatus(plan.function(), false, FUNCTION_NOT_FOUND));
    }
    if (problem.isPresent()) {
      return new Observation(
          false,
          problem.get().reason(),
          problem.get().message(),
          url,
          new BoundFunctionStatus(plan.function(), false, problem.get().reason()));
    }
    boolean ready = FunctionEndpoints.ready(function.get());
    if (!ready) {
      return new Observation(
          false,
          FUNCTION_UNAVAILABLE,
          "Function %s has no ready endpoint: requests get 503 until it has".formatted(fn),
          url,
          new BoundFunctionStatus(plan.function(), false, FUNCTION_UNAVAILABLE));
    }
    String where = url != null ? url : plan.host().orElse("*") + plan.path();
    String by =
        switch (plan.gateway()) {
          case GATEWAY_API -> "HTTPRoute %s/%s".formatted(plan.namespace(), plan.name());
          case BUILTIN -> "the built-in gateway";
          default ->
              "Ingress %s/%s (%s)".formatted(plan.namespace(), plan.name(), plan.gateway().value());
        };
    return new Observation(
        true,
        PUBLISHED,
        "%s routes %s to function %s, port %d".formatted(by, where, fn, plan.servicePort()),
        url,
        new BoundFunctionStatus(plan.function(), true, PUBLISHED));
  }

  /**
   * Where the route answers: on its host; without one, on the built-in gateway's Service, or on the
   * address the ingress controller reports in the Ingress's status; else unknown.
   */
  static String url(RoutePlan plan, Context<HTTPTrigger> context, HttpTriggerConfig config) {
    if (plan.host().isPresent()) {
      return plan.url(plan.host().get());
    }
    return switch (plan.gateway()) {
      case BUILTIN -> plan.url(config.gateway().serviceAddress());
      case GATEWAY_API -> null;
      default ->
          context
              .getSecondaryResource(Ingress.class)
              .map(Ingress::getStatus)
              .map(s -> s.getLoadBalancer())
              .map(lb -> lb.getIngress())
              .filter(list -> !list.isEmpty())
              .map(list -> address(list.getFirst()))
              .map(plan::url)
              .orElse(null);
    };
  }

  private static String address(IngressLoadBalancerIngress ingress) {
    return ingress.getHostname() != null ? ingress.getHostname() : ingress.getIp();
  }
}
