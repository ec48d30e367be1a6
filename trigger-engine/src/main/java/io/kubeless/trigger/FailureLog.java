package io.kubeless.trigger;

import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * Logs delivery failures of one binding without flooding: the first failure at once, then at most
 * one line per period with the number of failures in between. Never logs payloads.
 */
public final class FailureLog {

  private final Logger log;
  private final long periodNanos;
  private long nextLineAt;
  private long suppressed;

  public FailureLog(Logger log, Duration period) {
    this.log = log;
    this.periodNanos = period.toNanos();
    this.nextLineAt = System.nanoTime();
  }

  /** Logs {@code message} at WARN now, or counts it for the next line. */
  public synchronized void warn(String message) {
    long now = System.nanoTime();
    if (now - nextLineAt >= 0) {
      log.warn(suppressed == 0 ? message : message + " (and " + suppressed + " more since)");
      suppressed = 0;
      nextLineAt = now + periodNanos;
    } else {
      suppressed++;
    }
  }
}
