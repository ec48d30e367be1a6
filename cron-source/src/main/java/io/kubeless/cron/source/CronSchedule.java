package io.kubeless.cron.source;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A CronJobTrigger's schedule, as Kubernetes CronJobs read it: five fields ({@code minute hour
 * day-of-month month day-of-week}), a macro ({@code @hourly}, {@code @daily}, ...) or {@code @every
 * <duration>} ({@code @every 1s}, {@code @every 1m30s}), in a time zone.
 *
 * <p>Ticks of {@code @every} are multiples of the period since the epoch, so that every replica
 * computes the same ticks (and the same event ids) and a failover gap is a count of them. Values
 * compare by the schedule as written and the zone.
 */
public final class CronSchedule {

  /** Kubernetes' macros, as robfig/cron (which CronJobs use) expands them. */
  private static final Map<String, String> MACROS =
      Map.of(
          "@yearly", "0 0 1 1 *",
          "@annually", "0 0 1 1 *",
          "@monthly", "0 0 1 * *",
          "@weekly", "0 0 * * 0",
          "@daily", "0 0 * * *",
          "@midnight", "0 0 * * *",
          "@hourly", "0 * * * *");

  private static final CronParser UNIX =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  private static final Pattern EVERY = Pattern.compile("@every\\s+(\\S+)");
  private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|h|m|s)");

  private final String expression;
  private final ZoneId zone;
  private final Duration every;
  private final ExecutionTime cron;

  private CronSchedule(String expression, ZoneId zone, Duration every, ExecutionTime cron) {
    this.expression = expression;
    this.zone = zone;
    this.every = every;
    this.cron = cron;
  }

  /**
   * Parses a schedule.
   *
   * @param schedule as written in {@code spec.schedule}
   * @param timeZone an IANA zone ({@code Europe/Paris}), or null/blank for UTC
   * @throws IllegalArgumentException saying what is wrong, naming the field
   */
  public static CronSchedule parse(String schedule, String timeZone) {
    ZoneId zone = zone(timeZone);
    if (schedule == null || schedule.isBlank()) {
      throw new IllegalArgumentException(
          "spec.schedule is empty; write five cron fields (e.g. */5 * * * *), a macro such as"
              + " @hourly, or @every <duration>");
    }
    String written = schedule.trim();
    Matcher every = EVERY.matcher(written);
    if (every.matches()) {
      return new CronSchedule(written, zone, period(every.group(1), written), null);
    }
    if (written.startsWith("@every")) {
      throw new IllegalArgumentException(
          "spec.schedule '" + written + "': @every needs a duration, e.g. @every 30s");
    }
    String fields = written;
    if (written.startsWith("@")) {
      fields = MACROS.get(written.toLowerCase(Locale.ROOT));
      if (fields == null) {
        throw new IllegalArgumentException(
            "spec.schedule '"
                + written
                + "' is not a known macro; use @yearly, @annually, @monthly, @weekly, @daily,"
                + " @midnight, @hourly or @every <duration>");
      }
    }
    int count = fields.split("\\s+").length;
    if (count != 5) {
      throw new IllegalArgumentException(
          "spec.schedule '"
              + written
              + "' has "
              + count
              + " field(s); a cron schedule has five: minute hour day-of-month month"
              + " day-of-week");
    }
    Cron cron;
    try {
      cron = UNIX.parse(fields);
      cron.validate();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "spec.schedule '" + written + "' is not a valid cron schedule: " + e.getMessage());
    }
    return new CronSchedule(written, zone, null, ExecutionTime.forCron(cron));
  }

  private static ZoneId zone(String timeZone) {
    if (timeZone == null || timeZone.isBlank()) {
      return ZoneOffset.UTC;
    }
    try {
      return ZoneId.of(timeZone.trim());
    } catch (DateTimeException e) {
      throw new IllegalArgumentException(
          "spec.timeZone '" + timeZone + "' is not an IANA time zone, e.g. Europe/Paris or UTC");
    }
  }

  /** A Go duration as robfig/cron's {@code @every} takes it: {@code 1h30m}, {@code 1s}, ... */
  private static Duration period(String text, String written) {
    Matcher part = DURATION_PART.matcher(text);
    Duration total = Duration.ZERO;
    int end = 0;
    while (part.find() && part.start() == end) {
      double value = Double.parseDouble(part.group(1));
      long millis =
          switch (part.group(2)) {
            case "h" -> Math.round(value * 3_600_000);
            case "m" -> Math.round(value * 60_000);
            case "s" -> Math.round(value * 1_000);
            default -> Math.round(value);
          };
      total = total.plusMillis(millis);
      end = part.end();
    }
    if (end != text.length() || end == 0) {
      throw new IllegalArgumentException(
          "spec.schedule '"
              + written
              + "': '"
              + text
              + "' is not a duration; write e.g. 30s, 5m, 1h30m");
    }
    if (total.toMillis() < 1000 || total.toMillis() % 1000 != 0) {
      throw new IllegalArgumentException(
          "spec.schedule '"
              + written
              + "': the period must be a whole number of seconds, at least 1s (ticks are"
              + " identified by their second)");
    }
    return total;
  }

  /** The first tick strictly after {@code after}, or null when there is none (e.g. 30 Feb). */
  public Instant next(Instant after) {
    if (every != null) {
      long period = every.toMillis();
      long at = Math.floorDiv(after.toEpochMilli(), period) * period + period;
      return Instant.ofEpochMilli(at);
    }
    // cron-utils works at second precision: a tick at exactly 'after' must not come again
    ZonedDateTime from = after.atZone(zone);
    return cron.nextExecution(from).map(ZonedDateTime::toInstant).orElse(null);
  }

  /**
   * How many ticks fall strictly between {@code from} and {@code to}; at most {@code limit} are
   * counted one by one (the gap of a long outage is bounded, not enumerated).
   */
  public long ticksBetween(Instant from, Instant to, long limit) {
    if (!from.isBefore(to)) {
      return 0;
    }
    if (every != null) {
      long period = every.toMillis();
      long first = Math.floorDiv(from.toEpochMilli(), period) + 1;
      long last = Math.floorDiv(to.toEpochMilli() - 1, period);
      return Math.max(0, last - first + 1);
    }
    long count = 0;
    Instant tick = next(from);
    while (tick != null && tick.isBefore(to) && count < limit) {
      count++;
      tick = next(tick);
    }
    return count;
  }

  /** The schedule as written. */
  public String expression() {
    return expression;
  }

  public ZoneId zone() {
    return zone;
  }

  /** For a person: {@code schedule 0 9 * * 1-5 (Europe/Paris)}. */
  public String describe() {
    return "schedule " + expression + (zone.equals(ZoneOffset.UTC) ? "" : " (" + zone + ")");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CronSchedule that
        && expression.equals(that.expression)
        && zone.equals(that.zone);
  }

  @Override
  public int hashCode() {
    return Objects.hash(expression, zone);
  }

  @Override
  public String toString() {
    return describe();
  }
}
