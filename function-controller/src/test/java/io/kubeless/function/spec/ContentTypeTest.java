package io.kubeless.function.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeless.api.function.InvalidFunctionException;
import io.kubeless.function.spec.ContentType.Archive;
import io.kubeless.function.spec.ContentType.Encoding;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ContentTypeTest {

  @ParameterizedTest
  @CsvSource({
    "'', TEXT, NONE, false",
    "text, TEXT, NONE, false",
    "base64, BASE64, NONE, false",
    "url, URL, NONE, false",
    "base64+zip, BASE64, ZIP, false",
    "base64+compressedtar, BASE64, TAR, false",
    "url+zip, URL, ZIP, false",
    "url+compressedtar+deps, URL, TAR, true",
    "base64+zip+deps, BASE64, ZIP, true",
  })
  void parsesKubelessContentTypes(String raw, Encoding encoding, Archive archive, boolean deps)
      throws InvalidFunctionException {
    assertThat(ContentType.parse(raw)).isEqualTo(new ContentType(encoding, archive, deps));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "binary",
        "zip",
        "base64+rar",
        "base64+zip+compressedtar",
        "text+deps",
        "url+zip+zip"
      })
  void rejectsUnknownContentTypes(String raw) {
    assertThatThrownBy(() -> ContentType.parse(raw))
        .isInstanceOf(InvalidFunctionException.class)
        .extracting(e -> ((InvalidFunctionException) e).reason())
        .isEqualTo("UnknownContentType");
  }
}
