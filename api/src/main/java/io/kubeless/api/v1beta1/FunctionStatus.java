package io.kubeless.api.v1beta1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** Observed state of a {@link Function}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class FunctionStatus extends KubelessStatus {

  @JsonPropertyDescription("Pods of the function's Deployment that pass their readiness probe.")
  private Integer readyReplicas;

  @JsonPropertyDescription(
      "In-cluster URL that triggers call, http://<name>.<ns>.svc.cluster.local:<port>.")
  private String url;

  public Integer getReadyReplicas() {
    return readyReplicas;
  }

  public void setReadyReplicas(Integer readyReplicas) {
    this.readyReplicas = readyReplicas;
  }

  public String getUrl() {
    return url;
  }

  public void setUrl(String url) {
    this.url = url;
  }

  @Override
  public boolean equals(Object o) {
    return super.equals(o)
        && Objects.equals(readyReplicas, ((FunctionStatus) o).readyReplicas)
        && Objects.equals(url, ((FunctionStatus) o).url);
  }

  @Override
  public int hashCode() {
    return Objects.hash(super.hashCode(), readyReplicas, url);
  }
}
