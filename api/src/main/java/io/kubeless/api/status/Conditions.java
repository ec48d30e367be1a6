package io.kubeless.api.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.kubeless.api.v1beta1.KubelessStatus;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads and writes Kubernetes-style conditions on a {@link KubelessStatus}. */
public final class Conditions {

  /** The condition every kubeless resource carries. */
  public static final String READY = "Ready";

  public static final String TRUE = "True";
  public static final String FALSE = "False";
  public static final String UNKNOWN = "Unknown";

  private Conditions() {}

  /** The condition of the given type, if present. */
  public static Optional<Condition> find(KubelessStatus status, String type) {
    if (status == null || status.getConditions() == null) {
      return Optional.empty();
    }
    return status.getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  /** Whether the resource's {@code Ready} condition is {@code True}. */
  public static boolean isReady(KubelessStatus status) {
    return find(status, READY).map(c -> TRUE.equals(c.getStatus())).orElse(false);
  }

  /**
   * Sets a condition on {@code status}, keeping the previous {@code lastTransitionTime} when the
   * condition's status did not change, so that writing the same observation twice is a no-op.
   *
   * @return whether the condition's status, reason or message changed
   */
  public static boolean set(
      KubelessStatus status,
      HasMetadata resource,
      String type,
      boolean value,
      String reason,
      String message) {
    return set(status, resource, type, value ? TRUE : FALSE, reason, message, Clock.systemUTC());
  }

  static boolean set(
      KubelessStatus status,
      HasMetadata resource,
      String type,
      String value,
      String reason,
      String message,
      Clock clock) {
    Optional<Condition> previous = find(status, type);
    String transitionTime =
        previous
            .filter(p -> value.equals(p.getStatus()))
            .map(Condition::getLastTransitionTime)
            .orElseGet(() -> Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString());
    Condition next =
        new ConditionBuilder()
            .withType(type)
            .withStatus(value)
            .withReason(reason)
            .withMessage(message == null ? "" : message)
            .withObservedGeneration(resource.getMetadata().getGeneration())
            .withLastTransitionTime(transitionTime)
            .build();
    List<Condition> conditions = new ArrayList<>(status.getConditions());
    conditions.removeIf(c -> type.equals(c.getType()));
    conditions.add(next);
    conditions.sort((a, b) -> a.getType().equals(READY) ? -1 : b.getType().equals(READY) ? 1 : 0);
    status.setConditions(conditions);
    return previous
        .map(
            p ->
                !value.equals(p.getStatus())
                    || !reason.equals(p.getReason())
                    || !next.getMessage().equals(p.getMessage()))
        .orElse(true);
  }

  /** Removes a condition; returns whether one was present. */
  public static boolean remove(KubelessStatus status, String type) {
    List<Condition> conditions = new ArrayList<>(status.getConditions());
    boolean removed = conditions.removeIf(c -> type.equals(c.getType()));
    status.setConditions(conditions);
    return removed;
  }
}
