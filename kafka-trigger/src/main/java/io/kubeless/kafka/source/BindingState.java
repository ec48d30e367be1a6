package io.kubeless.kafka.source;

/**
 * What one (trigger, function) consumer is doing.
 *
 * @param function the function's name
 * @param phase what the consumer is doing
 * @param message details for a person, never a payload
 * @param lag records of the topic behind the group's committed offsets, or null when unknown
 */
public record BindingState(String function, Phase phase, String message, Long lag) {

  /** The consumer's phase; the names are the status reasons. */
  public enum Phase {
    /** Joining the group, first look at the topic. */
    Starting,
    /** Delivering records. */
    Consuming,
    /** The function has no ready endpoint: paused, nothing committed. */
    FunctionUnavailable,
    /** The topic does not exist (topics are not created by the trigger). */
    TopicNotFound,
    /** The brokers cannot be reached, or refused the consumer. */
    BrokerUnavailable
  }

  /** Whether the function receives events now. */
  public boolean ready() {
    return phase == Phase.Consuming;
  }
}
