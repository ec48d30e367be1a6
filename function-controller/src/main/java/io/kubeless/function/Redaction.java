package io.kubeless.function;

import io.kubeless.api.v1beta1.Function;
import java.util.stream.Stream;

/**
 * Keeps a Function's code and dependencies out of what the controller writes about it (status
 * messages, Events, logs): they may hold credentials, and whoever may read Events or logs need not
 * be allowed to read the Function. Messages are built without them in the first place; this is the
 * safety net for messages the controller does not write itself (API errors).
 */
final class Redaction {

  /** Lines shorter than this (after trimming) are too common to be worth hiding. */
  private static final int MIN_LINE = 8;

  static final String REDACTED = "<redacted>";

  private Redaction() {}

  /** The message with every line of the Function's code or dependencies replaced. */
  static String scrub(String message, Function function) {
    if (message == null || function.getSpec() == null) {
      return message;
    }
    String result = message;
    for (String line :
        Stream.of(function.getSpec().getFunction(), function.getSpec().getDeps())
            .filter(s -> s != null && !s.isBlank())
            .flatMap(String::lines)
            .map(String::trim)
            .filter(l -> l.length() >= MIN_LINE)
            .distinct()
            .toList()) {
      if (result.contains(line)) {
        result = result.replace(line, REDACTED);
      }
    }
    return result;
  }
}
