package io.kubeless.runtime;

import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The runtime's log, on stdout as Kubeless's Java runtime logged (the pod's log): messages, the
 * access log and the answers. A request thread only queues its line; one writer thread prints
 * whatever has queued up in one write, so logging every invocation costs the request threads
 * neither a lock held across a system call nor a system call each. The queue is bounded: when
 * stdout cannot keep up, the request threads wait for it rather than fill the heap.
 */
final class Log {

  private static final BlockingQueue<String> LINES = new LinkedBlockingQueue<>(65_536);

  /** Captured at start: a function calling {@code System.setOut} does not take the log along. */
  private static final PrintStream OUT = System.out;

  static {
    Thread writer = new Thread(Log::writeForever, "kubeless-log");
    writer.setDaemon(true);
    writer.start();
    // Lines still queued at exit (SIGTERM, a failed start) are printed before the JVM goes.
    Runtime.getRuntime().addShutdownHook(new Thread(Log::flush, "kubeless-log-flush"));
  }

  private Log() {}

  /** A message, after the current time. */
  static void log(String message) {
    line(stamped(message));
  }

  /** A message after the current time, as {@link #log} writes it. */
  static String stamped(String message) {
    return Instant.now() + " " + message;
  }

  /** A line as it is. */
  static void line(String line) {
    try {
      LINES.put(line);
    } catch (InterruptedException e) {
      // The function's deadline interrupted this thread; the line still belongs in the log.
      if (!LINES.offer(line)) {
        OUT.println(line);
      }
      Thread.currentThread().interrupt();
    }
  }

  private static void writeForever() {
    List<String> batch = new ArrayList<>();
    while (true) {
      try {
        batch.add(LINES.take());
      } catch (InterruptedException e) {
        continue;
      }
      LINES.drainTo(batch);
      write(batch);
      batch.clear();
    }
  }

  private static void flush() {
    List<String> batch = new ArrayList<>();
    LINES.drainTo(batch);
    write(batch);
  }

  private static void write(List<String> batch) {
    StringBuilder text = new StringBuilder();
    for (String line : batch) {
      text.append(line).append('\n');
    }
    synchronized (OUT) {
      OUT.print(text);
      OUT.flush();
    }
  }
}
