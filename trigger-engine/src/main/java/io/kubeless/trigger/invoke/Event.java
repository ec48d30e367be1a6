package io.kubeless.trigger.invoke;

import java.time.Instant;
import java.util.Objects;

/**
 * One event to deliver, as every trigger hands it to the {@link Invoker}.
 *
 * @param id stable identity of the event: the same event always carries the same id (Kafka: {@code
 *     <topic>-<partition>-<offset>})
 * @param time when the event happened
 * @param namespace the {@code event-namespace} header, {@code <plural>.kubeless.io}
 * @param topic the {@code event-topic} header (Kafka topic, NATS subject, Kinesis stream), or null
 * @param source the CloudEvents {@code ce-source}: a URI reference naming the trigger
 * @param type the CloudEvents {@code ce-type}, e.g. {@code io.kubeless.kafka.record}
 * @param contentType the content type the source declared for the payload, or null to sniff it
 * @param payload the body, sent byte for byte
 */
public record Event(
    String id,
    Instant time,
    String namespace,
    String topic,
    String source,
    String type,
    String contentType,
    byte[] payload) {

  public Event {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(type, "type");
    payload = payload == null ? new byte[0] : payload;
  }
}
