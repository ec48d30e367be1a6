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

  @JsonPropertyDescription("HTTP: the URL the trigger's route answers on.")
  private String url;

  @JsonPropertyDescription("Cron: when the last tick was fired (RFC 3339).")
  private String lastScheduleTime;

  @JsonPropertyDescription("Cron: when the last tick the function answered with success was fired.")
  private String lastSuccessfulTime;

  @JsonPropertyDescription("Cron: when the next tick is due (RFC 3339).")
  private String nextScheduleTime;

  @JsonPropertyDescription(
      "Cron: ticks not fired (a failover, or Forbid with a call still running).")
  private Long missedTicks;

  public String getUrl() {
    return url;
  }

  public void setUrl(String url) {
    this.url = url;
  }

  public String getLastScheduleTime() {
    return lastScheduleTime;
  }

  public void setLastScheduleTime(String lastScheduleTime) {
    this.lastScheduleTime = lastScheduleTime;
  }

  public String getLastSuccessfulTime() {
    return lastSuccessfulTime;
  }

  public void setLastSuccessfulTime(String lastSuccessfulTime) {
    this.lastSuccessfulTime = lastSuccessfulTime;
  }

  public String getNextScheduleTime() {
    return nextScheduleTime;
  }

  public void setNextScheduleTime(String nextScheduleTime) {
    this.nextScheduleTime = nextScheduleTime;
  }

  public Long getMissedTicks() {
    return missedTicks;
  }

  public void setMissedTicks(Long missedTicks) {
    this.missedTicks = missedTicks;
  }

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
        && Objects.equals(shards, ((TriggerStatus) o).shards)
        && Objects.equals(url, ((TriggerStatus) o).url)
        && Objects.equals(lastScheduleTime, ((TriggerStatus) o).lastScheduleTime)
        && Objects.equals(lastSuccessfulTime, ((TriggerStatus) o).lastSuccessfulTime)
        && Objects.equals(nextScheduleTime, ((TriggerStatus) o).nextScheduleTime)
        && Objects.equals(missedTicks, ((TriggerStatus) o).missedTicks);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        super.hashCode(),
        functions,
        shards,
        url,
        lastScheduleTime,
        lastSuccessfulTime,
        nextScheduleTime,
        missedTicks);
  }
}
