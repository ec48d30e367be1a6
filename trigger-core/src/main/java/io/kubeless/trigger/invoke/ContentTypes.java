package io.kubeless.trigger.invoke;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;

/**
 * The wire contract's content type rule: the source's declared type when it has one; otherwise
 * {@code application/json} for a JSON object or array, {@code text/plain; charset=utf-8} for valid
 * UTF-8, and {@code application/octet-stream} for anything else.
 */
public final class ContentTypes {

  public static final String JSON = "application/json";
  public static final String TEXT = "text/plain; charset=utf-8";
  public static final String BINARY = "application/octet-stream";

  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxStringLength(Integer.MAX_VALUE)
                  .maxNumberLength(Integer.MAX_VALUE)
                  .maxNestingDepth(10_000)
                  .build())
          .build();

  private ContentTypes() {}

  /** The content type of {@code payload}, given what the source declared (may be null). */
  public static String of(String declared, byte[] payload) {
    if (declared != null && !declared.isBlank()) {
      return declared.trim();
    }
    if (looksLikeJsonContainer(payload) && isJson(payload)) {
      return JSON;
    }
    return isUtf8(payload) ? TEXT : BINARY;
  }

  private static boolean looksLikeJsonContainer(byte[] payload) {
    for (byte b : payload) {
      if (b == ' ' || b == '\t' || b == '\r' || b == '\n') {
        continue;
      }
      return b == '{' || b == '[';
    }
    return false;
  }

  /** One complete JSON value and nothing after it but whitespace. */
  private static boolean isJson(byte[] payload) {
    try (JsonParser parser = FACTORY.createParser(payload)) {
      JsonToken first = parser.nextToken();
      if (first != JsonToken.START_OBJECT && first != JsonToken.START_ARRAY) {
        return false;
      }
      parser.skipChildren();
      return parser.nextToken() == null;
    } catch (IOException e) {
      return false;
    }
  }

  /** Whether the bytes are well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF). */
  static boolean isUtf8(byte[] b) {
    int i = 0;
    int n = b.length;
    while (i < n) {
      int c = b[i] & 0xff;
      if (c < 0x80) {
        i++;
        continue;
      }
      int extra;
      int min;
      if (c >= 0xc2 && c <= 0xdf) {
        extra = 1;
        min = 0x80;
      } else if (c >= 0xe0 && c <= 0xef) {
        extra = 2;
        min = 0x800;
      } else if (c >= 0xf0 && c <= 0xf4) {
        extra = 3;
        min = 0x10000;
      } else {
        return false;
      }
      if (i + extra >= n) {
        return false;
      }
      int cp = c & (0x3f >> extra);
      for (int k = 1; k <= extra; k++) {
        int cc = b[i + k] & 0xff;
        if ((cc & 0xc0) != 0x80) {
          return false;
        }
        cp = (cp << 6) | (cc & 0x3f);
      }
      if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return false;
      }
      i += extra + 1;
    }
    return true;
  }
}
