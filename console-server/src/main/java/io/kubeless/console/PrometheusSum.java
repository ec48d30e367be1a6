package io.kubeless.console;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Prometheus text of several replicas of one runtime as one: each series (name and labels) is
 * the sum of its values, in the order first seen, with its {@code # HELP} and {@code # TYPE} lines
 * once. A counter or a histogram bucket of the function is then the function's, whatever its
 * replicas.
 */
final class PrometheusSum {

  private PrometheusSum() {}

  static String sum(List<String> scrapes) {
    Set<String> comments = new LinkedHashSet<>();
    Map<String, Double> series = new LinkedHashMap<>();
    Map<String, String> commentBefore = new LinkedHashMap<>();
    String pendingComments = "";
    for (String scrape : scrapes) {
      for (String line : scrape.split("\n")) {
        if (line.isBlank()) {
          continue;
        }
        if (line.startsWith("#")) {
          if (comments.add(line)) {
            pendingComments += line + "\n";
          }
          continue;
        }
        int space = seriesEnd(line);
        if (space < 0) {
          continue;
        }
        String key = line.substring(0, space);
        String[] rest = line.substring(space + 1).trim().split("\\s+");
        double value = parse(rest[0]);
        if (!series.containsKey(key)) {
          commentBefore.put(key, pendingComments);
          pendingComments = "";
        }
        series.merge(key, value, Double::sum);
      }
    }
    StringBuilder out = new StringBuilder();
    series.forEach(
        (key, value) ->
            out.append(commentBefore.get(key))
                .append(key)
                .append(' ')
                .append(format(value))
                .append('\n'));
    out.append(pendingComments);
    return out.toString();
  }

  /** The end of the series' name and labels (label values may hold spaces). */
  private static int seriesEnd(String line) {
    int brace = line.indexOf('{');
    int space = line.indexOf(' ');
    if (brace >= 0 && (space < 0 || brace < space)) {
      boolean quoted = false;
      for (int i = brace; i < line.length(); i++) {
        char c = line.charAt(i);
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          quoted = !quoted;
        } else if (c == '}' && !quoted) {
          return i + 1 < line.length() ? i + 1 : -1;
        }
      }
      return -1;
    }
    return space;
  }

  private static double parse(String v) {
    return switch (v) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      case "NaN" -> Double.NaN;
      default -> {
        try {
          yield Double.parseDouble(v);
        } catch (NumberFormatException e) {
          yield Double.NaN;
        }
      }
    };
  }

  private static String format(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    return BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
  }
}
