package io.kubeless.api.v1beta1;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** The desired state of an {@link HTTPTrigger}, with Kubeless's field names. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public class HTTPTriggerSpec {

  @JsonProperty("function-name")
  @JsonPropertyDescription("Name of the function to expose, in the trigger's namespace.")
  private String functionName;

  @JsonProperty("host-name")
  @JsonPropertyDescription("Virtual host the route answers on.")
  private String hostName;

  @JsonPropertyDescription("Request a certificate for the host automatically (cert-manager ACME).")
  private Boolean tls;

  @JsonProperty("tls-secret")
  @JsonPropertyDescription("Secret holding the TLS certificate and key for the host.")
  private String tlsSecret;

  @JsonPropertyDescription("URL path prefix routed to the function.")
  private String path;

  @JsonProperty("basic-auth-secret")
  @JsonPropertyDescription("Secret holding htpasswd credentials required by the route.")
  private String basicAuthSecret;

  @JsonPropertyDescription("Ingress class or gateway implementation, e.g. nginx.")
  private String gateway;

  @JsonProperty("cors-enable")
  @JsonPropertyDescription("Answer CORS preflight requests and add CORS headers.")
  private Boolean corsEnable;

  public String getFunctionName() {
    return functionName;
  }

  public void setFunctionName(String functionName) {
    this.functionName = functionName;
  }

  public String getHostName() {
    return hostName;
  }

  public void setHostName(String hostName) {
    this.hostName = hostName;
  }

  public Boolean getTls() {
    return tls;
  }

  public void setTls(Boolean tls) {
    this.tls = tls;
  }

  public String getTlsSecret() {
    return tlsSecret;
  }

  public void setTlsSecret(String tlsSecret) {
    this.tlsSecret = tlsSecret;
  }

  public String getPath() {
    return path;
  }

  public void setPath(String path) {
    this.path = path;
  }

  public String getBasicAuthSecret() {
    return basicAuthSecret;
  }

  public void setBasicAuthSecret(String basicAuthSecret) {
    this.basicAuthSecret = basicAuthSecret;
  }

  public String getGateway() {
    return gateway;
  }

  public void setGateway(String gateway) {
    this.gateway = gateway;
  }

  public Boolean getCorsEnable() {
    return corsEnable;
  }

  public void setCorsEnable(Boolean corsEnable) {
    this.corsEnable = corsEnable;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HTTPTriggerSpec that
        && Objects.equals(functionName, that.functionName)
        && Objects.equals(hostName, that.hostName)
        && Objects.equals(tls, that.tls)
        && Objects.equals(tlsSecret, that.tlsSecret)
        && Objects.equals(path, that.path)
        && Objects.equals(basicAuthSecret, that.basicAuthSecret)
        && Objects.equals(gateway, that.gateway)
        && Objects.equals(corsEnable, that.corsEnable);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        functionName, hostName, tls, tlsSecret, path, basicAuthSecret, gateway, corsEnable);
  }
}
