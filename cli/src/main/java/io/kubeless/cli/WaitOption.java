package io.kubeless.cli;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * {@code --wait[=TIMEOUT]} of {@code function deploy} and {@code function update}: off unless given
 * (Kubeless had no such flag, so scripts keep their behaviour), 2 minutes when given alone.
 */
final class WaitOption {

  private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");

  @Option(
      names = "--wait",
      arity = "0..1",
      fallbackValue = "2m",
      paramLabel = "TIMEOUT",
      description =
          "Wait until the function is ready, printing its progress on stderr; exit 1 with the"
              + " last reason when it fails or is not ready within TIMEOUT (e.g. 90s, 5m, 1m30s;"
              + " default: ${FALLBACK-VALUE})")
  String wait;

  /** How long to wait, or empty when {@code --wait} was not given. */
  Optional<Duration> timeout(CommandSpec spec) {
    if (wait == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(parse(wait));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "Invalid value for --wait \"%s\": %s".formatted(wait, e.getMessage()));
    }
  }

  /** {@code 90}, {@code 90s}, {@code 5m}, {@code 1m30s}, {@code 500ms}, {@code 1h}, {@code 7d}. */
  static Duration parse(String value) {
    String v = value.strip();
    if (v.matches("\\d+")) {
      return Duration.ofSeconds(Long.parseLong(v));
    }
    Matcher m = PART.matcher(v);
    Duration total = Duration.ZERO;
    int end = 0;
    while (m.lookingAt()) {
      long n = Long.parseLong(m.group(1));
      total =
          total.plus(
              switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
              });
      end = m.end();
      m.region(end, v.length());
    }
    if (end == 0 || end != v.length() || total.isZero()) {
      throw new IllegalArgumentException("expected a duration such as 90s, 5m, 1m30s or 7d");
    }
    return total;
  }
}
