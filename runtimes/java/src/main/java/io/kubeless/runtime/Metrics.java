package io.kubeless.runtime;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/** Prometheus counters and histogram of the function's calls, labelled by HTTP method. */
final class Metrics {

  private static final double[] BUCKETS = {
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10
  };

  private final Map<String, PerMethod> byMethod = new ConcurrentHashMap<>();

  void observe(String method, double seconds, boolean failed) {
    PerMethod m = byMethod.computeIfAbsent(method, k -> new PerMethod());
    m.calls.increment();
    if (failed) {
      m.failures.increment();
    }
    // Only the first bucket that fits counts here; render() makes them cumulative.
    for (int i = 0; i < BUCKETS.length; i++) {
      if (seconds <= BUCKETS[i]) {
        m.buckets[i].increment();
        break;
      }
    }
    m.sum.add(seconds);
  }

  String render() {
    StringBuilder out = new StringBuilder();
    out.append("# HELP function_calls_total Number of calls to user function\n")
        .append("# TYPE function_calls_total counter\n");
    byMethod.forEach((method, m) -> line(out, "function_calls_total", method, m.calls.sum()));
    out.append("# HELP function_failures_total Number of exceptions in user function\n")
        .append("# TYPE function_failures_total counter\n");
    byMethod.forEach((method, m) -> line(out, "function_failures_total", method, m.failures.sum()));
    out.append("# HELP function_duration_seconds Duration of user function in seconds\n")
        .append("# TYPE function_duration_seconds histogram\n");
    byMethod.forEach(
        (method, m) -> {
          long calls = m.calls.sum();
          long cumulative = 0;
          for (int i = 0; i < BUCKETS.length; i++) {
            cumulative += m.buckets[i].sum();
            out.append("function_duration_seconds_bucket{method=\"")
                .append(method)
                .append("\",le=\"")
                .append(BUCKETS[i])
                .append("\"} ")
                .append(cumulative)
                .append('\n');
          }
          out.append("function_duration_seconds_bucket{method=\"")
              .append(method)
              .append("\",le=\"+Inf\"} ")
              .append(calls)
              .append('\n');
          out.append("function_duration_seconds_sum{method=\"")
              .append(method)
              .append("\"} ")
              .append(m.sum.sum())
              .append('\n');
          line(out, "function_duration_seconds_count", method, calls);
        });
    return out.toString();
  }

  private static void line(StringBuilder out, String name, String method, long value) {
    out.append(name).append("{method=\"").append(method).append("\"} ").append(value).append('\n');
  }

  private static final class PerMethod {
    final LongAdder calls = new LongAdder();
    final LongAdder failures = new LongAdder();
    final LongAdder[] buckets = new LongAdder[BUCKETS.length];
    final DoubleAdder sum = new DoubleAdder();

    PerMethod() {
      for (int i = 0; i < buckets.length; i++) {
        buckets[i] = new LongAdder();
      }
    }
  }
}
