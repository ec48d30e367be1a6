package io.kubeless.http.source;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** What serves an HTTPTrigger's route: {@code spec.gateway}, nginx when absent, as in Kubeless. */
public enum GatewayKind {
  NGINX("nginx"),
  TRAEFIK("traefik"),
  KONG("kong"),
  GATEWAY_API("gateway-api"),
  BUILTIN("builtin");

  private final String value;

  GatewayKind(String value) {
    this.value = value;
  }

  /** The value of {@code spec.gateway}. */
  public String value() {
    return value;
  }

  /** Whether the route is a {@code networking.k8s.io/v1} Ingress. */
  public boolean ingress() {
    return this == NGINX || this == TRAEFIK || this == KONG;
  }

  /** The kind named by {@code spec.gateway} (case-insensitive), nginx when blank. */
  public static Optional<GatewayKind> of(String gateway) {
    if (gateway == null || gateway.isBlank()) {
      return Optional.of(NGINX);
    }
    String wanted = gateway.trim().toLowerCase(Locale.ROOT);
    return Arrays.stream(values()).filter(k -> k.value.equals(wanted)).findFirst();
  }

  /** The accepted values, for messages. */
  public static String accepted() {
    return Arrays.stream(values()).map(GatewayKind::value).collect(Collectors.joining(", "));
  }
}
