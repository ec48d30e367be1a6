package io.kubeless.cron.source;

import java.util.Locale;

/** What a tick does while the previous call of the same trigger still runs (Kubernetes' names). */
public enum ConcurrencyPolicy {
  /** The tick fires: calls may overlap. */
  ALLOW,
  /** The tick is skipped and counted as missed. */
  FORBID;

  /**
   * {@code Allow} (the default when absent) or {@code Forbid}, case-insensitively.
   *
   * @throws IllegalArgumentException for anything else (Kubernetes' {@code Replace} cannot be
   *     honoured: a request that left cannot be taken back)
   */
  public static ConcurrencyPolicy of(String written) {
    if (written == null || written.isBlank()) {
      return ALLOW;
    }
    return switch (written.trim().toLowerCase(Locale.ROOT)) {
      case "allow" -> ALLOW;
      case "forbid" -> FORBID;
      default ->
          throw new IllegalArgumentException(
              "spec.concurrencyPolicy is '"
                  + written
                  + "'; use Allow or Forbid (Replace cannot be honoured: a request sent cannot"
                  + " be taken back)");
    };
  }
}
