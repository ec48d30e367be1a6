package io.kubeless;

/**
 * The event a Kubeless Java function receives. The public fields are Kubeless's API, which
 * functions read directly ({@code event.Data}); the getters are for new code.
 */
public class Event {
  /** The request body, decoded as UTF-8. */
  public String Data;

  /** The {@code event-id} header, or a generated id. */
  public String EventID;

  /** The {@code event-type} header, or the request's content type. */
  public String EventType;

  /** The {@code event-time} header (RFC 3339), or the time the request arrived. */
  public String EventTime;

  /** The {@code event-namespace} header, e.g. {@code kafkatriggers.kubeless.io}. */
  public String EventNamespace;

  /**
   * The HTTP request ({@code Extensions.request}): method, path, query, headers, the body's bytes.
   * Not in Kubeless's Java runtime; the Python and Node.js runtimes have it.
   */
  public Extensions Extensions;

  /** Creates an event, in Kubeless's argument order, without a request. */
  public Event(
      String data, String eventId, String eventType, String eventTime, String eventNamespace) {
    this(data, eventId, eventType, eventTime, eventNamespace, new Extensions(null));
  }

  /** Creates an event with its extensions. */
  public Event(
      String data,
      String eventId,
      String eventType,
      String eventTime,
      String eventNamespace,
      Extensions extensions) {
    this.Data = data;
    this.EventID = eventId;
    this.EventType = eventType;
    this.EventTime = eventTime;
    this.EventNamespace = eventNamespace;
    this.Extensions = extensions;
  }

  public String getData() {
    return Data;
  }

  public String getEventID() {
    return EventID;
  }

  public String getEventType() {
    return EventType;
  }

  public String getEventTime() {
    return EventTime;
  }

  public String getEventNamespace() {
    return EventNamespace;
  }

  public Extensions getExtensions() {
    return Extensions;
  }
}
