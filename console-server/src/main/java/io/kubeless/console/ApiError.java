package io.kubeless.console;

/** An answer other than success: its HTTP status and the message of its JSON {@code error}. */
final class ApiError extends RuntimeException {

  private final int status;

  ApiError(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  int status() {
    return status;
  }

  static ApiError notFound(String what, String ns, String name) {
    return new ApiError(404, "%s \"%s\" not found in namespace \"%s\"".formatted(what, name, ns));
  }
}
