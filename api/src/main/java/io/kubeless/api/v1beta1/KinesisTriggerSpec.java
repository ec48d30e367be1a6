package io.kubeless.api.v1beta1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** The desired state of a {@link KinesisTrigger}, with Kubeless's field names. */
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

  @JsonPropertyDescription("Shard id to read.")
  private String shard;

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

  @Override
  public boolean equals(Object o) {
    return o instanceof KinesisTriggerSpec that
        && Objects.equals(functionName, that.functionName)
        && Objects.equals(region, that.region)
        && Objects.equals(secret, that.secret)
        && Objects.equals(stream, that.stream)
        && Objects.equals(shard, that.shard)
        && Objects.equals(endpoint, that.endpoint);
  }

  @Override
  public int hashCode() {
    return Objects.hash(functionName, region, secret, stream, shard, endpoint);
  }
}
