package io.kubeless.runtime;

import com.sun.net.httpserver.HttpExchange;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.Locale;
import java.util.Map;

/**
 * One line per invocation in the Common Log Format followed by the duration in seconds, as the
 * other runtimes write it: {@code 10.1.2.3 - - [02/Dec/2026:16:05:01 +0000] "POST /orders/7?full=1
 * HTTP/1.1" 200 4 0.0031}.
 */
final class AccessLog {

  private static final DateTimeFormatter TIME =
      new DateTimeFormatterBuilder()
          .appendPattern("dd/")
          .appendText(ChronoField.MONTH_OF_YEAR, monthAbbreviations())
          .appendPattern("/yyyy:HH:mm:ss '+0000'")
          .toFormatter(Locale.ROOT)
          .withZone(ZoneOffset.UTC);

  /** The formatted current second, reused until the second changes. */
  private static volatile Stamp stamp = new Stamp(-1, "");

  private AccessLog() {}

  static void log(HttpExchange exchange, int status, long bytes, long startedNanos) {
    log(exchange, status, bytes, startedNanos, "");
  }

  /** The access line, after {@code before} (whole lines, each ending in a newline). */
  static void log(HttpExchange exchange, int status, long bytes, long startedNanos, String before) {
    long micros = (System.nanoTime() - startedNanos) / 1_000;
    InetSocketAddress remote = exchange.getRemoteAddress();
    URI uri = exchange.getRequestURI();
    StringBuilder line = new StringBuilder(before.length() + 128);
    line.append(before)
        .append(remote == null ? "-" : remote.getAddress().getHostAddress())
        .append(" - - [")
        .append(now())
        .append("] \"")
        .append(exchange.getRequestMethod())
        .append(' ')
        .append(uri.getRawPath());
    if (uri.getRawQuery() != null) {
      line.append('?').append(uri.getRawQuery());
    }
    line.append(' ')
        .append(exchange.getProtocol())
        .append("\" ")
        .append(status)
        .append(' ')
        .append(bytes)
        .append(' ');
    // seconds with four decimals, without String.format's cost
    long tenths = (micros + 50) / 100;
    String fraction = Long.toString(tenths % 10_000);
    line.append(tenths / 10_000).append('.').append("0000", fraction.length(), 4).append(fraction);
    Log.line(line.toString());
  }

  private static String now() {
    long second = System.currentTimeMillis() / 1000;
    Stamp current = stamp;
    if (current.second != second) {
      current = new Stamp(second, TIME.format(java.time.Instant.ofEpochSecond(second)));
      stamp = current;
    }
    return current.text;
  }

  /** English month abbreviations, whatever the JVM's locale data says for {@code Locale.ROOT}. */
  private static Map<Long, String> monthAbbreviations() {
    String[] names = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
    };
    Map<Long, String> months = new java.util.HashMap<>();
    for (int i = 0; i < names.length; i++) {
      months.put(i + 1L, names[i]);
    }
    return months;
  }

  private record Stamp(long second, String text) {}
}
