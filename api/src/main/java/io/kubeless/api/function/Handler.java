package io.kubeless.api.function;

import java.util.regex.Pattern;

/**
 * A handler, {@code <module>.<function>}: the code file's base name and the function it exports.
 */
public record Handler(String module, String function) {

  private static final Pattern FORMAT =
      Pattern.compile("([A-Za-z0-9_][A-Za-z0-9_-]*)\\.([A-Za-z_$][A-Za-z0-9_$]*)");

  /** Parses a handler, failing with reason {@code InvalidHandler}. */
  public static Handler parse(String handler) throws InvalidFunctionException {
    var m = handler == null ? null : FORMAT.matcher(handler.trim());
    if (m == null || !m.matches()) {
      throw new InvalidFunctionException(
          "InvalidHandler",
          "spec.handler '"
              + (handler == null ? "" : handler)
              + "' must be <module>.<function>, e.g. 'hello.handler' for function handler in"
              + " hello.py");
    }
    return new Handler(m.group(1), m.group(2));
  }

  @Override
  public String toString() {
    return module + "." + function;
  }
}
