package io.kubeless.api.v1beta1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
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

  @Override
  public boolean equals(Object o) {
    return o instanceof KafkaTriggerSpec that
        && Objects.equals(topic, that.topic)
        && Objects.equals(functionSelector, that.functionSelector)
        && Objects.equals(initialOffset, that.initialOffset);
  }

  @Override
  public int hashCode() {
    return Objects.hash(topic, functionSelector, initialOffset);
  }
}
