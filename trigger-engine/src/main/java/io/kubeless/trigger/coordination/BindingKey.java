package io.kubeless.trigger.coordination;

import io.kubeless.trigger.TriggerId;

/**
 * A binding (a trigger and one of its functions): what shard ownership and checkpoints are kept
 * for. Two functions of one trigger read the stream independently, each with its own positions.
 */
public record BindingKey(TriggerId trigger, String function) {

  @Override
  public String toString() {
    return trigger + "/" + function;
  }
}
