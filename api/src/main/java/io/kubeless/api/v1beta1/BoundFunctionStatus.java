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
      "Why the function does or does not receive events, in CamelCase, e.g. Consuming or"
          + " FunctionUnavailable.")
  private String reason;

  @JsonPropertyDescription(
      "Events of the source not yet taken for this function (for Kafka: records behind the"
          + " committed offsets of its consumer group), when the source can tell.")
  private Long lag;

  public BoundFunctionStatus() {}

  public BoundFunctionStatus(String name, Boolean ready, String reason, Long lag) {
    this.name = name;
    this.ready = ready;
    this.reason = reason;
    this.lag = lag;
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

  public String getReason() {
    return reason;
  }

  public void setReason(String reason) {
    this.reason = reason;
  }

  public Long getLag() {
    return lag;
  }

  public void setLag(Long lag) {
    this.lag = lag;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BoundFunctionStatus that
        && Objects.equals(name, that.name)
        && Objects.equals(ready, that.ready)
        && Objects.equals(reason, that.reason)
        && Objects.equals(lag, that.lag);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, ready, reason, lag);
  }
}
