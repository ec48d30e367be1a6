package io.kubeless;

/**
 * The environment of a Kubeless Java function. The public fields are Kubeless's API; the getters
 * are for new code.
 */
public class Context {
  /** The handler's name ({@code FUNC_HANDLER}). */
  public String functionName;

  /** The timeout in seconds ({@code FUNC_TIMEOUT}), as Kubeless passed it: a string. */
  public String timeout;

  /** The runtime id ({@code FUNC_RUNTIME}), e.g. {@code java21}. */
  public String runtime;

  /** The memory limit ({@code FUNC_MEMORY_LIMIT}), e.g. {@code 128Mi}, or {@code 0}. */
  public String memoryLimit;

  /** Creates a context, in Kubeless's argument order. */
  public Context(String functionName, String timeout, String runtime, String memoryLimit) {
    this.functionName = functionName;
    this.timeout = timeout;
    this.runtime = runtime;
    this.memoryLimit = memoryLimit;
  }

  public String getFunctionName() {
    return functionName;
  }

  public String getTimeout() {
    return timeout;
  }

  public String getRuntime() {
    return runtime;
  }

  public String getMemoryLimit() {
    return memoryLimit;
  }
}
