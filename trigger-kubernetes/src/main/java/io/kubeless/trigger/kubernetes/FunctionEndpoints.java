package io.kubeless.trigger.kubernetes;

import io.kubeless.api.function.FunctionFields;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionStatus;
import io.kubeless.trigger.function.FunctionEndpoint;
import java.net.URI;

/**
 * Turns a {@link Function} into the {@link FunctionEndpoint} a trigger invokes, reading its fields
 * with {@link FunctionFields} like every other component.
 *
 * <p>The URL is {@code status.url}, written by the function controller. A Function without status
 * (one made by Kubeless's own controller) gets its Service's address, {@code
 * http://<name>.<ns>.svc.<domain>:<port>}. It is ready when {@code status.readyReplicas > 0}; when
 * the status has no replica count, its {@code Ready} condition decides; when it has no status at
 * all it is taken as ready, and a refused connection is retried as if it were not.
 */
public final class FunctionEndpoints {

  private FunctionEndpoints() {}

  /**
   * @param clusterDomain the cluster's DNS suffix, for Functions without {@code status.url}
   */
  public static FunctionEndpoint of(Function function, String clusterDomain) {
    var meta = function.getMetadata();
    FunctionStatus status = function.getStatus();
    URI url =
        status != null && status.getUrl() != null && !status.getUrl().isBlank()
            ? URI.create(status.getUrl())
            : FunctionFields.serviceUrl(
                meta.getName(),
                meta.getNamespace(),
                FunctionFields.servicePort(function.getSpec()),
                clusterDomain);
    boolean ready;
    if (status == null) {
      ready = true;
    } else if (status.getReadyReplicas() != null) {
      ready = status.getReadyReplicas() > 0;
    } else if (Conditions.find(status, Conditions.READY).isPresent()) {
      ready = Conditions.isReady(status);
    } else {
      ready = status.getUrl() != null;
    }
    return new FunctionEndpoint(
        meta.getNamespace(),
        meta.getName(),
        url,
        FunctionFields.timeoutOrDefault(function.getSpec()),
        ready,
        meta.getLabels());
  }
}
