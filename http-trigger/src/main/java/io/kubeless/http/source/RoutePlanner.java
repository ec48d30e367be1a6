package io.kubeless.http.source;

import io.kubeless.api.v1beta1.HTTPTrigger;
import io.kubeless.api.v1beta1.HTTPTriggerSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads an HTTPTrigger's spec into a {@link RoutePlan}: the one place its fields are validated and
 * defaulted, whatever the gateway. Options a gateway cannot enforce are refused ({@code
 * UnsupportedOption}) rather than silently dropped: a route published without the basic auth or TLS
 * its author asked for would be worse than no route.
 */
public final class RoutePlanner {

  private static final Pattern SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  // RFC 3986 path characters, without '?' and '#': a prefix, not a regular expression
  private static final Pattern PATH = Pattern.compile("/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*");

  private RoutePlanner() {}

  /**
   * @param servicePort the port of the function's Service
   * @throws InvalidRouteException {@code InvalidSpec} for a malformed or contradictory spec, {@code
   *     UnsupportedOption} for an option the gateway cannot do
   */
  public static RoutePlan plan(HTTPTrigger trigger, int servicePort) throws InvalidRouteException {
    HTTPTriggerSpec spec = trigger.getSpec() == null ? new HTTPTriggerSpec() : trigger.getSpec();
    GatewayKind gateway =
        GatewayKind.of(spec.getGateway())
            .orElseThrow(
                () ->
                    invalid(
                        "spec.gateway '%s' is not one of %s"
                            .formatted(spec.getGateway(), GatewayKind.accepted())));
    String function = blankToNull(spec.getFunctionName());
    if (function == null) {
      throw invalid("spec.function-name is required: the function to expose");
    }
    if (function.length() > 253 || !SUBDOMAIN.matcher(function).matches()) {
      throw invalid("spec.function-name '%s' is not a Function name".formatted(function));
    }
    Optional<String> host = Optional.ofNullable(blankToNull(spec.getHostName()));
    if (host.isPresent()) {
      String bare = host.get().startsWith("*.") ? host.get().substring(2) : host.get();
      if (bare.length() > 253 || !SUBDOMAIN.matcher(bare).matches()) {
        throw invalid(
            ("spec.host-name '%s' is not a DNS name (lower case letters, digits, '-' and '.', an"
                    + " optional leading '*.')")
                .formatted(host.get()));
      }
    }
    String path = normalizePath(spec.getPath());
    if (!PATH.matcher(path).matches() || path.contains("//")) {
      throw invalid(
          "spec.path '%s' is not a URL path prefix (no spaces, '?', '#' or '//')"
              .formatted(spec.getPath()));
    }
    boolean acme = Boolean.TRUE.equals(spec.getTls());
    Optional<String> tlsSecret = secret(spec.getTlsSecret(), "spec.tls-secret");
    Optional<String> basicAuth = secret(spec.getBasicAuthSecret(), "spec.basic-auth-secret");
    if (acme && tlsSecret.isPresent()) {
      throw invalid(
          "spec.tls (a certificate requested automatically) and spec.tls-secret (your own"
              + " certificate) exclude each other: set one");
    }
    if (acme && host.isEmpty()) {
      throw invalid("spec.tls needs spec.host-name: a certificate is requested for that host");
    }
    boolean cors = Boolean.TRUE.equals(spec.getCorsEnable());
    unsupported(gateway, cors, basicAuth.isPresent(), acme, tlsSecret.isPresent());
    return new RoutePlan(
        trigger, gateway, function, host, path, cors, basicAuth, tlsSecret, acme, servicePort);
  }

  /** Kubeless's paths have no leading slash ({@code path: hello}); both forms are accepted. */
  static String normalizePath(String path) {
    String trimmed = path == null ? "" : path.trim();
    return trimmed.startsWith("/") ? trimmed : "/" + trimmed;
  }

  private static void unsupported(
      GatewayKind gateway, boolean cors, boolean basicAuth, boolean acme, boolean tlsSecret)
      throws InvalidRouteException {
    List<String> options = new ArrayList<>();
    String hint;
    switch (gateway) {
      case KONG -> {
        if (cors) {
          options.add("spec.cors-enable");
        }
        if (basicAuth) {
          options.add("spec.basic-auth-secret");
        }
        hint =
            "Kong configures CORS and basic auth with KongPlugin objects: remove the option and"
                + " annotate the HTTPTrigger with konghq.com/plugins: <your plugins> (trigger"
                + " annotations are copied to the Ingress)";
      }
      case GATEWAY_API -> {
        if (cors) {
          options.add("spec.cors-enable");
        }
        if (basicAuth) {
          options.add("spec.basic-auth-secret");
        }
        if (acme) {
          options.add("spec.tls");
        }
        if (tlsSecret) {
          options.add("spec.tls-secret");
        }
        hint =
            "core Gateway API HTTPRoutes cannot express CORS or basic auth, and TLS belongs to"
                + " the parent Gateway's listener: remove the option, or use gateway nginx or"
                + " builtin";
      }
      case BUILTIN -> {
        if (acme) {
          options.add("spec.tls");
        }
        if (tlsSecret) {
          options.add("spec.tls-secret");
        }
        hint =
            "the built-in gateway serves plain HTTP behind the Service kubeless-http-gateway:"
                + " terminate TLS in front of it, or use gateway nginx";
      }
      default -> hint = "";
    }
    if (!options.isEmpty()) {
      throw new InvalidRouteException(
          InvalidRouteException.UNSUPPORTED_OPTION,
          "gateway %s cannot do %s, so no route was published: %s"
              .formatted(gateway.value(), String.join(", ", options), hint));
    }
  }

  private static Optional<String> secret(String value, String field) throws InvalidRouteException {
    String name = blankToNull(value);
    if (name != null && (name.length() > 253 || !SUBDOMAIN.matcher(name).matches())) {
      throw invalid("%s '%s' is not a Secret name".formatted(field, value));
    }
    return Optional.ofNullable(name);
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.trim();
  }

  private static InvalidRouteException invalid(String message) {
    return new InvalidRouteException(InvalidRouteException.INVALID_SPEC, message);
  }
}
