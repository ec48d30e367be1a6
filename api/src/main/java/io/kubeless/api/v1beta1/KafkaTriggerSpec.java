package io.kubeless.api.v1beta1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
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

  @Override
  public boolean equals(Object o) {
    return o instanceof KafkaTriggerSpec that
        && Objects.equals(topic, that.topic)
        && Objects.equals(functionSelector, that.functionSelector);
  }

  @Override
  public int hashCode() {
    return Objects.hash(topic, functionSelector);
  }
}
