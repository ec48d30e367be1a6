package io.kubeless.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class FunctionCallTest {

  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-02T03:04:05.678Z"), ZoneOffset.UTC);

  @Test
  void withoutDataItIsAGetWithKubelessEventHeaders() {
    FunctionCall call =
        FunctionCall.of("ns", "hello", "http-function-port", null, null, List.of(), CLOCK);

    assertThat(call.method()).isEqualTo("GET");
    assertThat(call.path())
        .isEqualTo("api/v1/namespaces/ns/services/hello:http-function-port/proxy/");
    assertThat(call.headers())
        .containsEntry("event-namespace", "cli.kubeless.io")
        .containsEntry("event-time", "2026-01-02T03:04:05Z")
        .doesNotContainKey("Content-Type");
    assertThat(call.headers().get("event-id")).hasSize(11);
    assertThat(call.body()).isNull();
  }

  @Test
  void jsonDataIsPostedAsJson() {
    FunctionCall call =
        FunctionCall.of("ns", "hello", "8080", bytes("{\"a\":1}"), null, List.of(), CLOCK);

    assertThat(call.method()).isEqualTo("POST");
    assertThat(call.contentType()).isEqualTo("application/json");
    assertThat(call.headers()).containsEntry("event-type", "application/json");
  }

  @Test
  void otherDataIsPostedAsAForm() {
    FunctionCall call =
        FunctionCall.of("ns", "hello", "8080", bytes("hello world"), null, List.of(), CLOCK);

    assertThat(call.contentType()).isEqualTo("application/x-www-form-urlencoded");
    assertThat(new String(call.body(), StandardCharsets.UTF_8)).isEqualTo("hello world");
  }

  @Test
  void methodAndHeadersCanBeOverridden() {
    FunctionCall call =
        FunctionCall.of(
            "ns",
            "hello",
            "8080",
            bytes("x"),
            "put",
            List.of("content-type: text/plain", "X-Trace: abc"),
            CLOCK);

    assertThat(call.method()).isEqualTo("PUT");
    assertThat(call.contentType()).isEqualTo("text/plain");
    assertThat(call.headers()).containsEntry("X-Trace", "abc").doesNotContainKey("Content-Type");
  }

  @Test
  void malformedHeaderIsRejected() {
    assertThatThrownBy(
            () -> FunctionCall.of("ns", "f", "8080", null, null, List.of("nocolon"), CLOCK))
        .hasMessageContaining("invalid header \"nocolon\"");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
