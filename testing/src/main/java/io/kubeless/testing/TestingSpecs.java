package io.kubeless.testing;

import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.engine.TriggerSpec;
import io.kubeless.trigger.engine.TriggerSpecSource;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A trigger-spec source a test drives by hand, as local mode's YAML files or the reconciler would:
 * for engine tests with no Kubernetes at all.
 */
public final class TestingSpecs<S> implements TriggerSpecSource<S> {

  private final Set<TriggerId> existing = ConcurrentHashMap.newKeySet();
  private volatile Listener<S> listener;

  @Override
  public void open(Listener<S> listener) {
    this.listener = listener;
  }

  @Override
  public Optional<Set<TriggerId>> existing() {
    return Optional.of(Set.copyOf(existing));
  }

  /** Creates or changes a trigger, created now. */
  public void apply(TriggerId id, S spec) {
    apply(id, Instant.now(), spec);
  }

  public void apply(TriggerId id, Instant created, S spec) {
    existing.add(id);
    listener.applied(new TriggerSpec<>(id, created, spec));
  }

  public void delete(TriggerId id) {
    existing.remove(id);
    listener.deleted(id);
  }
}
