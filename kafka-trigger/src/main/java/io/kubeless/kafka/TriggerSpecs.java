package io.kubeless.kafka;

import io.kubeless.api.v1beta1.KafkaTriggerSpec;
import io.kubeless.trigger.function.LabelSelectors;
import java.util.regex.Pattern;

/** Checks a KafkaTrigger's spec before it reaches the engine. */
final class TriggerSpecs {

  /** Kafka's own rule for topic names. */
  private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

  private TriggerSpecs() {}

  /** What is wrong with {@code spec}, for a person to fix; null when nothing is. */
  static String problem(KafkaTriggerSpec spec) {
    if (spec == null || spec.getTopic() == null || spec.getTopic().isBlank()) {
      return "spec.topic is empty; name the Kafka topic to consume";
    }
    if (!TOPIC.matcher(spec.getTopic()).matches() || spec.getTopic().matches("\\.{1,2}")) {
      return "spec.topic '"
          + spec.getTopic()
          + "' is not a Kafka topic name (letters, digits, '.', '_', '-'; at most 249)";
    }
    if (spec.getInitialOffset() != null
        && !spec.getInitialOffset().equals("latest")
        && !spec.getInitialOffset().equals("earliest")) {
      return "spec.initialOffset is '" + spec.getInitialOffset() + "'; use latest or earliest";
    }
    try {
      LabelSelectors.validate(spec.getFunctionSelector());
    } catch (IllegalArgumentException e) {
      return "spec." + e.getMessage();
    }
    return null;
  }
}
