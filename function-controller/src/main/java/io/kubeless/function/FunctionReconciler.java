package io.kubeless.function;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.kubeless.api.function.InvalidFunctionException;
import io.kubeless.api.status.WarningEvents;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.function.config.FunctionControllerConfig;
import io.kubeless.function.dependent.AutoscalerDependent;
import io.kubeless.function.dependent.ConfigMapDependent;
import io.kubeless.function.dependent.DeploymentDependent;
import io.kubeless.function.dependent.ServiceDependent;
import io.kubeless.function.policy.FunctionPolicy;
import io.kubeless.function.runtime.RuntimeCatalogue;
import io.kubeless.function.spec.FunctionPlan;
import io.kubeless.function.spec.FunctionPlanner;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reconciles every Function into a ConfigMap, Deployment, Service and optional autoscaler. Spec,
 * policy and children's names are checked before the workflow runs, so an invalid or refused
 * Function only gets a status and an Event, and never touches objects that are not its own.
 */
@Workflow(
    explicitInvocation = true,
    dependents = {
      @Dependent(name = FunctionReconciler.CONFIG_MAP, type = ConfigMapDependent.class),
      @Dependent(name = FunctionReconciler.SERVICE, type = ServiceDependent.class),
      @Dependent(
          name = FunctionReconciler.DEPLOYMENT,
          type = DeploymentDependent.class,
          dependsOn = FunctionReconciler.CONFIG_MAP),
      @Dependent(
          name = FunctionReconciler.AUTOSCALER,
          type = AutoscalerDependent.class,
          dependsOn = FunctionReconciler.DEPLOYMENT,
          reconcilePrecondition = AutoscalerDependent.Requested.class)
    })
// Without comparable resource versions, JOSDK 5.3 does not filter the events that arrive while
// it patches the status; with them, a spec change made during that patch is dropped and never
// reconciled (operator-framework/java-operator-sdk#3398). Our own status writes do not change the
// generation, so generation-aware processing still ignores them.
@ControllerConfiguration(
    name = "function",
    informer = @Informer(comparableResourceVersions = false))
public class FunctionReconciler implements Reconciler<Function> {

  static final String CONFIG_MAP = "configmap";
  static final String SERVICE = "service";
  static final String DEPLOYMENT = "deployment";
  static final String AUTOSCALER = "autoscaler";

  private final FunctionPlanner planner;
  private final FunctionPolicy policy;
  private final RuntimeCatalogue catalogue;
  private final FunctionControllerConfig.Catalogue catalogueLocation;
  private final FunctionStatuses statuses;
  private final Duration conflictRecheck;
  private final Set<String> adoptedManagers;
  private InformerEventSource<ConfigMap, Function> catalogueSource;

  public FunctionReconciler(
      FunctionPlanner planner,
      FunctionPolicy policy,
      RuntimeCatalogue catalogue,
      FunctionControllerConfig config,
      io.fabric8.kubernetes.client.KubernetesClient client) {
    this.planner = planner;
    this.policy = policy;
    this.catalogue = catalogue;
    this.catalogueLocation = config.catalogue();
    this.conflictRecheck = config.conflictRecheck();
    this.adoptedManagers = config.adoptedFieldManagers();
    this.statuses = new FunctionStatuses(new WarningEvents(client, "kubeless-function-controller"));
  }

  @Override
  public UpdateControl<Function> reconcile(Function function, Context<Function> context)
      throws Exception {
    FunctionPlan plan;
    try {
      plan = planner.plan(function, catalogue.runtimes(catalogueSource.get(catalogueId())));
      policy.check(plan);
      if (ChildOwnership.check(plan, context, adoptedManagers)) {
        return UpdateControl.<Function>noUpdate().rescheduleAfter(Duration.ofSeconds(1));
      }
    } catch (InvalidFunctionException e) {
      UpdateControl<Function> invalid = statuses.invalid(function, e);
      // nothing watches the user's conflicting object: look again for its removal
      return ChildOwnership.CONFLICT.equals(e.reason())
          ? invalid.rescheduleAfter(conflictRecheck)
          : invalid;
    }
    var workflow = context.managedWorkflowAndDependentResourceContext();
    workflow.put(FunctionPlan.class, plan);
    workflow.reconcileManagedWorkflow().throwAggregateExceptionIfErrorsPresent();
    return statuses.deployed(
        function, plan, context.getSecondaryResource(Deployment.class, DEPLOYMENT));
  }

  @Override
  public ErrorStatusUpdateControl<Function> updateErrorStatus(
      Function function, Context<Function> context, Exception e) {
    function.setStatus(statuses.failed(function, e));
    return ErrorStatusUpdateControl.patchStatus(function);
  }

  /**
   * Watches the runtime catalogue ConfigMap; a change re-reconciles every Function, so new images
   * roll out and Functions waiting for a runtime get it.
   */
  @Override
  public List<EventSource<?, Function>> prepareEventSources(EventSourceContext<Function> context) {
    ResourceID id = catalogueId();
    var configuration =
        InformerEventSourceConfiguration.from(ConfigMap.class, Function.class)
            .withName("runtime-catalogue")
            .withNamespaces(Set.of(catalogueLocation.namespace()))
            .withGenericFilter(cm -> id.getName().equals(cm.getMetadata().getName()))
            .withSecondaryToPrimaryMapper(
                cm ->
                    context
                        .getPrimaryCache()
                        .list()
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
            .withPrimaryToSecondaryMapper(primary -> Set.of(id))
            .build();
    catalogueSource = new InformerEventSource<>(configuration, context);
    return List.of(catalogueSource);
  }

  private ResourceID catalogueId() {
    return new ResourceID(catalogueLocation.name(), catalogueLocation.namespace());
  }
}
