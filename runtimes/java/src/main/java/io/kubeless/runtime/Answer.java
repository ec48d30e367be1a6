package io.kubeless.runtime;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The 200 answer made of what the handler returned, whatever its declared type: a {@code String}
 * (any {@code CharSequence}) as text, {@code byte[]} or a {@code ByteBuffer} as bytes, {@code null}
 * (or a {@code void} handler) as an empty body, anything else JSON-encoded (see {@link Json}).
 * Kubeless's Java runtime cast the result to {@code String}, so everything but a string failed
 * there with a 500.
 *
 * @param type the {@code Content-Type}
 * @param body the body
 * @param text what the log shows of it, or null for bytes
 */
record Answer(String type, byte[] body, String text) {

  static final String TEXT = "text/plain; charset=utf-8";
  static final String BYTES = "application/octet-stream";
  static final String JSON = "application/json";

  static Answer of(Object result) {
    return switch (result) {
      case null -> new Answer(TEXT, new byte[0], "");
      case CharSequence s -> text(TEXT, s.toString());
      case byte[] bytes -> new Answer(BYTES, bytes, null);
      case ByteBuffer buffer -> {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        yield new Answer(BYTES, bytes, null);
      }
      default -> text(JSON, Json.encode(result));
    };
  }

  private static Answer text(String type, String text) {
    return new Answer(type, text.getBytes(StandardCharsets.UTF_8), text);
  }
}
