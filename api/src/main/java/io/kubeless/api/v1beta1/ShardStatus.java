package io.kubeless.api.v1beta1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** One shard a trigger reads for one function (Kinesis): who reads it and how far behind. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class ShardStatus {

  @JsonPropertyDescription("The function the shard is read for.")
  private String function;

  @JsonPropertyDescription("The shard id, e.g. shardId-000000000000.")
  private String shard;

  @JsonPropertyDescription("The trigger replica (pod) that owns the shard's lease, if any.")
  private String owner;

  @JsonPropertyDescription(
      "How far the reader is behind the tip of the shard, from its last GetRecords, in"
          + " milliseconds.")
  private Long millisBehindLatest;

  @JsonPropertyDescription("Reading, Finished (a closed parent shard read to its end) or Waiting.")
  private String state;

  public ShardStatus() {}

  public ShardStatus(
      String function, String shard, String owner, Long millisBehindLatest, String state) {
    this.function = function;
    this.shard = shard;
    this.owner = owner;
    this.millisBehindLatest = millisBehindLatest;
    this.state = state;
  }

  public String getFunction() {
    return function;
  }

  public void setFunction(String function) {
    this.function = function;
  }

  public String getShard() {
    return shard;
  }

  public void setShard(String shard) {
    this.shard = shard;
  }

  public String getOwner() {
    return owner;
  }

  public void setOwner(String owner) {
    this.owner = owner;
  }

  public Long getMillisBehindLatest() {
    return millisBehindLatest;
  }

  public void setMillisBehindLatest(Long millisBehindLatest) {
    this.millisBehindLatest = millisBehindLatest;
  }

  public String getState() {
    return state;
  }

  public void setState(String state) {
    this.state = state;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ShardStatus that
        && Objects.equals(function, that.function)
        && Objects.equals(shard, that.shard)
        && Objects.equals(owner, that.owner)
        && Objects.equals(millisBehindLatest, that.millisBehindLatest)
        && Objects.equals(state, that.state);
  }

  @Override
  public int hashCode() {
    return Objects.hash(function, shard, owner, millisBehindLatest, state);
  }
}
