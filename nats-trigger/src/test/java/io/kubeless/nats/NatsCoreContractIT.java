package io.kubeless.nats;

/**
 * The delivery contract on core NATS, which keeps nothing: a SIGKILL duplicates nothing and
 * delivery resumes after it, a graceful leave of a queue-group member loses nothing, and what
 * arrives while the function is unavailable is dropped and counted.
 */
class NatsCoreContractIT extends NatsContract {

  @Override
  boolean jetStream() {
    return false;
  }

  @Override
  protected boolean keepsEvents() {
    return false;
  }

  @Override
  protected int lossBoundPerKill(int units) {
    return Integer.MAX_VALUE; // what is published while no member is subscribed is gone
  }
}
