package io.kubeless.http.source;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.kubeless.api.v1beta1.HTTPTrigger;
import io.kubeless.trigger.TriggerId;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An HTTPTrigger's route, validated and defaulted once by {@link RoutePlanner} and read by every
 * gateway: the Ingress and HTTPRoute dependents, and the built-in gateway.
 *
 * @param trigger the trigger
 * @param gateway what serves the route
 * @param function the function's name, in the trigger's namespace
 * @param host the virtual host, or empty for every host
 * @param path the path prefix, starting with {@code /}
 * @param cors whether CORS headers are added and preflights answered
 * @param basicAuthSecret the Secret with the htpasswd {@code auth} key, or empty
 * @param tlsSecret the Secret with the host's certificate, or empty
 * @param acme whether a certificate is requested automatically ({@code tls: true})
 * @param servicePort the port of the function's Service (the function controller's, read with
 *     {@code FunctionFields.servicePort})
 */
public record RoutePlan(
    HTTPTrigger trigger,
    GatewayKind gateway,
    String function,
    Optional<String> host,
    String path,
    boolean cors,
    Optional<String> basicAuthSecret,
    Optional<String> tlsSecret,
    boolean acme,
    int servicePort) {

  /** Label of every object the controller creates, and the informers' selector. */
  public static final String CREATED_BY = "created-by";

  public static final String KUBELESS = "kubeless";
  public static final String MANAGED = CREATED_BY + "=" + KUBELESS;

  /** The plan the reconciler computed for this reconcile, if the spec is valid. */
  public static Optional<RoutePlan> of(Context<HTTPTrigger> context) {
    return context
        .managedWorkflowAndDependentResourceContext()
        .get(RoutePlan.class, RoutePlan.class);
  }

  public String name() {
    return trigger.getMetadata().getName();
  }

  public String namespace() {
    return trigger.getMetadata().getNamespace();
  }

  public TriggerId id() {
    return new TriggerId(namespace(), name());
  }

  /** Whether the function sees {@code /} instead of the path, as behind Kubeless's Ingresses. */
  public boolean rewrite() {
    return !"/".equals(path);
  }

  /** Whether the route answers on HTTPS. */
  public boolean https() {
    return acme || tlsSecret.isPresent();
  }

  /** The URL of the route on {@code authority} (a host, or a gateway's address). */
  public String url(String authority) {
    return (https() ? "https" : "http") + "://" + authority + path;
  }

  /**
   * Labels of the route object: the trigger's (Kubeless copied them), then {@code created-by} and
   * {@code function}, like every child of kubeless.
   */
  public Map<String, String> labels() {
    Map<String, String> labels =
        new HashMap<>(
            Objects.requireNonNullElse(
                trigger.getMetadata().getLabels(), Map.<String, String>of()));
    labels.put(CREATED_BY, KUBELESS);
    labels.put("function", function);
    return labels;
  }

  /** The trigger as the route's controller, so that deleting it deletes the route. */
  public static OwnerReference controllerReference(HTTPTrigger trigger) {
    return new OwnerReferenceBuilder()
        .withApiVersion(trigger.getApiVersion())
        .withKind(trigger.getKind())
        .withName(trigger.getMetadata().getName())
        .withUid(trigger.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(false)
        .build();
  }
}
