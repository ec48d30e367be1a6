package io.kubeless.api.function;

/**
 * A Function whose spec cannot be turned into workloads: the user's mistake, reported as {@code
 * Ready=False} with this reason and a Warning Event, never retried until the spec changes.
 */
public class InvalidFunctionException extends Exception {

  private final String reason;

  /**
   * @param reason CamelCase reason for the {@code Ready} condition, e.g. {@code InvalidHandler}
   * @param message what is wrong and how to fix it, for a person
   */
  public InvalidFunctionException(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  public String reason() {
    return reason;
  }
}
