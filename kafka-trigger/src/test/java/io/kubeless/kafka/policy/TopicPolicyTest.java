package io.kubeless.kafka.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TopicPolicyTest {

  @Test
  void exactNamesAndGlobsAllowTheirTopicsOnly() {
    String allowed = " orders.* , payments,*-audit, ";

    assertThat(TopicPolicy.allows(allowed, "orders.eu")).isTrue();
    assertThat(TopicPolicy.allows(allowed, "orders.")).isTrue();
    assertThat(TopicPolicy.allows(allowed, "payments")).isTrue();
    assertThat(TopicPolicy.allows(allowed, "shop-audit")).isTrue();
    assertThat(TopicPolicy.allows(allowed, "orders")).isFalse();
    assertThat(TopicPolicy.allows(allowed, "payments2")).isFalse();
    assertThat(TopicPolicy.allows(allowed, "xorders.eu")).isFalse();
    // a dot is a dot, not a regular expression's any character
    assertThat(TopicPolicy.allows("a.b", "axb")).isFalse();
    assertThat(TopicPolicy.allows("*", "anything")).isTrue();
    assertThat(TopicPolicy.allows(" , ", "anything")).isFalse();
  }

  @Test
  void aNamespaceWithoutTheAnnotationMayReadNothing() {
    Optional<String> missing = TopicPolicy.refusal("shop", Optional.of(namespace(Map.of())), "t");
    Optional<String> unknown = TopicPolicy.refusal("shop", Optional.empty(), "t");

    assertThat(missing)
        .hasValueSatisfying(
            m -> assertThat(m).contains("'t'", "shop", "kafka.kubeless.io/allowed-topics"));
    assertThat(unknown).isPresent();
  }

  @Test
  void theRefusalNamesTheTopicAndTheAnnotation() {
    Namespace shop = namespace(Map.of(TopicPolicy.ANNOTATION, "orders.*"));

    assertThat(TopicPolicy.refusal("shop", Optional.of(shop), "orders.eu")).isEmpty();
    assertThat(TopicPolicy.refusal("shop", Optional.of(shop), "payroll"))
        .hasValueSatisfying(
            m -> assertThat(m).contains("'payroll'", "kafka.kubeless.io/allowed-topics", "shop"));
  }

  private static Namespace namespace(Map<String, String> annotations) {
    return new NamespaceBuilder()
        .withNewMetadata()
        .withName("shop")
        .withAnnotations(annotations)
        .endMetadata()
        .build();
  }
}
