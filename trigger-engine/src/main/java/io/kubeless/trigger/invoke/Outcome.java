package io.kubeless.trigger.invoke;

import java.time.Duration;

/**
 * What became of one invocation.
 *
 * @param kind the class of result
 * @param status the HTTP status, or 0 when there was no response
 * @param duration from sending the request to its end
 * @param detail why it failed, for logs (never the payload); empty on success
 */
public record Outcome(Kind kind, int status, Duration duration, String detail) {

  /** The classes of result; only {@link #UNAVAILABLE} is safe to retry. */
  public enum Kind {
    /** The function answered 2xx. */
    SUCCESS,
    /**
     * The function answered something else, the exchange broke after the request left, or the
     * request could not be built (a malformed URL or header): it would fail again, so it is dropped
     * like the others.
     */
    FUNCTION_ERROR,
    /** No answer within the function's timeout; the function may have run. */
    TIMEOUT,
    /**
     * The request provably never left: no ready endpoint, connection refused, name not resolved, or
     * connect timeout.
     */
    UNAVAILABLE;

    /** The label value metrics use, e.g. {@code function_error}. */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Whether the function may have received the request: such a request is never sent again. */
  public boolean mayHaveReachedFunction() {
    return kind != Kind.UNAVAILABLE;
  }

  static Outcome unavailable(String detail) {
    return new Outcome(Kind.UNAVAILABLE, 0, Duration.ZERO, detail);
  }
}
