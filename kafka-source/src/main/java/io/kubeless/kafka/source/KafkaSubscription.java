package io.kubeless.kafka.source;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.kubeless.trigger.delivery.Delivery;

/**
 * What a KafkaTrigger asks of the engine, checked and defaulted.
 *
 * @param topic the topic to consume
 * @param functionSelector the functions, in the trigger's namespace, that receive every record
 * @param initialOffset {@code latest} or {@code earliest}: where a new consumer group starts
 * @param delivery ordering and requests in flight per function
 */
public record KafkaSubscription(
    String topic,
    LabelSelector functionSelector,
    String initialOffset,
    Delivery.Settings delivery) {}
