package io.kubeless.api.v1beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Observed state of a {@link KafkaTrigger}: conditions plus one entry per bound function. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class KafkaTriggerStatus extends TriggerStatus {

  @JsonPropertyDescription(
      "The functions matching functionSelector, by name, each with its readiness and lag.")
  private List<BoundFunctionStatus> functions = new ArrayList<>();

  public List<BoundFunctionStatus> getFunctions() {
    return functions;
  }

  public void setFunctions(List<BoundFunctionStatus> functions) {
    this.functions = functions == null ? new ArrayList<>() : functions;
  }

  @Override
  public boolean equals(Object o) {
    return super.equals(o) && Objects.equals(functions, ((KafkaTriggerStatus) o).functions);
  }

  @Override
  public int hashCode() {
    return Objects.hash(super.hashCode(), functions);
  }
}
