package io.kubeless.trigger.engine;

import io.kubeless.trigger.TriggerId;
import java.time.Instant;
import java.util.Objects;

/**
 * A trigger as its spec source knows it.
 *
 * @param id namespace and name
 * @param created when the trigger was created: of two triggers that would deliver the same events
 *     to the same function, the older one does
 * @param spec the trigger's spec, as written
 */
public record TriggerSpec<S>(TriggerId id, Instant created, S spec) {

  public TriggerSpec {
    Objects.requireNonNull(id, "id");
    created = created == null ? Instant.EPOCH : created;
  }
}
