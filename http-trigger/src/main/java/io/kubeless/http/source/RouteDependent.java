package io.kubeless.http.source;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.Matcher.Result;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.GenericKubernetesResourceMatcher;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.kubeless.api.v1beta1.HTTPTrigger;

/**
 * The object that publishes a trigger's route: named after the trigger (as Kubeless named its
 * Ingresses) and owned by it as its controller, so that deleting the trigger deletes the route.
 *
 * <p>Its desired state is complete: an option turned off is absent from it. With server-side apply
 * (the default) the field manager then removes what it no longer applies; without it (the mock API
 * server of the tests) labels and annotations are compared for equality, not inclusion, so a
 * removed annotation still triggers the update, which then replaces the object (the framework's own
 * non-SSA update only ever adds labels and annotations).
 */
abstract class RouteDependent<R extends HasMetadata>
    extends CRUDKubernetesDependentResource<R, HTTPTrigger> {

  RouteDependent(Class<R> type) {
    super(type);
  }

  /** Routes are named after their trigger; no need to compute the desired state to know. */
  @Override
  protected ResourceID targetSecondaryResourceID(
      HTTPTrigger primary, Context<HTTPTrigger> context) {
    return ResourceID.fromResource(primary);
  }

  @Override
  protected void addReferenceHandlingMetadata(R desired, HTTPTrigger primary) {
    desired.getMetadata().setOwnerReferences(null);
    desired.addOwnerReference(RoutePlan.controllerReference(primary));
  }

  @Override
  public R update(R actual, R desired, HTTPTrigger primary, Context<HTTPTrigger> context) {
    if (useSSA(context)) {
      return super.update(actual, desired, primary, context);
    }
    addMetadata(false, actual, desired, primary, context);
    desired.getMetadata().setResourceVersion(actual.getMetadata().getResourceVersion());
    return context.resourceOperations().update(desired, eventSource().orElse(null));
  }

  @Override
  public Result<R> match(R actual, R desired, HTTPTrigger primary, Context<HTTPTrigger> context) {
    if (useSSA(context)) {
      return super.match(actual, desired, primary, context);
    }
    return GenericKubernetesResourceMatcher.match(desired, actual, true, true, context);
  }
}
