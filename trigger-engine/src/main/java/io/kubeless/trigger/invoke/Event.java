package io.kubeless.trigger.invoke;

import java.time.Instant;
import java.util.List;
import java.util.Map;
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
 * @param headers the source's own headers (NATS message headers), passed through; never those of
 *     the wire contract, which the invoker sets, nor HTTP framing headers ({@link
 *     Invoker#passThrough})
 * @param reply told the function's response, for a source that answers (NATS request-reply), or
 *     null
 */
public record Event(
    String id,
    Instant time,
    String namespace,
    String topic,
    String source,
    String type,
    String contentType,
    byte[] payload,
    Map<String, List<String>> headers,
    Reply reply) {

  /** Where the function's response to a request-reply event goes. */
  @FunctionalInterface
  public interface Reply {

    /**
     * The function answered; called once, on an event loop, so it must not block.
     *
     * @param status the HTTP status
     * @param contentType the response's Content-Type, or null
     * @param body the response body
     */
    void respond(int status, String contentType, byte[] body);
  }

  /** An event without headers of its own and without a reply. */
  public Event(
      String id,
      Instant time,
      String namespace,
      String topic,
      String source,
      String type,
      String contentType,
      byte[] payload) {
    this(id, time, namespace, topic, source, type, contentType, payload, Map.of(), null);
  }

  public Event {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(type, "type");
    payload = payload == null ? new byte[0] : payload;
    headers = headers == null ? Map.of() : headers;
  }
}
