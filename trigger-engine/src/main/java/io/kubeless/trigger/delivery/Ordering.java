package io.kubeless.trigger.delivery;

import io.kubeless.trigger.engine.InvalidTriggerException;
import java.util.Locale;

/**
 * The order in which the events of one ordering unit (a Kafka partition, a Kinesis shard, a NATS
 * subject) reach a function.
 */
public enum Ordering {
  /** One after the other, in the unit's order: the default, and Kubeless's behaviour. */
  PARTITION,
  /** Events with the same key in order; different keys in parallel, up to a bound. */
  KEY,
  /** In parallel, up to a bound. */
  NONE;

  /** The spelling of trigger specs: {@code partition}, {@code key}, {@code none}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Reads a spec's {@code ordering}; empty means {@link #PARTITION}.
   *
   * @throws InvalidTriggerException naming the accepted values
   */
  public static Ordering parse(String value) throws InvalidTriggerException {
    if (value == null || value.isBlank()) {
      return PARTITION;
    }
    for (Ordering ordering : values()) {
      if (ordering.label().equals(value.trim())) {
        return ordering;
      }
    }
    throw new InvalidTriggerException(
        "spec.ordering is '" + value + "'; use partition, key or none");
  }
}
