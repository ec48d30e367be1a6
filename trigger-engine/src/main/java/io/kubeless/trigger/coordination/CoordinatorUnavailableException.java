package io.kubeless.trigger.coordination;

/**
 * The store of a {@link ShardCoordinator} (the Kubernetes API server for Leases) could not be read
 * or written. Nothing of the read concerned is sent; the binding reports {@code
 * CoordinatorUnavailable} and tries again.
 */
public final class CoordinatorUnavailableException extends RuntimeException {

  public CoordinatorUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
