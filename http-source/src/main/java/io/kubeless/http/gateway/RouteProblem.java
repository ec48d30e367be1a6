package io.kubeless.http.gateway;

/**
 * Why a route is not served, for the trigger's status.
 *
 * @param reason CamelCase, e.g. {@code RouteConflict}
 * @param message for a person to act on
 */
public record RouteProblem(String reason, String message) {

  /** Reason of a route whose host and path an older trigger already serves. */
  public static final String CONFLICT = "RouteConflict";
}
