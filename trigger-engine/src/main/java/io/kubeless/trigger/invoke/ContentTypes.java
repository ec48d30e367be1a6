package io.kubeless.trigger.invoke;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.util.regex.Pattern;

/**
 * The wire contract's content type rule: the source's declared type when it has one and it is a
 * plausible media type ({@code type/subtype}, optional parameters, printable ASCII only, so it is
 * always a valid header value); otherwise {@code application/json} for a JSON object or array,
 * {@code text/plain; charset=utf-8} for valid UTF-8, and {@code application/octet-stream} for
 * anything else.
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

  /** {@code type/subtype} as RFC 9110 tokens, then parameters of printable ASCII (or tabs). */
  private static final Pattern MEDIA_TYPE =
      Pattern.compile(
          "[!#$%&'*+.^_`|~0-9A-Za-z-]+/[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:[ \\t]*;[\\x20-\\x7e\\t]*)?");

  private ContentTypes() {}

  /**
   * The content type of {@code payload}, given what the source declared (may be null). A declared
   * type that is not a plausible media type (control characters, line breaks, no {@code /}) is
   * ignored and the payload sniffed instead: it could not be sent as a header.
   */
  public static String of(String declared, byte[] payload) {
    String type = declared == null ? null : trimWhitespace(declared);
    if (type != null && isMediaType(type)) {
      return type;
    }
    if (looksLikeJsonContainer(payload) && isJson(payload)) {
      return JSON;
    }
    return isUtf8(payload) ? TEXT : BINARY;
  }

  /** Without leading and trailing spaces and tabs (only those: a control character stays). */
  private static String trimWhitespace(String value) {
    int from = 0;
    int to = value.length();
    while (from < to && (value.charAt(from) == ' ' || value.charAt(from) == '\t')) {
      from++;
    }
    while (to > from && (value.charAt(to - 1) == ' ' || value.charAt(to - 1) == '\t')) {
      to--;
    }
    return value.substring(from, to);
  }

  /** Whether {@code value} is a media type that can be sent as it is as a header value. */
  static boolean isMediaType(String value) {
    return value.length() <= 1024 && MEDIA_TYPE.matcher(value).matches();
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
