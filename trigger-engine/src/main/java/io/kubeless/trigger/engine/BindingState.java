package io.kubeless.trigger.engine;

/**
 * What one binding (a trigger and one of its functions) is doing, in words every source shares;
 * each source names its own reasons (a Kafka binding is {@code Consuming}, its source {@code
 * TopicNotFound} or {@code BrokerUnavailable}).
 *
 * @param function the function's name
 * @param phase what the binding is doing
 * @param reason the status reason, CamelCase
 * @param message details for a person, never a payload
 * @param units the ordering units the binding reads, where the source reports them (Kinesis
 *     shards); empty for the others
 * @param dropped events dropped so far (a source that keeps nothing, such as core NATS, drops what
 *     arrives while the function is unavailable or beyond its pending limits); 0 for the others
 */
public record BindingState(
    String function,
    Phase phase,
    String reason,
    String message,
    long dropped,
    java.util.List<UnitState> units) {

  public BindingState {
    units = units == null ? java.util.List.of() : java.util.List.copyOf(units);
  }

  public BindingState(String function, Phase phase, String reason, String message) {
    this(function, phase, reason, message, 0, java.util.List.of());
  }

  public BindingState(String function, Phase phase, String reason, String message, long dropped) {
    this(function, phase, reason, message, dropped, java.util.List.of());
  }

  /**
   * One ordering unit a binding reads (a Kinesis shard), for status.
   *
   * @param id the unit, e.g. {@code shardId-000000000000}
   * @param owner the process reading it (a pod name), or null when nobody does
   * @param millisBehind how far behind the unit's tip the reader is, or null when unknown
   * @param state {@code Reading}, {@code Finished} (a closed shard read to its end) or {@code
   *     Waiting} (for its parents, or for an owner)
   */
  public record UnitState(String id, String owner, Long millisBehind, String state) {}

  /** The phases, in the order the trigger's {@code Ready} condition reports them. */
  public enum Phase {
    /** The source cannot be reached, or refused the trigger; it keeps trying. */
    SOURCE_UNAVAILABLE,
    /** What the trigger reads does not exist (yet); it starts when it appears. */
    SOURCE_MISSING,
    /** Another trigger, created earlier, delivers the same events to this function. */
    DUPLICATE,
    /**
     * The function has no ready endpoint: delivery waits (or, for a source that keeps nothing,
     * drops and counts).
     */
    FUNCTION_UNAVAILABLE,
    /** Connecting to the source. */
    STARTING,
    /** Delivering. */
    ACTIVE
  }

  /** Reason of {@link Phase#STARTING}. */
  public static final String STARTING = "Starting";

  /** Reason of {@link Phase#FUNCTION_UNAVAILABLE}. */
  public static final String FUNCTION_UNAVAILABLE = "FunctionUnavailable";

  /** Reason of {@link Phase#DUPLICATE}. */
  public static final String DUPLICATE_BINDING = "DuplicateBinding";

  /** Whether the function receives events through this binding now. */
  public boolean ready() {
    return phase == Phase.ACTIVE;
  }
}
