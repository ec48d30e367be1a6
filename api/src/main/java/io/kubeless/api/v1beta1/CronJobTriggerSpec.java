package io.kubeless.api.v1beta1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/** The desired state of a {@link CronJobTrigger}, with Kubeless's field names. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class CronJobTriggerSpec {

  @JsonPropertyDescription(
      "Cron expression (five fields, as Kubernetes CronJobs) or @every <duration>, e.g. @every 30s.")
  private String schedule;

  @JsonProperty("function-name")
  @JsonPropertyDescription("Name of the function to invoke, in the trigger's namespace.")
  private String functionName;

  @JsonPropertyDescription("Any JSON value sent as the request body on each tick.")
  private JsonNode payload;

  @JsonPropertyDescription(
      "IANA time zone the schedule is read in, e.g. Europe/Paris; the controller's (UTC) when"
          + " absent.")
  private String timeZone;

  @JsonPropertyDescription(
      "Allow (default): a tick fires even while the previous call runs; Forbid: that tick is"
          + " skipped and counted.")
  private String concurrencyPolicy;

  public String getTimeZone() {
    return timeZone;
  }

  public void setTimeZone(String timeZone) {
    this.timeZone = timeZone;
  }

  public String getConcurrencyPolicy() {
    return concurrencyPolicy;
  }

  public void setConcurrencyPolicy(String concurrencyPolicy) {
    this.concurrencyPolicy = concurrencyPolicy;
  }

  public String getSchedule() {
    return schedule;
  }

  public void setSchedule(String schedule) {
    this.schedule = schedule;
  }

  public String getFunctionName() {
    return functionName;
  }

  public void setFunctionName(String functionName) {
    this.functionName = functionName;
  }

  public JsonNode getPayload() {
    return payload;
  }

  public void setPayload(JsonNode payload) {
    this.payload = payload;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CronJobTriggerSpec that
        && Objects.equals(schedule, that.schedule)
        && Objects.equals(functionName, that.functionName)
        && Objects.equals(payload, that.payload)
        && Objects.equals(timeZone, that.timeZone)
        && Objects.equals(concurrencyPolicy, that.concurrencyPolicy);
  }

  @Override
  public int hashCode() {
    return Objects.hash(schedule, functionName, payload, timeZone, concurrencyPolicy);
  }
}
