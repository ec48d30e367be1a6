package io.kubeless.api.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionStatus;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class ConditionsTest {

  private final Function function = new Function();

  ConditionsTest() {
    function.setMetadata(new ObjectMetaBuilder().withName("f").withGeneration(3L).build());
  }

  @Test
  void theTransitionTimeMovesOnlyWhenTheStatusChanges() {
    FunctionStatus status = new FunctionStatus();

    assertThat(set(status, "False", "Waiting", "0/1", 100)).isTrue();
    assertThat(set(status, "False", "Waiting", "0/1", 200)).as("same observation").isFalse();
    assertThat(transition(status)).isEqualTo("1970-01-01T00:01:40Z");
    assertThat(set(status, "False", "Broken", "x", 300)).as("new reason").isTrue();
    assertThat(transition(status))
        .as("same status, same transition")
        .isEqualTo("1970-01-01T00:01:40Z");
    assertThat(set(status, "True", "Available", "1/1", 400)).isTrue();
    assertThat(transition(status)).isEqualTo("1970-01-01T00:06:40Z");
    assertThat(Conditions.isReady(status)).isTrue();
    assertThat(Conditions.find(status, Conditions.READY).orElseThrow().getObservedGeneration())
        .isEqualTo(3L);
  }

  @Test
  void readyStaysFirstAndOtherConditionsAreKept() {
    FunctionStatus status = new FunctionStatus();
    set(status, "Other", "True", "R", "m");
    set(status, Conditions.READY, "False", "R", "m");

    assertThat(status.getConditions())
        .extracting(Condition::getType)
        .containsExactly("Ready", "Other");
    assertThat(Conditions.remove(status, "Other")).isTrue();
    assertThat(Conditions.remove(status, "Other")).isFalse();
  }

  private boolean set(
      FunctionStatus status, String value, String reason, String message, long seconds) {
    return Conditions.set(
        status,
        function,
        Conditions.READY,
        value,
        reason,
        message,
        Clock.fixed(Instant.ofEpochSecond(seconds), ZoneOffset.UTC));
  }

  private void set(
      FunctionStatus status, String type, String value, String reason, String message) {
    Conditions.set(status, function, type, value, reason, message, Clock.systemUTC());
  }

  private static String transition(FunctionStatus status) {
    return Conditions.find(status, Conditions.READY).orElseThrow().getLastTransitionTime();
  }
}
