package io.kubeless.trigger;

/** A trigger resource by namespace and name; log lines write it {@code namespace/name}. */
public record TriggerId(String namespace, String name) {

  @Override
  public String toString() {
    return namespace + "/" + name;
  }
}
