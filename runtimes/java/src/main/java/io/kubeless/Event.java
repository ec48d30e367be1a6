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

  /** Creates an event, in Kubeless's argument order. */
  public Event(
      String data, String eventId, String eventType, String eventTime, String eventNamespace) {
    this.Data = data;
    this.EventID = eventId;
    this.EventType = eventType;
    this.EventTime = eventTime;
    this.EventNamespace = eventNamespace;
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
}
