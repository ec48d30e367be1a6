package io.kubeless.api.function;

import com.fasterxml.jackson.databind.JsonNode;
import io.kubeless.api.v1beta1.FunctionSpec;
import java.net.URI;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * The one reading of a Function's fields that more than one component needs: its timeout, the port
 * its Service exposes, the in-cluster URL derived from them, and its runtime's language. The
 * function controller, the triggers, the CLI and local mode all read them here, so they can never
 * disagree on a default.
 */
public final class FunctionFields {

  /** Kubeless's timeout, also the CRD's default for {@code spec.timeout}. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(180);

  /** The port a function listens on and its Service exposes when {@code spec.service} has none. */
  public static final int DEFAULT_PORT = 8080;

  /** Kubeless's name of the Service port. */
  public static final String PORT_NAME = "http-function-port";

  private static final Pattern TIMEOUT = Pattern.compile("[0-9]{1,9}");
  private static final Pattern LANGUAGE = Pattern.compile("([a-z]+)[0-9.]*");

  private FunctionFields() {}

  /**
   * {@code spec.timeout}, whole seconds greater than 0; {@link #DEFAULT_TIMEOUT} when empty.
   *
   * @throws InvalidFunctionException with reason {@code InvalidTimeout} when malformed
   */
  public static Duration timeout(FunctionSpec spec) throws InvalidFunctionException {
    String value = spec == null ? null : spec.getTimeout();
    if (value == null || value.isBlank()) {
      return DEFAULT_TIMEOUT;
    }
    String trimmed = value.trim();
    if (!TIMEOUT.matcher(trimmed).matches() || Long.parseLong(trimmed) == 0) {
      throw new InvalidFunctionException(
          "InvalidTimeout", "spec.timeout '" + value + "' must be a whole number of seconds > 0");
    }
    return Duration.ofSeconds(Long.parseLong(trimmed));
  }

  /**
   * {@code spec.timeout} for a reader that must not fail (a trigger invoking the function): the
   * default when the field is malformed, which the function controller reports on the Function.
   */
  public static Duration timeoutOrDefault(FunctionSpec spec) {
    try {
      return timeout(spec);
    } catch (InvalidFunctionException e) {
      return DEFAULT_TIMEOUT;
    }
  }

  /**
   * The port of the Function's Service: {@code spec.service.ports[0].port} when given and valid,
   * else {@link #DEFAULT_PORT}. The function controller validates the field and reports a bad one
   * on the Function; readers here never fail on it.
   */
  public static int servicePort(FunctionSpec spec) {
    JsonNode port =
        spec == null || spec.getService() == null ? null : spec.getService().at("/ports/0/port");
    if (port != null && port.canConvertToInt() && port.asInt() >= 1 && port.asInt() <= 65535) {
      return port.asInt();
    }
    return DEFAULT_PORT;
  }

  /**
   * Where a function is reached inside a cluster: {@code http://<name>.<ns>.svc.<domain>:<port>}.
   */
  public static URI serviceUrl(String name, String namespace, int port, String clusterDomain) {
    return URI.create("http://%s.%s.svc.%s:%d".formatted(name, namespace, clusterDomain, port));
  }

  /**
   * The language of a runtime id ({@code python3.12} -> {@code python}, {@code nodejs20} -> {@code
   * nodejs}), or empty when the id does not have that form.
   */
  public static String language(String runtime) {
    var m = runtime == null ? null : LANGUAGE.matcher(runtime.trim());
    return m != null && m.matches() ? m.group(1) : "";
  }
}
