package io.kubeless.function.spec;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerSpec;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.kubeless.api.function.Handler;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.function.runtime.Runtime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A valid Function resolved against the runtime catalogue: everything the dependents need to build
 * the ConfigMap, Deployment, Service and autoscaler, computed once per reconcile.
 *
 * @param function the Function itself
 * @param labels labels of every child (the Function's, plus {@code function} and {@code
 *     created-by})
 * @param annotations the Function's annotations propagated to the Deployment and its pods
 * @param handler the handler; empty only for a prebuilt image without one
 * @param contentType how the code is encoded
 * @param runtime the catalogue entry; empty for a prebuilt image of an unknown runtime
 * @param image the function container's image
 * @param prebuiltImage whether {@code spec.deployment} names the image, which then carries the
 *     code: no code is prepared (Kubeless behaviour)
 * @param codeKey ConfigMap key (and file name) of the code
 * @param code the code as given in {@code spec.function}
 * @param deps the dependency file content, empty when none
 * @param checksumHex expected sha256 of the code, lower-case hex
 * @param timeoutSeconds the invocation timeout
 * @param port the container port the function listens on
 * @param service the Service spec (given or default)
 * @param overrides {@code spec.deployment} as a typed Deployment (empty when unset), without the
 *     init container that only gives resources
 * @param initResources resources of the function's own init containers, when {@code
 *     spec.deployment} gives them as Kubeless did: an init container with neither name nor image
 * @param autoscaler the autoscaler spec, when one is requested
 * @param provisionImage image of the init containers
 * @param url the in-cluster URL triggers call
 */
public record FunctionPlan(
    Function function,
    Map<String, String> labels,
    Map<String, String> annotations,
    Optional<Handler> handler,
    ContentType contentType,
    Optional<Runtime> runtime,
    String image,
    boolean prebuiltImage,
    String codeKey,
    String code,
    String deps,
    Optional<String> checksumHex,
    int timeoutSeconds,
    int port,
    ServiceSpec service,
    Deployment overrides,
    Optional<ResourceRequirements> initResources,
    Optional<HorizontalPodAutoscalerSpec> autoscaler,
    String provisionImage,
    String url) {

  /** Labels Kubeless puts on everything it creates; the Deployment selects pods by them. */
  public static final String CREATED_BY = "created-by";

  public static final String KUBELESS = "kubeless";
  public static final String FUNCTION_LABEL = "function";

  public String name() {
    return function.getMetadata().getName();
  }

  public String namespace() {
    return function.getMetadata().getNamespace();
  }

  /** Whether code is copied into the pod by init containers (not a prebuilt image). */
  public boolean preparesCode() {
    return !prebuiltImage;
  }

  /** Whether an install step runs: there are dependencies and the runtime can install them. */
  public boolean installsDeps() {
    return preparesCode()
        && runtime.flatMap(Runtime::installCommand).isPresent()
        && runtime.flatMap(Runtime::depsFile).isPresent()
        && (!deps.isBlank() || contentType.depsInArchive());
  }

  /** The selector of the Deployment: stable across spec changes, as selectors are immutable. */
  public Map<String, String> selector() {
    return selector(name());
  }

  /** The labels that select the pods of the function of this name. */
  public static Map<String, String> selector(String name) {
    Map<String, String> selector = new LinkedHashMap<>();
    selector.put(CREATED_BY, KUBELESS);
    selector.put(FUNCTION_LABEL, name);
    return selector;
  }

  /** The reference that makes a child the Function's: controller, blocking owner deletion. */
  public static OwnerReference controllerReference(Function function) {
    return new OwnerReferenceBuilder()
        .withApiVersion(function.getApiVersion())
        .withKind(function.getKind())
        .withName(function.getMetadata().getName())
        .withUid(function.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }

  /** The plan the reconciler stored for this reconcile. */
  public static FunctionPlan of(Context<Function> context) {
    return context
        .managedWorkflowAndDependentResourceContext()
        .getMandatory(FunctionPlan.class, FunctionPlan.class);
  }
}
