package io.kubeless.trigger.function;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Kubernetes label selector semantics, for directories that match selectors in memory. */
public final class LabelSelectors {

  private LabelSelectors() {}

  /**
   * Checks a selector the way the API server would before using it.
   *
   * @throws IllegalArgumentException with a message a person can act on
   */
  public static void validate(LabelSelector selector) {
    if (selector == null) {
      throw new IllegalArgumentException("functionSelector is required");
    }
    for (LabelSelectorRequirement r : requirements(selector)) {
      if (r.getKey() == null || r.getKey().isBlank()) {
        throw new IllegalArgumentException("a matchExpressions entry has no key");
      }
      String op = Objects.requireNonNullElse(r.getOperator(), "");
      List<String> values = Objects.requireNonNullElse(r.getValues(), List.of());
      switch (op) {
        case "In", "NotIn" -> {
          if (values.isEmpty()) {
            throw new IllegalArgumentException(
                "matchExpressions " + r.getKey() + " " + op + " needs at least one value");
          }
        }
        case "Exists", "DoesNotExist" -> {
          if (!values.isEmpty()) {
            throw new IllegalArgumentException(
                "matchExpressions " + r.getKey() + " " + op + " takes no values");
          }
        }
        default ->
            throw new IllegalArgumentException(
                "matchExpressions "
                    + r.getKey()
                    + " has operator '"
                    + op
                    + "'; use In, NotIn, Exists or DoesNotExist");
      }
    }
  }

  /** Whether {@code labels} satisfy every term of a valid {@code selector}. */
  public static boolean matches(LabelSelector selector, Map<String, String> labels) {
    Map<String, String> actual = labels == null ? Map.of() : labels;
    Map<String, String> wanted =
        selector.getMatchLabels() == null ? Map.of() : selector.getMatchLabels();
    for (var entry : wanted.entrySet()) {
      if (!entry.getValue().equals(actual.get(entry.getKey()))) {
        return false;
      }
    }
    for (LabelSelectorRequirement r : requirements(selector)) {
      String value = actual.get(r.getKey());
      List<String> values = Objects.requireNonNullElse(r.getValues(), List.of());
      boolean ok =
          switch (r.getOperator()) {
            case "In" -> value != null && values.contains(value);
            case "NotIn" -> value == null || !values.contains(value);
            case "Exists" -> actual.containsKey(r.getKey());
            case "DoesNotExist" -> !actual.containsKey(r.getKey());
            default -> false;
          };
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** {@code app=hello,tier in (a,b)}: a selector as kubectl writes it, for messages. */
  public static String describe(LabelSelector selector) {
    if (selector == null) {
      return "<none>";
    }
    StringBuilder out = new StringBuilder();
    if (selector.getMatchLabels() != null) {
      selector.getMatchLabels().entrySet().stream()
          .sorted(Map.Entry.comparingByKey())
          .forEach(e -> append(out, e.getKey() + "=" + e.getValue()));
    }
    for (LabelSelectorRequirement r : requirements(selector)) {
      List<String> values = Objects.requireNonNullElse(r.getValues(), List.of());
      switch (Objects.requireNonNullElse(r.getOperator(), "")) {
        case "Exists" -> append(out, r.getKey());
        case "DoesNotExist" -> append(out, "!" + r.getKey());
        default ->
            append(
                out,
                r.getKey()
                    + " "
                    + r.getOperator().toLowerCase(java.util.Locale.ROOT)
                    + " ("
                    + String.join(",", values)
                    + ")");
      }
    }
    return out.isEmpty() ? "<everything>" : out.toString();
  }

  private static void append(StringBuilder out, String term) {
    if (!out.isEmpty()) {
      out.append(',');
    }
    out.append(term);
  }

  private static List<LabelSelectorRequirement> requirements(LabelSelector selector) {
    return selector.getMatchExpressions() == null ? List.of() : selector.getMatchExpressions();
  }
}
