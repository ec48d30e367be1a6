package io.kubeless.api.v1beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Observed state of a trigger, the same for all five kinds: conditions, observed generation, and
 * one entry per bound function.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TriggerStatus extends KubelessStatus {

  @JsonPropertyDescription(
      "The functions the trigger is bound to, by name, each with whether it receives events.")
  private List<BoundFunctionStatus> functions = new ArrayList<>();

  @JsonPropertyDescription(
      "Kinesis: each shard read for each function, with its owner and how far behind it is.")
  private List<ShardStatus> shards;

  public List<ShardStatus> getShards() {
    return shards;
  }

  public void setShards(List<ShardStatus> shards) {
    this.shards = shards == null || shards.isEmpty() ? null : shards;
  }

  public List<BoundFunctionStatus> getFunctions() {
    return functions;
  }

  public void setFunctions(List<BoundFunctionStatus> functions) {
    this.functions = functions == null ? new ArrayList<>() : functions;
  }

  @Override
  public boolean equals(Object o) {
    return super.equals(o)
        && Objects.equals(functions, ((TriggerStatus) o).functions)
        && Objects.equals(shards, ((TriggerStatus) o).shards);
  }

  @Override
  public int hashCode() {
    return Objects.hash(super.hashCode(), functions, shards);
  }
}
