package io.kubeless.http.gateway;

import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.invoke.Outcome;
import io.kubeless.trigger.metrics.TriggerMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The meters of one route, tagged {@code namespace}, {@code trigger}, {@code function}: the
 * delivery metrics every trigger has ({@link TriggerMetrics}: {@code
 * kubeless_trigger_events_received_total}, {@code kubeless_trigger_invocations_total{outcome}},
 * {@code kubeless_trigger_invocation_duration_seconds}), and the gateway's own:
 *
 * <ul>
 *   <li>{@code kubeless_trigger_http_requests_total{status}}: requests by status class ({@code
 *       2xx}, {@code 4xx}, ...), those the gateway answered itself (401, 413, 503, 504) included;
 *   <li>{@code kubeless_trigger_http_request_duration_seconds}: from the request's head to the
 *       response's end;
 *   <li>{@code kubeless_trigger_http_requests_in_flight}: requests being served now.
 * </ul>
 */
final class RouteMetrics implements AutoCloseable {

  private static final String[] CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx"};

  final String function;
  private final MeterRegistry registry;
  private final TriggerMetrics.Binding binding;
  private final Counter[] requests = new Counter[CLASSES.length];
  private final Timer duration;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final List<Meter> meters = new ArrayList<>();

  RouteMetrics(
      MeterRegistry registry, TriggerMetrics delivery, TriggerId trigger, String function) {
    this.function = function;
    this.registry = registry;
    this.binding = delivery.binding(trigger.namespace(), trigger.name(), function);
    Tags tags =
        Tags.of("namespace", trigger.namespace(), "trigger", trigger.name())
            .and("function", function);
    for (int i = 0; i < CLASSES.length; i++) {
      requests[i] =
          keep(
              Counter.builder("kubeless.trigger.http.requests")
                  .description("Requests the built-in gateway served, by status class")
                  .tags(tags)
                  .tag("status", CLASSES[i])
                  .register(registry));
    }
    duration =
        keep(
            Timer.builder("kubeless.trigger.http.request.duration")
                .description("Duration of the requests the built-in gateway served")
                .tags(tags)
                .register(registry));
    keep(
        Gauge.builder("kubeless.trigger.http.requests.in.flight", inFlight, AtomicInteger::get)
            .description("Requests the built-in gateway is serving")
            .tags(tags)
            .register(registry));
  }

  private <M extends Meter> M keep(M meter) {
    meters.add(meter);
    return meter;
  }

  void started() {
    inFlight.incrementAndGet();
    binding.received(1);
  }

  /**
   * One request done.
   *
   * @param outcome what became of the invocation, or null when no function was invoked nor meant to
   *     be (401, CORS preflight, the client leaving)
   */
  void finished(int status, long nanos, Outcome.Kind outcome) {
    inFlight.decrementAndGet();
    int index = status / 100 - 1;
    if (index >= 0 && index < requests.length) {
      requests[index].increment();
    }
    Duration took = Duration.ofNanos(nanos);
    duration.record(took);
    if (outcome != null) {
      binding.invoked(new Outcome(outcome, status, took, ""));
    }
  }

  @Override
  public void close() {
    binding.close();
    meters.forEach(registry::remove);
  }
}
