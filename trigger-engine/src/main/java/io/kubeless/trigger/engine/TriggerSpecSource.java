package io.kubeless.trigger.engine;

import io.kubeless.trigger.TriggerId;
import java.util.Optional;
import java.util.Set;

/**
 * Where the engine learns which triggers exist: on Kubernetes the reconciler (from the API server),
 * in local mode the YAML files of {@code kubeless local up}. Either feeds the same {@link
 * Bindings}.
 */
public interface TriggerSpecSource<S> {

  /** Starts telling {@code listener} of every trigger applied (new or changed) and deleted. */
  void open(Listener<S> listener);

  /**
   * The triggers that exist now, when the source knows: bindings of any other trigger are stopped,
   * so a deletion that was missed cannot leave consumers behind. Empty while the source cannot tell
   * yet.
   */
  Optional<Set<TriggerId>> existing();

  /** Told about trigger specs. */
  interface Listener<S> {

    /** A trigger was created or its spec may have changed; calling it again is harmless. */
    void applied(TriggerSpec<S> trigger);

    /** A trigger is gone. */
    void deleted(TriggerId trigger);
  }
}
