package io.kubeless.api.v1beta1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.kubernetes.api.model.LabelSelector;
import java.util.Objects;

/** The desired state of a {@link KafkaTrigger}, with Kubeless's field names. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class KafkaTriggerSpec {

  @JsonPropertyDescription("Kafka topic to consume.")
  private String topic;

  @JsonPropertyDescription("Functions, in the trigger's namespace, that receive every record.")
  private LabelSelector functionSelector;

  @JsonPropertyDescription(
      "Where a new consumer group starts: 'latest' (the default, as Kubeless: only records"
          + " produced from now on) or 'earliest' (everything the topic retains). Applies only to"
          + " a function's first subscription; afterwards the group's committed offsets rule.")
  @Pattern("^(latest|earliest)$")
  private String initialOffset;

  @JsonPropertyDescription(
      "What order records reach each function in: 'partition' (the default: the records of a"
          + " partition one after the other), 'key' (records with the same key in order, different"
          + " keys in parallel up to maxInFlight) or 'none' (in parallel up to maxInFlight).")
  @Pattern("^(partition|key|none)$")
  private String ordering;

  @JsonPropertyDescription(
      "Most requests in flight to one function at once with ordering 'key' or 'none' (default"
          + " 64).")
  @Min(1)
  private Integer maxInFlight;

  public String getTopic() {
    return topic;
  }

  public void setTopic(String topic) {
    this.topic = topic;
  }

  public LabelSelector getFunctionSelector() {
    return functionSelector;
  }

  public void setFunctionSelector(LabelSelector functionSelector) {
    this.functionSelector = functionSelector;
  }

  public String getInitialOffset() {
    return initialOffset;
  }

  public void setInitialOffset(String initialOffset) {
    this.initialOffset = initialOffset;
  }

  public String getOrdering() {
    return ordering;
  }

  public void setOrdering(String ordering) {
    this.ordering = ordering;
  }

  public Integer getMaxInFlight() {
    return maxInFlight;
  }

  public void setMaxInFlight(Integer maxInFlight) {
    this.maxInFlight = maxInFlight;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KafkaTriggerSpec that
        && Objects.equals(topic, that.topic)
        && Objects.equals(functionSelector, that.functionSelector)
        && Objects.equals(initialOffset, that.initialOffset)
        && Objects.equals(ordering, that.ordering)
        && Objects.equals(maxInFlight, that.maxInFlight);
  }

  @Override
  public int hashCode() {
    return Objects.hash(topic, functionSelector, initialOffset, ordering, maxInFlight);
  }
}
