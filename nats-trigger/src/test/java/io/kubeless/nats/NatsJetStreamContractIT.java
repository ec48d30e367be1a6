package io.kubeless.nats;

/**
 * The delivery contract on JetStream: a durable pull consumer acknowledging each batch before it
 * sends any of it, so a SIGKILL duplicates nothing and loses at most the one batch it had taken and
 * not sent ({@code kubeless.nats.batch-size}).
 */
class NatsJetStreamContractIT extends NatsContract {

  @Override
  boolean jetStream() {
    return true;
  }

  @Override
  protected int lossBoundPerKill(int units) {
    return BATCH;
  }
}
