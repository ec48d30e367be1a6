package io.kubeless.local;

import java.io.PrintStream;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * The log of this JVM as one stream of lines prefixed by what logged them: {@code [kafka] } (the
 * Kafka clients, the embedded broker, the Kafka source), {@code [nats] }, {@code [kinesis] },
 * {@code [http] } (the built-in gateway), {@code [cron] }, and {@code [engine] } for the trigger
 * engine every kind shares; beside the functions' {@code [<function>] } lines.
 */
final class LocalLog {

  /** Strong references: java.util.logging forgets the level of a logger nobody holds. */
  private static final List<Logger> QUIET =
      List.of(
          Logger.getLogger("org.apache.kafka"),
          Logger.getLogger("kafka"),
          Logger.getLogger("state.change.logger"),
          Logger.getLogger("io.vertx"),
          Logger.getLogger("io.netty"));

  private static Handler handler;

  private LocalLog() {}

  /** The prefix of a logger's lines. */
  static String prefix(String logger) {
    if (logger.startsWith("io.kubeless.nats.") || logger.startsWith("io.nats.")) {
      return "[nats] ";
    }
    if (logger.startsWith("io.kubeless.kinesis.") || logger.startsWith("software.amazon.")) {
      return "[kinesis] ";
    }
    if (logger.startsWith("io.kubeless.http.")) {
      return "[http] ";
    }
    if (logger.startsWith("io.kubeless.cron.")) {
      return "[cron] ";
    }
    if (logger.startsWith("io.kubeless.trigger.")) {
      return "[engine] ";
    }
    if (logger.startsWith("io.kubeless.local.")) {
      return "[local] ";
    }
    return "[kafka] ";
  }

  /** Sends every log record of this JVM to {@code out}, once. */
  static synchronized void install(PrintStream out) {
    // the engine logs through JBoss Logging: onto java.util.logging, whatever else is present
    if (System.getProperty("org.jboss.logging.provider") == null) {
      System.setProperty("org.jboss.logging.provider", "jdk");
    }
    QUIET.forEach(l -> l.setLevel(Level.WARNING));
    if (handler != null) {
      return;
    }
    Logger root = Logger.getLogger("");
    for (Handler h : root.getHandlers()) {
      root.removeHandler(h);
    }
    SimpleFormatter format = new SimpleFormatter();
    handler =
        new Handler() {
          @Override
          public void publish(LogRecord r) {
            if (!isLoggable(r)) {
              return;
            }
            String name = r.getLoggerName() == null ? "" : r.getLoggerName();
            int dot = name.lastIndexOf('.');
            StringBuilder line =
                new StringBuilder(prefix(name))
                    .append(r.getLevel().getName())
                    .append(' ')
                    .append(dot < 0 ? name : name.substring(dot + 1))
                    .append(": ")
                    .append(format.formatMessage(r));
            if (r.getThrown() != null) {
              line.append(": ").append(r.getThrown());
            }
            out.println(line);
          }

          @Override
          public void flush() {
            out.flush();
          }

          @Override
          public void close() {}
        };
    handler.setLevel(Level.INFO);
    root.addHandler(handler);
    if (root.getLevel() == null || root.getLevel().intValue() > Level.INFO.intValue()) {
      root.setLevel(Level.INFO);
    }
  }
}
