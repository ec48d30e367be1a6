package io.kubeless.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code function top} shows of a runtime's {@code /metrics} (Prometheus text): {@code
 * function_calls_total} and {@code function_failures_total} summed over their {@code method}
 * labels, and p50/p95 estimated from the {@code function_duration_seconds} histogram's buckets
 * (summed over methods) as Prometheus's {@code histogram_quantile} does: linear within a bucket.
 *
 * @param p50 seconds, NaN without calls
 * @param p95 seconds, NaN without calls
 */
record RuntimeMetrics(long calls, long failures, double p50, double p95) {

  private static final Pattern SAMPLE =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([^}]*)\\})?\\s+(\\S+)");
  private static final Pattern LE = Pattern.compile("(?:^|,)\\s*le=\"([^\"]*)\"");

  static RuntimeMetrics parse(String text) {
    double calls = 0;
    double failures = 0;
    Map<Double, Double> buckets = new TreeMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher m = SAMPLE.matcher(line.strip());
      if (!m.find()) {
        continue;
      }
      double value;
      try {
        value = Double.parseDouble(m.group(4));
      } catch (NumberFormatException e) {
        continue;
      }
      switch (m.group(1)) {
        case "function_calls_total" -> calls += value;
        case "function_failures_total" -> failures += value;
        case "function_duration_seconds_bucket" -> {
          Matcher le = LE.matcher(m.group(3) == null ? "" : m.group(3));
          if (le.find()) {
            double bound =
                le.group(1).equals("+Inf")
                    ? Double.POSITIVE_INFINITY
                    : Double.parseDouble(le.group(1));
            buckets.merge(bound, value, Double::sum);
          }
        }
        default -> {
          // other series
        }
      }
    }
    List<double[]> sorted = new ArrayList<>();
    buckets.forEach((bound, count) -> sorted.add(new double[] {bound, count}));
    return new RuntimeMetrics(
        Math.round(calls), Math.round(failures), quantile(0.5, sorted), quantile(0.95, sorted));
  }

  /** {@code histogram_quantile}: cumulative buckets by upper bound, the last one +Inf. */
  static double quantile(double q, List<double[]> buckets) {
    if (buckets.isEmpty()) {
      return Double.NaN;
    }
    double total = buckets.get(buckets.size() - 1)[1];
    if (total <= 0) {
      return Double.NaN;
    }
    double rank = q * total;
    double lower = 0;
    double below = 0;
    for (double[] b : buckets) {
      if (b[1] >= rank) {
        if (Double.isInfinite(b[0])) {
          return lower; // beyond the largest finite bound: that bound
        }
        double inBucket = b[1] - below;
        return inBucket <= 0 ? b[0] : lower + (b[0] - lower) * ((rank - below) / inBucket);
      }
      lower = b[0];
      below = b[1];
    }
    return lower;
  }

  /** A duration for a person: {@code 12.3ms}, {@code 1.25s}, or {@code -} without calls. */
  static String format(double seconds) {
    if (Double.isNaN(seconds)) {
      return "-";
    }
    if (seconds < 1) {
      return String.format(java.util.Locale.ROOT, "%.1fms", seconds * 1000);
    }
    return String.format(java.util.Locale.ROOT, "%.2fs", seconds);
  }
}
