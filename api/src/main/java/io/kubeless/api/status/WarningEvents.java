package io.kubeless.api.status;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records Kubernetes Events ({@code kubectl describe} shows them) for a kubeless resource. Callers
 * emit once per transition, not once per reconcile, so a broken resource does not flood the API.
 */
public final class WarningEvents {

  private static final Logger LOG = LoggerFactory.getLogger(WarningEvents.class);

  private final KubernetesClient client;
  private final String component;
  private final String instance;

  /**
   * @param component the reporting component, e.g. {@code kubeless-function-controller}
   */
  public WarningEvents(KubernetesClient client, String component) {
    this.client = client;
    this.component = component;
    // the pod name, so that one can tell which replica acted
    this.instance = Objects.requireNonNullElse(System.getenv("HOSTNAME"), "");
  }

  /** Records a Warning Event; failures are logged, never thrown, as events are best effort. */
  public void warn(HasMetadata resource, String reason, String message) {
    record(resource, "Warning", reason, message);
  }

  /** Records a Normal Event; failures are logged, never thrown. */
  public void normal(HasMetadata resource, String reason, String message) {
    record(resource, "Normal", reason, message);
  }

  private void record(HasMetadata resource, String type, String reason, String message) {
    var meta = resource.getMetadata();
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    var event =
        new EventBuilder()
            .withNewMetadata()
            .withName(
                meta.getName()
                    + "."
                    + UUID.randomUUID().toString().substring(0, 8).toLowerCase(Locale.ROOT))
            .withNamespace(meta.getNamespace())
            .endMetadata()
            .withInvolvedObject(
                new ObjectReferenceBuilder()
                    .withApiVersion(resource.getApiVersion())
                    .withKind(resource.getKind())
                    .withName(meta.getName())
                    .withNamespace(meta.getNamespace())
                    .withUid(meta.getUid())
                    .withResourceVersion(meta.getResourceVersion())
                    .build())
            .withType(type)
            .withReason(reason)
            .withMessage(message)
            .withCount(1)
            .withFirstTimestamp(now)
            .withLastTimestamp(now)
            .withNewSource()
            .withComponent(component)
            .endSource()
            .withReportingComponent(component)
            .withReportingInstance(instance)
            .build();
    try {
      client.v1().events().inNamespace(meta.getNamespace()).resource(event).create();
    } catch (KubernetesClientException e) {
      LOG.warn(
          "Could not record event {} for {} {}/{}: {}",
          reason,
          resource.getKind(),
          meta.getNamespace(),
          meta.getName(),
          e.getMessage());
    }
  }
}
