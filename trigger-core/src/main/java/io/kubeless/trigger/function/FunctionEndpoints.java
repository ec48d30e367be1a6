package io.kubeless.trigger.function;

import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionStatus;
import java.net.URI;
import java.time.Duration;

/**
 * Turns a {@link Function} into the {@link FunctionEndpoint} a trigger invokes.
 *
 * <p>The URL is {@code status.url}, written by the function controller. A Function without status
 * (one made by Kubeless's own controller) gets Kubeless's address, {@code
 * http://<name>.<ns>.svc.<domain>:<port>}. It is ready when {@code status.readyReplicas > 0}; when
 * the status has no replica count, its {@code Ready} condition decides; when it has no status at
 * all it is taken as ready, and a refused connection is retried as if it were not.
 */
public final class FunctionEndpoints {

  /**
   * What applies when a Function does not say.
   *
   * @param timeout the invocation timeout when {@code spec.timeout} is empty or malformed
   * @param port the Service port of a Function without {@code status.url}
   * @param clusterDomain the cluster's DNS suffix
   */
  public record Defaults(Duration timeout, int port, String clusterDomain) {}

  private FunctionEndpoints() {}

  public static FunctionEndpoint of(Function function, Defaults defaults) {
    var meta = function.getMetadata();
    FunctionStatus status = function.getStatus();
    String url =
        status != null && status.getUrl() != null && !status.getUrl().isBlank()
            ? status.getUrl()
            : "http://%s.%s.svc.%s:%d"
                .formatted(
                    meta.getName(), meta.getNamespace(), defaults.clusterDomain(), defaults.port());
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
        URI.create(url),
        timeout(function.getSpec() == null ? null : function.getSpec().getTimeout(), defaults),
        ready,
        meta.getLabels());
  }

  private static Duration timeout(String seconds, Defaults defaults) {
    if (seconds == null || seconds.isBlank()) {
      return defaults.timeout();
    }
    try {
      long value = Long.parseLong(seconds.trim());
      return value > 0 ? Duration.ofSeconds(value) : defaults.timeout();
    } catch (NumberFormatException e) {
      return defaults.timeout();
    }
  }
}
