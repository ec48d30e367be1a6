package io.kubeless.trigger.engine;

import java.util.List;

/**
 * What the engine does for one trigger, as its status shows it.
 *
 * @param problem why the spec was refused, or null
 * @param functions each bound function's state, ordered by name
 * @param source what the trigger reads, for a person ({@code topic orders}); null when refused
 * @param selection which functions it binds, for a person; null when refused
 */
public record TriggerState(
    String problem, List<BindingState> functions, String source, String selection) {

  public static TriggerState invalid(String problem) {
    return new TriggerState(problem, List.of(), null, null);
  }
}
