package io.kubeless.nats.source;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.kubeless.trigger.delivery.Delivery;

/**
 * A NATSTrigger's spec, checked and defaulted.
 *
 * @param topic the subject, wildcards allowed
 * @param functionSelector the functions it binds
 * @param jetStream the JetStream consumer to read through, or null for core NATS
 * @param delivery ordering ({@code key}: per subject, by default), in-flight limit, retry
 */
public record NatsSubscription(
    String topic, LabelSelector functionSelector, JetStream jetStream, Delivery.Settings delivery) {

  /**
   * JetStream: a durable pull consumer per function, {@code <durablePrefix>_<function>}.
   *
   * @param stream the stream holding the subject
   * @param durablePrefix the prefix of the consumers' names
   * @param deliverAll whether a new consumer starts at the stream's first message (else at new
   *     ones)
   */
  public record JetStream(String stream, String durablePrefix, boolean deliverAll) {}
}
