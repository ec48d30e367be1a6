package io.kubeless.api.v1beta1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.generator.annotation.Default;
import java.util.Objects;

/**
 * The desired state of a {@link Function}, with Kubeless's field names.
 *
 * <p>{@code deployment}, {@code service} and {@code horizontalPodAutoscaler} are kept as untyped
 * JSON: Kubeless clients send them as full (often zero-valued) Kubernetes objects, and a malformed
 * override must surface as a condition on this Function rather than fail deserialization.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class FunctionSpec {

  @JsonPropertyDescription("Entry point as <module>.<function>, e.g. 'hello.handler'.")
  private String handler;

  @JsonPropertyDescription("The code: text, base64, or a URL, as function-content-type says.")
  private String function;

  @JsonProperty("function-content-type")
  @JsonPropertyDescription(
      "How 'function' is encoded: text, base64 or url, optionally +zip or +compressedtar, and"
          + " +deps when the archive carries its own dependency file.")
  private String functionContentType;

  @JsonPropertyDescription("Expected digest of the code as sha256:<hex>.")
  private String checksum;

  @JsonPropertyDescription("Runtime id from the runtime catalogue, e.g. python3.12.")
  private String runtime;

  @JsonPropertyDescription("Maximum seconds one invocation may take.")
  @Default("180")
  private String timeout;

  @JsonPropertyDescription("Dependency file content (requirements.txt, package.json, pom.xml).")
  private String deps;

  @JsonPropertyDescription("A Deployment merged over the generated one; its values win.")
  private ObjectNode deployment;

  @JsonPropertyDescription("A ServiceSpec used as given when it declares ports.")
  private ObjectNode service;

  @JsonPropertyDescription("An autoscaler for the function's Deployment; none when unset.")
  private ObjectNode horizontalPodAutoscaler;

  public String getHandler() {
    return handler;
  }

  public void setHandler(String handler) {
    this.handler = handler;
  }

  public String getFunction() {
    return function;
  }

  public void setFunction(String function) {
    this.function = function;
  }

  public String getFunctionContentType() {
    return functionContentType;
  }

  public void setFunctionContentType(String functionContentType) {
    this.functionContentType = functionContentType;
  }

  public String getChecksum() {
    return checksum;
  }

  public void setChecksum(String checksum) {
    this.checksum = checksum;
  }

  public String getRuntime() {
    return runtime;
  }

  public void setRuntime(String runtime) {
    this.runtime = runtime;
  }

  public String getTimeout() {
    return timeout;
  }

  public void setTimeout(String timeout) {
    this.timeout = timeout;
  }

  public String getDeps() {
    return deps;
  }

  public void setDeps(String deps) {
    this.deps = deps;
  }

  public ObjectNode getDeployment() {
    return deployment;
  }

  public void setDeployment(ObjectNode deployment) {
    this.deployment = deployment;
  }

  public ObjectNode getService() {
    return service;
  }

  public void setService(ObjectNode service) {
    this.service = service;
  }

  public ObjectNode getHorizontalPodAutoscaler() {
    return horizontalPodAutoscaler;
  }

  public void setHorizontalPodAutoscaler(ObjectNode horizontalPodAutoscaler) {
    this.horizontalPodAutoscaler = horizontalPodAutoscaler;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof FunctionSpec that)) {
      return false;
    }
    return Objects.equals(handler, that.handler)
        && Objects.equals(function, that.function)
        && Objects.equals(functionContentType, that.functionContentType)
        && Objects.equals(checksum, that.checksum)
        && Objects.equals(runtime, that.runtime)
        && Objects.equals(timeout, that.timeout)
        && Objects.equals(deps, that.deps)
        && Objects.equals(deployment, that.deployment)
        && Objects.equals(service, that.service)
        && Objects.equals(horizontalPodAutoscaler, that.horizontalPodAutoscaler);
  }

  @Override
  public int hashCode() {
    return Objects.hash(handler, function, functionContentType, checksum, runtime, timeout, deps);
  }
}
