package io.kubeless.runtime;

import java.nio.file.Path;
import java.util.Map;

/**
 * The runtime's configuration, read from the environment the function controller (or local mode)
 * sets.
 *
 * @param volume {@code KUBELESS_INSTALL_VOLUME}: where the function's sources and {@code lib/} are
 * @param modName {@code MOD_NAME}: the class {@code io.kubeless.<MOD_NAME>} in {@code
 *     <MOD_NAME>.java}
 * @param handler {@code FUNC_HANDLER}: the method to call
 * @param timeout {@code FUNC_TIMEOUT}: seconds, as given (default 180)
 * @param port {@code FUNC_PORT} (default 8080)
 * @param runtime {@code FUNC_RUNTIME}
 * @param memoryLimit {@code FUNC_MEMORY_LIMIT}
 * @param maxBodyBytes {@code REQ_MB_LIMIT} in MiB, in bytes; unset: no limit but the largest Java
 *     array (Kubeless's Java runtime had no limit)
 * @param logResponses {@code FUNC_LOG_RESPONSES} (default true): log each answer as Kubeless's Java
 *     runtime did ({@code Response: ...})
 */
public record Config(
    Path volume,
    String modName,
    String handler,
    String timeout,
    int port,
    String runtime,
    String memoryLimit,
    long maxBodyBytes,
    boolean logResponses) {

  /** The largest body a byte array holds, the limit when {@code REQ_MB_LIMIT} is not set. */
  static final long NO_LIMIT = Integer.MAX_VALUE - 8;

  /** Reads the configuration from {@code env}, applying Kubeless's defaults. */
  public static Config fromEnv(Map<String, String> env) {
    return new Config(
        Path.of(env.getOrDefault("KUBELESS_INSTALL_VOLUME", "/kubeless")),
        env.getOrDefault("MOD_NAME", ""),
        env.getOrDefault("FUNC_HANDLER", ""),
        orDefault(env.get("FUNC_TIMEOUT"), "180"),
        Integer.parseInt(orDefault(env.get("FUNC_PORT"), "8080")),
        env.getOrDefault("FUNC_RUNTIME", ""),
        env.getOrDefault("FUNC_MEMORY_LIMIT", ""),
        maxBodyBytes(env.get("REQ_MB_LIMIT")),
        !orDefault(env.get("FUNC_LOG_RESPONSES"), "true").matches("(?i)false|0|no|off"));
  }

  /** The timeout in milliseconds. */
  public long timeoutMillis() {
    return (long) (Double.parseDouble(timeout) * 1000);
  }

  private static long maxBodyBytes(String megabytes) {
    if (megabytes == null || megabytes.isBlank()) {
      return NO_LIMIT;
    }
    return Math.min(NO_LIMIT, (long) (Double.parseDouble(megabytes.trim()) * 1024 * 1024));
  }

  private static String orDefault(String value, String fallback) {
    return value == null || value.isBlank() ? fallback : value;
  }
}
