package io.kubeless.trigger.engine;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.kubeless.trigger.function.FunctionDirectory;
import io.kubeless.trigger.function.FunctionEndpoint;
import io.kubeless.trigger.function.LabelSelectors;
import java.util.List;

/**
 * The functions a trigger binds, in its namespace: those matching a label selector (Kafka, NATS) or
 * one by name (HTTP, cron, Kinesis).
 *
 * @param selector the label selector, or null when a name is given
 * @param name the function's name, or null when a selector is given
 */
public record FunctionSelection(LabelSelector selector, String name) {

  public static FunctionSelection matching(LabelSelector selector) {
    return new FunctionSelection(selector, null);
  }

  public static FunctionSelection named(String name) {
    return new FunctionSelection(null, name);
  }

  /** The functions of {@code namespace} selected now, ordered by name. */
  public List<FunctionEndpoint> select(FunctionDirectory directory, String namespace) {
    if (name != null) {
      return directory.find(namespace, name).stream().toList();
    }
    return directory.select(namespace, selector);
  }

  /** Whether {@code function} (of the trigger's namespace) is selected. */
  public boolean matches(FunctionEndpoint function) {
    return matches(function.name(), function.labels());
  }

  /** Whether the function {@code function} (of the trigger's namespace) with those labels is. */
  public boolean matches(String function, java.util.Map<String, String> labels) {
    return name != null ? name.equals(function) : LabelSelectors.matches(selector, labels);
  }

  /** For a person: {@code functions matching app=x} or {@code function hello}. */
  public String describe() {
    return name != null
        ? "function " + name
        : "functions matching " + LabelSelectors.describe(selector);
  }
}
