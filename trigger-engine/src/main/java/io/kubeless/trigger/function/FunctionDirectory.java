package io.kubeless.trigger.function;

import io.fabric8.kubernetes.api.model.LabelSelector;
import java.util.List;
import java.util.Optional;

/**
 * Resolves the functions a trigger is bound to. On Kubernetes an informer over {@code Function}
 * backs it (trigger-kubernetes); in local mode the local runner's registry; in engine tests a map.
 * Lookups are in memory and cheap: engines call them for every event.
 */
public interface FunctionDirectory {

  /**
   * The functions of {@code namespace} whose labels match {@code selector}, ordered by name. An
   * empty selector ({@code {}}) matches every function of the namespace.
   *
   * @throws IllegalArgumentException when the selector is malformed (see {@link
   *     LabelSelectors#validate})
   */
  List<FunctionEndpoint> select(String namespace, LabelSelector selector);

  /** The function {@code namespace/name}, if it exists. */
  Optional<FunctionEndpoint> find(String namespace, String name);

  /**
   * Calls {@code listener} after a function appeared, changed (labels, URL, timeout, readiness) or
   * disappeared. Listeners run on the directory's own thread and must return quickly.
   *
   * @return closing it removes the listener
   */
  AutoCloseable subscribe(Listener listener);

  /** Told about changed functions. */
  @FunctionalInterface
  interface Listener {

    /** The function {@code namespace/name} was added, updated or deleted. */
    void functionChanged(String namespace, String name);
  }
}
