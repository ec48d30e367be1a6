package io.kubeless.trigger.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ContentTypesTest {

  @ParameterizedTest(name = "[{0}] -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"a\": 1}|application/json",
        " [1, 2, {\"b\": null}] |application/json",
        "[]|application/json",
        "{\"a\": 1} trailing|text/plain; charset=utf-8",
        "{not json|text/plain; charset=utf-8",
        "42|text/plain; charset=utf-8",
        "\"a string\"|text/plain; charset=utf-8",
        "héllo wörld ✓|text/plain; charset=utf-8",
        "''|text/plain; charset=utf-8",
      })
  void sniffsJsonContainersThenUtf8Text(String payload, String expected) {
    assertThat(ContentTypes.of(null, payload.getBytes(StandardCharsets.UTF_8))).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "c328, lone continuation",
    "ff, invalid byte",
    "e282, truncated sequence",
    "c0af, overlong slash",
    "eda080, surrogate",
    "f4908080, past U+10FFFF",
  })
  void invalidUtf8IsBinary(String hex, String what) {
    assertThat(ContentTypes.of(null, java.util.HexFormat.of().parseHex(hex)))
        .as(what)
        .isEqualTo("application/octet-stream");
  }

  @ParameterizedTest
  @CsvSource({"text/csv", "application/cloudevents+json"})
  void theSourcesContentTypeWins(String declared) {
    assertThat(ContentTypes.of(declared, "{\"a\":1}".getBytes())).isEqualTo(declared);
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(
      strings = {
        "text/plain\u0000",
        "application/json\nX-Injected: 1",
        "application/json\r",
        "json",
        "text/ plain",
        "text/plain; charset=\u00e9",
        "tëxt/plain",
        " ",
      })
  void aDeclaredTypeThatIsNoValidMediaTypeIsIgnored(String declared) {
    assertThat(ContentTypes.of(declared, "{\"a\":1}".getBytes())).isEqualTo(ContentTypes.JSON);
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(
      strings = {
        "text/plain; charset=utf-8",
        "text/plain;charset=\"utf-8\"",
        "application/vnd.api+json",
        " text/csv\t"
      })
  void wellFormedMediaTypesWithParametersAreKept(String declared) {
    assertThat(ContentTypes.of(declared, new byte[] {1})).isEqualTo(declared.trim());
  }

  @org.junit.jupiter.api.Test
  void fourByteCharactersAreText() {
    assertThat(ContentTypes.of(null, "emoji 😀".getBytes(StandardCharsets.UTF_8)))
        .isEqualTo(ContentTypes.TEXT);
  }
}
