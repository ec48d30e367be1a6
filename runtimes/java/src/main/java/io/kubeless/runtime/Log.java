package io.kubeless.runtime;

import java.time.Instant;

/** One line per message on stderr, as the Python and Node.js runtimes log: the pod's log. */
final class Log {
  private Log() {}

  static void log(String message) {
    System.err.println(Instant.now() + " " + message);
  }
}
