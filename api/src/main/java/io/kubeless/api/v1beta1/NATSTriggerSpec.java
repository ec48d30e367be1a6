package io.kubeless.api.v1beta1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.kubernetes.api.model.LabelSelector;
import java.util.Objects;

/**
 * The desired state of a {@link NATSTrigger}, with Kubeless's field names ({@code topic}, {@code
 * functionSelector}) and optional additions: JetStream ({@code stream}, {@code durable}, {@code
 * deliverPolicy}) and the engine's {@code ordering} and {@code maxInFlight}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class NATSTriggerSpec {

  @JsonPropertyDescription(
      "NATS subject to subscribe to; wildcards ('orders.*', 'orders.>') are allowed, and each"
          + " event's event-topic header carries the message's concrete subject.")
  private String topic;

  @JsonPropertyDescription("Functions, in the trigger's namespace, that receive every message.")
  private LabelSelector functionSelector;

  @JsonPropertyDescription(
      "JetStream stream holding the subject. When set, each function reads through a durable pull"
          + " consumer that acknowledges a message before invoking (at most once): a restart"
          + " resumes where it stopped and a function that is down loses nothing. When absent,"
          + " core NATS (as Kubeless): what arrives while a function is down is dropped and"
          + " counted.")
  private String stream;

  @JsonPropertyDescription(
      "JetStream durable consumer name prefix (default '<namespace>_<trigger>'); each function"
          + " gets its own consumer '<durable>_<function>'. Only with 'stream'.")
  @Pattern("^[^.*>\\s]+$")
  private String durable;

  @JsonPropertyDescription(
      "Where a new JetStream consumer starts: 'new' (the default: messages stored from now on) or"
          + " 'all' (everything the stream holds). Afterwards the consumer's acknowledgements"
          + " rule. Only with 'stream'.")
  @Pattern("^(new|all)$")
  private String deliverPolicy;

  @JsonPropertyDescription(
      "What order messages reach each function in: 'key' (the default: the messages of one"
          + " subject one after the other, different subjects in parallel up to maxInFlight),"
          + " 'partition' (every message of the trigger one after the other) or 'none' (in"
          + " parallel up to maxInFlight).")
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

  public String getStream() {
    return stream;
  }

  public void setStream(String stream) {
    this.stream = stream;
  }

  public String getDurable() {
    return durable;
  }

  public void setDurable(String durable) {
    this.durable = durable;
  }

  public String getDeliverPolicy() {
    return deliverPolicy;
  }

  public void setDeliverPolicy(String deliverPolicy) {
    this.deliverPolicy = deliverPolicy;
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
    return o instanceof NATSTriggerSpec that
        && Objects.equals(topic, that.topic)
        && Objects.equals(functionSelector, that.functionSelector)
        && Objects.equals(stream, that.stream)
        && Objects.equals(durable, that.durable)
        && Objects.equals(deliverPolicy, that.deliverPolicy)
        && Objects.equals(ordering, that.ordering)
        && Objects.equals(maxInFlight, that.maxInFlight);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        topic, functionSelector, stream, durable, deliverPolicy, ordering, maxInFlight);
  }
}
