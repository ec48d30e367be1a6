package io.kubeless.function.spec;

import com.fasterxml.jackson.databind.JsonMappingException;
import java.util.stream.Collectors;

/**
 * Describes why part of a spec did not parse by the field's path, never by its value: Jackson's
 * messages quote the offending value, and a Function's values (env, code) may be credentials.
 */
final class ParseErrors {

  private ParseErrors() {}

  /**
   * @param field the parsed part of the spec, e.g. {@code spec.deployment}
   * @return e.g. {@code spec.deployment.spec.replicas has a value of the wrong type or format}
   */
  static String describe(String field, Exception e) {
    if (e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
      String path =
          mapping.getPath().stream()
              .map(
                  r -> r.getFieldName() != null ? "." + r.getFieldName() : "[" + r.getIndex() + "]")
              .collect(Collectors.joining());
      return field + path + " has a value of the wrong type or format";
    }
    return field + " does not parse";
  }
}
