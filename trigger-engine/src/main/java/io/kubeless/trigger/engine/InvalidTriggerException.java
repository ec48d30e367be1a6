package io.kubeless.trigger.engine;

/**
 * A trigger spec that cannot be bound: the user's mistake, reported as {@code Ready=False} with
 * reason {@code InvalidSpec} and this message, never retried until the spec changes.
 */
public class InvalidTriggerException extends Exception {

  /**
   * @param message what is wrong and how to fix it, for a person, naming the field ({@code
   *     spec.topic ...})
   */
  public InvalidTriggerException(String message) {
    super(message);
  }
}
