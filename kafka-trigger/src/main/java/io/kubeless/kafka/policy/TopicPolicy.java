package io.kubeless.kafka.policy;

import io.fabric8.kubernetes.api.model.Namespace;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The per-namespace Kafka topic policy ({@code kubeless.kafka.topic-policy.enabled}): a namespace's
 * annotation {@value #ANNOTATION} lists, comma-separated, the topics its KafkaTriggers may read,
 * each an exact name or a glob whose {@code *} stands for any run of characters ({@code orders.*,
 * payments}). It fails closed: a namespace without the annotation, or that cannot be found, may
 * read no topic.
 */
public final class TopicPolicy {

  /** The namespace annotation listing the topics its KafkaTriggers may read. */
  public static final String ANNOTATION = "kafka.kubeless.io/allowed-topics";

  /** The {@code Ready} reason of a KafkaTrigger whose topic the policy does not allow. */
  public static final String TOPIC_NOT_ALLOWED = "TopicNotAllowed";

  private TopicPolicy() {}

  /**
   * Why a KafkaTrigger of {@code namespace} may not read {@code topic}, for a person; empty when it
   * may.
   *
   * @param found the namespace, empty when it is not known (yet)
   */
  public static Optional<String> refusal(
      String namespace, Optional<Namespace> found, String topic) {
    Map<String, String> annotations =
        found.map(n -> n.getMetadata().getAnnotations()).orElse(Map.of());
    String allowed = annotations == null ? null : annotations.get(ANNOTATION);
    if (allowed == null || allowed.isBlank()) {
      return Optional.of(
          "topic '%s' is not allowed: namespace %s has no annotation %s, so its KafkaTriggers may read no topic; an operator lists the allowed topics there (names or globs with *, comma-separated)"
              .formatted(topic, namespace, ANNOTATION));
    }
    if (allows(allowed, topic)) {
      return Optional.empty();
    }
    return Optional.of(
        "topic '%s' is not allowed: the annotation %s of namespace %s allows only '%s'"
            .formatted(topic, ANNOTATION, namespace, allowed.trim()));
  }

  /** Whether the comma-separated names and globs {@code patterns} include {@code topic}. */
  public static boolean allows(String patterns, String topic) {
    return Arrays.stream(patterns.split(","))
        .map(String::trim)
        .filter(p -> !p.isEmpty())
        .anyMatch(p -> glob(p).matcher(topic).matches());
  }

  private static Pattern glob(String pattern) {
    String[] literals = pattern.split("\\*", -1);
    StringBuilder regex = new StringBuilder(Pattern.quote(literals[0]));
    for (int i = 1; i < literals.length; i++) {
      regex.append(".*").append(Pattern.quote(literals[i]));
    }
    return Pattern.compile(regex.toString());
  }
}
