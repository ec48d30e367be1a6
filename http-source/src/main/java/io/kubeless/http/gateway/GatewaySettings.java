package io.kubeless.http.gateway;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link Gateway} listens and what it allows.
 *
 * @param host the address to bind, {@code 0.0.0.0} for every interface
 * @param port the port to bind; 0 for a free one ({@link Gateway#start()} returns it)
 * @param maxBodyBytes the largest request body passed to a function; a larger one is answered
 *     {@code 413} (ingress-nginx's {@code proxy-body-size} plays this part behind an Ingress)
 * @param retryAfter the {@code Retry-After} of a {@code 503} while a function has no ready endpoint
 */
public record GatewaySettings(String host, int port, long maxBodyBytes, Duration retryAfter) {

  /**
   * The default body limit, 100 MiB: above any event a function should take in one request, and
   * still bounded; bodies are streamed, so the limit is about the function, not the gateway's
   * memory.
   */
  public static final long DEFAULT_MAX_BODY_BYTES = 100L * 1024 * 1024;

  public GatewaySettings {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(retryAfter, "retryAfter");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0 to 65535, not " + port);
    }
    if (maxBodyBytes < 0) {
      throw new IllegalArgumentException("maxBodyBytes must not be negative");
    }
  }

  /**
   * Every interface, port 8090 (beside the 8080 of the controller's own Quarkus HTTP server:
   * health, metrics), 100 MiB bodies, {@code Retry-After: 5}.
   */
  public static GatewaySettings defaults() {
    return new GatewaySettings("0.0.0.0", 8090, DEFAULT_MAX_BODY_BYTES, Duration.ofSeconds(5));
  }

  /** These settings on another address. */
  public GatewaySettings at(String host, int port) {
    return new GatewaySettings(host, port, maxBodyBytes, retryAfter);
  }

  /** These settings with another body limit. */
  public GatewaySettings withMaxBodyBytes(long maxBodyBytes) {
    return new GatewaySettings(host, port, maxBodyBytes, retryAfter);
  }
}
