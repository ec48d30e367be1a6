package io.kubeless.trigger.engine;

import io.kubeless.trigger.engine.BindingState.Phase;
import java.util.function.BooleanSupplier;
import org.jboss.logging.Logger;

/**
 * Computes a binding's {@link BindingState} from what its source reports (connected, missing,
 * unreachable) and whether its function is available, and tells when it changed. A source problem
 * outranks an unavailable function, which outranks starting.
 */
public final class BindingHealth {

  private static final Logger LOG = Logger.getLogger(BindingHealth.class);

  private final String label;
  private final String function;
  private final String whileUnavailable;
  private final BooleanSupplier functionAvailable;
  private final Runnable onChange;
  private BindingState source;
  private BindingState state;
  private java.util.function.LongSupplier dropped = () -> 0;
  private java.util.function.Supplier<java.util.List<BindingState.UnitState>> units =
      java.util.List::of;

  /**
   * @param label how log lines name the binding, e.g. {@code KafkaTrigger shop/orders -> audit}
   * @param starting the message while the source is connecting
   * @param whileUnavailable what becomes of events while the function is unavailable, e.g. {@code
   *     its records wait in the topic}
   * @param functionAvailable whether the function can take events now
   * @param onChange told after the state changed
   */
  public BindingHealth(
      String label,
      String function,
      String starting,
      String whileUnavailable,
      BooleanSupplier functionAvailable,
      Runnable onChange) {
    this.label = label;
    this.function = function;
    this.whileUnavailable = whileUnavailable;
    this.functionAvailable = functionAvailable;
    this.onChange = onChange;
    this.source = new BindingState(function, Phase.STARTING, BindingState.STARTING, starting);
    this.state = source;
  }

  /**
   * What the source is doing: {@link Phase#STARTING}, {@link Phase#ACTIVE}, {@link
   * Phase#SOURCE_MISSING} or {@link Phase#SOURCE_UNAVAILABLE}, with the source's reason.
   */
  public void source(Phase phase, String reason, String message) {
    synchronized (this) {
      source = new BindingState(function, phase, reason, message);
    }
    update();
  }

  /** Looks again, e.g. after the function's availability changed. */
  public void update() {
    BindingState next;
    BindingState previous;
    synchronized (this) {
      next = source;
      if ((source.phase() == Phase.ACTIVE || source.phase() == Phase.STARTING)
          && !functionAvailable.getAsBoolean()) {
        next =
            new BindingState(
                function,
                Phase.FUNCTION_UNAVAILABLE,
                BindingState.FUNCTION_UNAVAILABLE,
                function + " has no ready endpoint; " + whileUnavailable);
      }
      previous = state;
      state = next;
    }
    if (previous.phase() != next.phase() || !previous.message().equals(next.message())) {
      if (next.phase() != Phase.ACTIVE && next.phase() != Phase.STARTING) {
        LOG.infof("%s: %s", label, next.message());
      }
      onChange.run();
    }
  }

  /**
   * Where the state's dropped count comes from (a source that keeps nothing counts what it drops);
   * a new count alone does not count as a change of state: status shows it at its next write.
   */
  public synchronized void dropped(java.util.function.LongSupplier count) {
    this.dropped = count;
  }

  /**
   * Where the state's units come from (a source that reads several, e.g. Kinesis shards); a change
   * of them alone does not count as a change of state: status shows it at its next write.
   */
  public synchronized void units(
      java.util.function.Supplier<java.util.List<BindingState.UnitState>> units) {
    this.units = units;
  }

  public synchronized BindingState state() {
    long count = dropped.getAsLong();
    java.util.List<BindingState.UnitState> read = units.get();
    return count == 0 && read.isEmpty()
        ? state
        : new BindingState(
            state.function(), state.phase(), state.reason(), state.message(), count, read);
  }
}
