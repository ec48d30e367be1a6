package io.kubeless.trigger.metrics;

import io.kubeless.trigger.invoke.Outcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The delivery metrics every trigger exposes on {@code /q/metrics}, all tagged with {@code
 * namespace}, {@code trigger} and {@code function}:
 *
 * <ul>
 *   <li>{@code kubeless_trigger_events_received_total}: events taken from the source for a bound
 *       function (a Kafka record counts once per bound function, as each has its own group);
 *   <li>{@code kubeless_trigger_invocations_total{outcome}}: requests by outcome ({@code success},
 *       {@code function_error}, {@code timeout}, {@code unavailable});
 *   <li>{@code kubeless_trigger_invocation_duration_seconds}: durations of the requests that
 *       reached the function, with histogram buckets from 5 ms to 60 s for percentiles;
 *   <li>{@code kubeless_trigger_paused}: 1 while the binding waits for its function (no ready
 *       endpoint, connection refused): its events wait in the source, or, for a source that keeps
 *       nothing, are dropped and counted; 0 otherwise;
 *   <li>{@code kubeless_trigger_lag}: events of the source not yet taken, where it can tell;
 *   <li>{@code kubeless_trigger_events_skipped_total}: events the source no longer had when the
 *       trigger came to read them (e.g. deleted by retention while the function was down);
 *   <li>{@code kubeless_trigger_events_dropped_total{reason}}: events a source that keeps nothing
 *       (core NATS) received but could not deliver: {@code function_unavailable} while the function
 *       had no ready endpoint, {@code slow_consumer} beyond the pending limits, {@code stopped}
 *       when a binding stopping could not send them in time.
 * </ul>
 */
public final class TriggerMetrics {

  /** The invocation duration's histogram buckets: the usual spread of function latencies. */
  private static final java.time.Duration[] DURATION_BUCKETS =
      java.util.stream.LongStream.of(
              5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000)
          .mapToObj(java.time.Duration::ofMillis)
          .toArray(java.time.Duration[]::new);

  private final MeterRegistry registry;
  private final Map<Tags, Binding> bindings = new HashMap<>();

  public TriggerMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /**
   * The meters of one (trigger, function) binding. Each call must be matched by one {@link
   * Binding#close()}; the meters go when the last user closes them, so a consumer replaced by
   * another (a changed topic) hands its counts over.
   */
  public synchronized Binding binding(String namespace, String trigger, String function) {
    Tags tags = Tags.of("namespace", namespace, "trigger", trigger, "function", function);
    Binding binding = bindings.computeIfAbsent(tags, t -> new Binding(this, t));
    binding.users++;
    return binding;
  }

  private synchronized void release(Binding binding) {
    if (--binding.users == 0) {
      bindings.remove(binding.tags);
      binding.meters.forEach(registry::remove);
    }
  }

  /** Meters of one binding, looked up once so recording is cheap. */
  public static final class Binding implements AutoCloseable {

    private final TriggerMetrics owner;
    private final Tags tags;
    private final Counter received;
    private final Counter skipped;
    private final Map<String, Counter> dropped = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong droppedTotal =
        new java.util.concurrent.atomic.AtomicLong();
    private final Map<Outcome.Kind, Counter> invocations = new EnumMap<>(Outcome.Kind.class);
    private final Timer duration;
    private final List<Meter> meters = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile double lag = Double.NaN;
    private volatile double paused;
    private volatile Counter throttled;
    private int users;

    private Binding(TriggerMetrics owner, Tags tags) {
      this.owner = owner;
      this.tags = tags;
      MeterRegistry registry = owner.registry;
      this.received =
          keep(
              Counter.builder("kubeless.trigger.events.received")
                  .description("Events taken from the source for a bound function")
                  .tags(tags)
                  .register(registry));
      this.skipped =
          keep(
              Counter.builder("kubeless.trigger.events.skipped")
                  .description("Events the source no longer had when the trigger came to read them")
                  .tags(tags)
                  .register(registry));
      for (Outcome.Kind kind : Outcome.Kind.values()) {
        invocations.put(
            kind,
            keep(
                Counter.builder("kubeless.trigger.invocations")
                    .description("Requests sent to functions, by outcome")
                    .tags(tags)
                    .tag("outcome", kind.label())
                    .register(registry)));
      }
      this.duration =
          keep(
              Timer.builder("kubeless.trigger.invocation.duration")
                  .description("Duration of the requests that reached a function")
                  .tags(tags)
                  .serviceLevelObjectives(DURATION_BUCKETS)
                  .register(registry));
      keep(
          Gauge.builder("kubeless.trigger.lag", this, b -> b.lag)
              .description("Events of the source not yet taken for a bound function")
              .tags(tags)
              .register(registry));
      keep(
          Gauge.builder("kubeless.trigger.paused", this, b -> b.paused)
              .description("1 while the binding waits for its function, else 0")
              .tags(tags)
              .register(registry));
    }

    /** Counts {@code count} events taken from the source. */
    public void received(int count) {
      received.increment(count);
    }

    /** Counts {@code count} events the source dropped before they could be taken. */
    public void skipped(long count) {
      skipped.increment(count);
    }

    /**
     * Counts {@code count} events received but not delivered, for {@code reason} ({@code
     * function_unavailable}, {@code slow_consumer}, {@code stopped}).
     */
    public void dropped(long count, String reason) {
      if (count <= 0) {
        return;
      }
      dropped
          .computeIfAbsent(
              reason,
              r -> {
                synchronized (owner) {
                  return keep(
                      Counter.builder("kubeless.trigger.events.dropped")
                          .description(
                              "Events a source that keeps nothing received but could not deliver")
                          .tags(tags)
                          .tag("reason", r)
                          .register(owner.registry));
                }
              })
          .increment(count);
      droppedTotal.addAndGet(count);
    }

    /**
     * Counts a read the source refused for its rate ({@code kubeless.trigger.source.throttled}, a
     * Kinesis shard read more than 5 times a second): a pace the reader backs off from, not a loss.
     * Registered on first use, so sources that never throttle have no such meter.
     */
    public void throttled() {
      Counter counter = throttled;
      if (counter == null) {
        synchronized (owner) {
          counter = throttled;
          if (counter == null) {
            counter =
                keep(
                    Counter.builder("kubeless.trigger.source.throttled")
                        .description("Reads the source refused for their rate, backed off from")
                        .tags(tags)
                        .register(owner.registry));
            throttled = counter;
          }
        }
      }
      counter.increment();
    }

    /** Events dropped so far, for every reason. */
    public long droppedTotal() {
      return droppedTotal.get();
    }

    /** Records one invocation's outcome and, if it may have reached the function, its duration. */
    public void invoked(Outcome outcome) {
      invocations.get(outcome.kind()).increment();
      if (outcome.mayHaveReachedFunction()) {
        duration.record(outcome.duration());
      }
    }

    /** Whether the binding waits for its function (the {@code kubeless_trigger_paused} gauge). */
    public void paused(boolean waiting) {
      paused = waiting ? 1 : 0;
    }

    /** Sets the lag the gauge reports; negative for unknown. */
    public void lag(long events) {
      lag = events < 0 ? Double.NaN : events;
    }

    private <M extends Meter> M keep(M meter) {
      meters.add(meter);
      return meter;
    }

    @Override
    public void close() {
      owner.release(this);
    }
  }
}
