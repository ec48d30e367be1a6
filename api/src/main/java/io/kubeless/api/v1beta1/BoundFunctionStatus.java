package io.kubeless.api.v1beta1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** What a trigger observes of one function it is bound to. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class BoundFunctionStatus {

  @JsonPropertyDescription("Name of the Function, in the trigger's namespace.")
  private String name;

  @JsonPropertyDescription("Whether the function has a ready endpoint and receives events.")
  private Boolean ready;

  @JsonPropertyDescription(
      "Why the function does or does not receive events, in CamelCase, e.g. Consuming,"
          + " FunctionUnavailable or DuplicateBinding. How far a function lags behind its source"
          + " is a metric (kubeless_trigger_lag), not status.")
  private String reason;

  @JsonPropertyDescription(
      "Events dropped since this trigger controller started, for a source that keeps nothing (core"
          + " NATS): what arrived while the function had no ready endpoint or beyond the pending"
          + " limits. Absent when none were. kubeless_trigger_events_dropped_total has them by"
          + " reason.")
  private Long dropped;

  public BoundFunctionStatus() {}

  public BoundFunctionStatus(String name, Boolean ready, String reason) {
    this.name = name;
    this.ready = ready;
    this.reason = reason;
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public Boolean getReady() {
    return ready;
  }

  public void setReady(Boolean ready) {
    this.ready = ready;
  }

  public Long getDropped() {
    return dropped;
  }

  public void setDropped(Long dropped) {
    this.dropped = dropped;
  }

  public String getReason() {
    return reason;
  }

  public void setReason(String reason) {
    this.reason = reason;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BoundFunctionStatus that
        && Objects.equals(name, that.name)
        && Objects.equals(ready, that.ready)
        && Objects.equals(reason, that.reason)
        && Objects.equals(dropped, that.dropped);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, ready, reason, dropped);
  }
}
