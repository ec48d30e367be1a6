package io.kubeless.api.v1beta1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.kubernetes.api.model.LabelSelector;
import java.util.Objects;

/**
 * The desired state of a {@link KinesisTrigger}, with Kubeless's field names ({@code
 * function-name}, {@code aws-region}, {@code secret}, {@code stream}, {@code shard}, {@code
 * endpoint}) and additions that keep old YAML valid: {@code shard} optional (every shard), {@code
 * functionSelector} instead of {@code function-name}, {@code startFrom}, {@code timestamp}, and the
 * engine's {@code ordering} and {@code maxInFlight}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class KinesisTriggerSpec {

  @JsonProperty("function-name")
  @JsonPropertyDescription("Name of the function to invoke, in the trigger's namespace.")
  private String functionName;

  @JsonProperty("aws-region")
  @JsonPropertyDescription("AWS region of the stream.")
  private String region;

  @JsonPropertyDescription("Secret holding aws_access_key_id and aws_secret_access_key.")
  private String secret;

  @JsonPropertyDescription("Kinesis stream name.")
  private String stream;

  @JsonPropertyDescription(
      "Shard id to read (Kubeless read only this one); absent: every shard of the stream,"
          + " discovered and followed through resharding.")
  private String shard;

  @JsonPropertyDescription(
      "Functions, in the trigger's namespace, that receive every record: an alternative to"
          + " function-name.")
  private LabelSelector functionSelector;

  @JsonPropertyDescription(
      "Where a shard without a checkpoint starts: 'latest' (the default, as Kubeless),"
          + " 'trim_horizon' (the oldest record kept) or 'at_timestamp' (see timestamp).")
  @Pattern("^(latest|trim_horizon|at_timestamp)$")
  private String startFrom;

  @JsonPropertyDescription(
      "With startFrom at_timestamp: an RFC 3339 time, e.g. 2026-12-01T00:00:00Z.")
  private String timestamp;

  @JsonPropertyDescription(
      "What order records reach each function in: 'partition' (the default: the records of a"
          + " shard one after the other), 'key' (records with the same partition key in order,"
          + " different keys in parallel up to maxInFlight) or 'none'.")
  @Pattern("^(partition|key|none)$")
  private String ordering;

  @JsonPropertyDescription(
      "Most requests in flight to one function at once with ordering 'key' or 'none' (default"
          + " 64).")
  @Min(1)
  private Integer maxInFlight;

  @JsonPropertyDescription("Kinesis endpoint URL, for a non-AWS or local endpoint.")
  private String endpoint;

  public String getFunctionName() {
    return functionName;
  }

  public void setFunctionName(String functionName) {
    this.functionName = functionName;
  }

  public String getRegion() {
    return region;
  }

  public void setRegion(String region) {
    this.region = region;
  }

  public String getSecret() {
    return secret;
  }

  public void setSecret(String secret) {
    this.secret = secret;
  }

  public String getStream() {
    return stream;
  }

  public void setStream(String stream) {
    this.stream = stream;
  }

  public String getShard() {
    return shard;
  }

  public void setShard(String shard) {
    this.shard = shard;
  }

  public String getEndpoint() {
    return endpoint;
  }

  public void setEndpoint(String endpoint) {
    this.endpoint = endpoint;
  }

  public LabelSelector getFunctionSelector() {
    return functionSelector;
  }

  public void setFunctionSelector(LabelSelector functionSelector) {
    this.functionSelector = functionSelector;
  }

  public String getStartFrom() {
    return startFrom;
  }

  public void setStartFrom(String startFrom) {
    this.startFrom = startFrom;
  }

  public String getTimestamp() {
    return timestamp;
  }

  public void setTimestamp(String timestamp) {
    this.timestamp = timestamp;
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
    return o instanceof KinesisTriggerSpec that
        && Objects.equals(functionName, that.functionName)
        && Objects.equals(region, that.region)
        && Objects.equals(secret, that.secret)
        && Objects.equals(stream, that.stream)
        && Objects.equals(shard, that.shard)
        && Objects.equals(endpoint, that.endpoint)
        && Objects.equals(functionSelector, that.functionSelector)
        && Objects.equals(startFrom, that.startFrom)
        && Objects.equals(timestamp, that.timestamp)
        && Objects.equals(ordering, that.ordering)
        && Objects.equals(maxInFlight, that.maxInFlight);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        functionName,
        region,
        secret,
        stream,
        shard,
        endpoint,
        functionSelector,
        startFrom,
        timestamp,
        ordering,
        maxInFlight);
  }
}
