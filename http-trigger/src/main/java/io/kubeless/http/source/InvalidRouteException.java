package io.kubeless.http.source;

/**
 * An HTTPTrigger that cannot be routed as written: the user's mistake, reported as {@code
 * Ready=False} with {@link #reason()} and a Warning Event, never retried until the spec changes.
 */
public final class InvalidRouteException extends Exception {

  /** A field is malformed, missing, or contradicts another. */
  public static final String INVALID_SPEC = "InvalidSpec";

  /** The chosen gateway cannot do an option of the spec. */
  public static final String UNSUPPORTED_OPTION = "UnsupportedOption";

  private final String reason;

  /**
   * @param reason {@link #INVALID_SPEC} or {@link #UNSUPPORTED_OPTION}
   * @param message what is wrong and how to fix it, naming the field
   */
  public InvalidRouteException(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  public String reason() {
    return reason;
  }
}
