package io.kubeless.trigger.function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LabelSelectorsTest {

  private static final Map<String, String> LABELS = Map.of("app", "shop", "tier", "gold");

  @Test
  void matchLabelsAndExpressionsAllHaveToHold() {
    assertThat(matches(new LabelSelectorBuilder().withMatchLabels(Map.of("app", "shop")).build()))
        .isTrue();
    assertThat(matches(new LabelSelectorBuilder().withMatchLabels(Map.of("app", "other")).build()))
        .isFalse();
    assertThat(matches(expression("tier", "In", "gold", "silver"))).isTrue();
    assertThat(matches(expression("tier", "NotIn", "gold"))).isFalse();
    assertThat(matches(expression("missing", "NotIn", "x"))).isTrue();
    assertThat(matches(expression("app", "Exists"))).isTrue();
    assertThat(matches(expression("app", "DoesNotExist"))).isFalse();
    assertThat(matches(new LabelSelector())).as("{} selects everything").isTrue();
  }

  @Test
  void malformedSelectorsAreRejectedWithAMessage() {
    assertThatThrownBy(() -> LabelSelectors.validate(null)).hasMessageContaining("required");
    assertThatThrownBy(() -> LabelSelectors.validate(expression("a", "Equals", "b")))
        .hasMessageContaining("operator 'Equals'");
    assertThatThrownBy(() -> LabelSelectors.validate(expression("a", "In")))
        .hasMessageContaining("at least one value");
    assertThatThrownBy(() -> LabelSelectors.validate(expression("a", "Exists", "b")))
        .hasMessageContaining("takes no values");
  }

  @Test
  void describesSelectorsAsKubectlWritesThem() {
    LabelSelector selector =
        new LabelSelectorBuilder()
            .withMatchLabels(Map.of("b", "2", "a", "1"))
            .addNewMatchExpression()
            .withKey("tier")
            .withOperator("In")
            .withValues("gold", "silver")
            .endMatchExpression()
            .build();
    assertThat(LabelSelectors.describe(selector)).isEqualTo("a=1,b=2,tier in (gold,silver)");
  }

  private static boolean matches(LabelSelector selector) {
    LabelSelectors.validate(selector);
    return LabelSelectors.matches(selector, LABELS);
  }

  private static LabelSelector expression(String key, String operator, String... values) {
    return new LabelSelectorBuilder()
        .addNewMatchExpression()
        .withKey(key)
        .withOperator(operator)
        .withValues(values)
        .endMatchExpression()
        .build();
  }
}
