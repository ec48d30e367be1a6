package io.kubeless.trigger.function;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Where and how to invoke one function.
 *
 * @param namespace the function's namespace
 * @param name the function's name
 * @param url where requests go, e.g. {@code http://hello.default.svc.cluster.local:8080}
 * @param timeout how long one invocation may take (the function's {@code spec.timeout})
 * @param ready whether the function has at least one endpoint that can take a request
 * @param labels the function's labels, which trigger selectors match
 */
public record FunctionEndpoint(
    String namespace,
    String name,
    URI url,
    Duration timeout,
    boolean ready,
    Map<String, String> labels) {

  public FunctionEndpoint {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(timeout, "timeout");
    labels = labels == null ? Map.of() : Map.copyOf(labels);
  }

  /** {@code namespace/name}, as log lines name a function. */
  public String key() {
    return namespace + "/" + name;
  }
}
