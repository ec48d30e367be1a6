package io.kubeless.http;

import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.kubeless.api.function.FunctionFields;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.HTTPTrigger;
import io.kubeless.http.config.HttpTriggerConfig;
import io.kubeless.http.gateway.RouteProblem;
import io.kubeless.http.source.BuiltinRoutes;
import io.kubeless.http.source.GatewayKind;
import io.kubeless.http.source.HTTPRouteDependent;
import io.kubeless.http.source.IngressDependent;
import io.kubeless.http.source.InvalidRouteException;
import io.kubeless.http.source.RoutePlan;
import io.kubeless.http.source.RoutePlanner;
import io.kubeless.http.source.RouteSettings;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.kubernetes.StatusLeadership;
import io.kubeless.trigger.kubernetes.TriggerConfig;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * HTTPTriggers in all namespaces, each published by its gateway: an Ingress (nginx, traefik, kong),
 * an HTTPRoute (gateway-api), or a route of the built-in gateway of every replica (builtin). The
 * spec is read once by {@link RoutePlanner}; an invalid one removes the route and only gets a
 * status and an Event. Every replica reconciles, since every replica serves the built-in routes;
 * only the holder of the status Lease writes status.
 */
@Workflow(
    explicitInvocation = true,
    dependents = {
      @Dependent(
          name = HTTPTriggerReconciler.INGRESS,
          type = IngressDependent.class,
          reconcilePrecondition = IngressDependent.Wanted.class),
      @Dependent(
          name = HTTPTriggerReconciler.HTTP_ROUTE,
          type = HTTPRouteDependent.class,
          activationCondition = HTTPRouteDependent.Installed.class,
          reconcilePrecondition = HTTPRouteDependent.Wanted.class)
    })
// comparableResourceVersions = false: see FunctionReconciler (java-operator-sdk#3398)
@ControllerConfiguration(
    name = "httptrigger",
    triggerReconcilerOnAllEvents = true,
    informer = @Informer(comparableResourceVersions = false))
public class HTTPTriggerReconciler implements Reconciler<HTTPTrigger> {

  static final String INGRESS = "ingress";
  static final String HTTP_ROUTE = "httproute";
  private static final Duration SWEEP_INTERVAL = Duration.ofSeconds(2);

  private final KubernetesClient client;
  private final HTTPTriggerStatuses statuses;
  private final StatusLeadership leadership;
  private final RouteSettings settings;
  private final HttpTriggerConfig config;
  private final BuiltinRoutes builtin;
  private final Duration statusInterval;
  private volatile Boolean gatewayApi;
  private volatile IndexedResourceCache<HTTPTrigger> cache;

  public HTTPTriggerReconciler(
      KubernetesClient client,
      StatusLeadership leadership,
      TriggerConfig triggerConfig,
      HttpTriggerConfig config,
      BuiltinGateway gateway) {
    this.client = client;
    this.leadership = leadership;
    this.statuses = new HTTPTriggerStatuses(client, leadership);
    this.settings = RouteSettings.of(config);
    this.config = config;
    this.builtin = new BuiltinRoutes(gateway.gateway(), client);
    this.statusInterval = triggerConfig.statusInterval();
    // quarkus-operator-sdk 7.7.0 does not pass triggerReconcilerOnAllEvents on to the framework
    // (QuarkusControllerConfiguration keeps the interface's default, false), so a delete event
    // does not reach reconcile(): the sweep is what withdraws a deleted trigger's built-in route
    builtin.sweepEvery(min(statusInterval, SWEEP_INTERVAL), this::existing);
  }

  @Override
  public UpdateControl<HTTPTrigger> reconcile(HTTPTrigger trigger, Context<HTTPTrigger> context)
      throws Exception {
    if (context.isPrimaryResourceDeleted()) {
      builtin.remove(id(trigger));
      return UpdateControl.noUpdate();
    }
    Optional<Function> function = context.getSecondaryResource(Function.class);
    var workflow = context.managedWorkflowAndDependentResourceContext();
    workflow.put(RouteSettings.class, settings);
    workflow.put(HTTPRouteDependent.ENABLED, gatewayApiEnabled());
    RoutePlan plan = null;
    InvalidRouteException invalid = null;
    try {
      plan = plan(trigger, function);
      workflow.put(RoutePlan.class, plan);
    } catch (InvalidRouteException e) {
      invalid = e;
    }
    workflow.reconcileManagedWorkflow().throwAggregateExceptionIfErrorsPresent();
    Optional<RouteProblem> problem = Optional.empty();
    if (plan != null && plan.gateway() == GatewayKind.BUILTIN) {
      problem = builtin.put(plan);
    } else {
      builtin.remove(id(trigger));
    }
    var observation =
        invalid != null
            ? Observations.invalid(trigger, invalid)
            : Observations.of(plan, function, problem, context, config);
    return statuses.write(trigger, observation).rescheduleAfter(statusInterval);
  }

  private RoutePlan plan(HTTPTrigger trigger, Optional<Function> function)
      throws InvalidRouteException {
    RoutePlan plan =
        RoutePlanner.plan(
            trigger,
            function
                .map(f -> FunctionFields.servicePort(f.getSpec()))
                .orElse(FunctionFields.DEFAULT_PORT));
    if (plan.gateway() == GatewayKind.GATEWAY_API && !gatewayApiEnabled()) {
      throw new InvalidRouteException(
          Observations.GATEWAY_API_NOT_INSTALLED,
          "gateway gateway-api: this cluster does not serve gateway.networking.k8s.io/v1"
              + " HTTPRoutes; install the Gateway API CRDs and restart the controller, or set"
              + " kubeless.http-trigger.gateway-api.enabled");
    }
    return plan;
  }

  /**
   * A failed write of the route (the API server refused it, or the controller may not write it):
   * the trigger says so, and the framework retries.
   */
  @Override
  public ErrorStatusUpdateControl<HTTPTrigger> updateErrorStatus(
      HTTPTrigger trigger, Context<HTTPTrigger> context, Exception e) {
    return statuses.writeError(trigger, Observations.failed(trigger, e));
  }

  @Override
  public List<EventSource<?, HTTPTrigger>> prepareEventSources(
      EventSourceContext<HTTPTrigger> context) {
    cache = context.getPrimaryCache();
    return TriggerEvents.of(context, leadership);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /** The triggers of the cluster, once the informer runs. */
  private Optional<Set<TriggerId>> existing() {
    IndexedResourceCache<HTTPTrigger> primary = cache;
    return primary == null
        ? Optional.empty()
        : Optional.of(primary.list().map(HTTPTriggerReconciler::id).collect(Collectors.toSet()));
  }

  @PreDestroy
  void close() {
    builtin.close();
  }

  /** Whether HTTPRoutes are managed: configured, else discovered once from the API server. */
  private boolean gatewayApiEnabled() {
    Boolean enabled = gatewayApi;
    if (enabled == null) {
      enabled = config.gatewayApi().enabled().orElseGet(() -> client.supports(HTTPRoute.class));
      gatewayApi = enabled;
    }
    return enabled;
  }

  private static TriggerId id(HTTPTrigger trigger) {
    return new TriggerId(trigger.getMetadata().getNamespace(), trigger.getMetadata().getName());
  }
}
