package io.kubeless.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class RuntimeMetricsTest {

  @Test
  void sumsMethodsAndEstimatesQuantilesFromTheHistogram() {
    String text =
        """
        # HELP function_calls_total Number of calls to user function
        # TYPE function_calls_total counter
        function_calls_total{method="GET"} 4
        function_calls_total{method="POST"} 6
        # TYPE function_failures_total counter
        function_failures_total{method="POST"} 1
        # TYPE function_duration_seconds histogram
        function_duration_seconds_bucket{method="GET",le="0.01"} 4
        function_duration_seconds_bucket{method="GET",le="0.1"} 4
        function_duration_seconds_bucket{method="GET",le="+Inf"} 4
        function_duration_seconds_sum{method="GET"} 0.02
        function_duration_seconds_count{method="GET"} 4
        function_duration_seconds_bucket{method="POST",le="0.01"} 0
        function_duration_seconds_bucket{method="POST",le="0.1"} 4
        function_duration_seconds_bucket{method="POST",le="+Inf"} 6
        function_duration_seconds_sum{method="POST"} 3.5
        function_duration_seconds_count{method="POST"} 6
        """;
    RuntimeMetrics m = RuntimeMetrics.parse(text);
    assertThat(m.calls()).isEqualTo(10);
    assertThat(m.failures()).isEqualTo(1);
    // cumulative: <=0.01: 4, <=0.1: 8, +Inf: 10; rank 5 is in (0.01, 0.1]: 0.01 + 0.09 * 1/4
    assertThat(m.p50()).isCloseTo(0.0325, within(1e-9));
    // rank 9.5 is in the +Inf bucket: the largest finite bound
    assertThat(m.p95()).isEqualTo(0.1);
    assertThat(RuntimeMetrics.format(m.p50())).isEqualTo("32.5ms");
    assertThat(RuntimeMetrics.format(2.5)).isEqualTo("2.50s");
  }

  @Test
  void noCallsNoQuantiles() {
    RuntimeMetrics m =
        RuntimeMetrics.parse("# TYPE function_calls_total counter\nfunction_calls_total 0\n");
    assertThat(m.calls()).isZero();
    assertThat(RuntimeMetrics.format(m.p50())).isEqualTo("-");
  }
}
