package io.kubeless;

public class EventInfo {
  public String handler(io.kubeless.Event event, io.kubeless.Context context) {
    Request request = event.Extensions.request;
    return String.format(
        "{\"event-id\":\"%s\",\"event-type\":\"%s\",\"event-time\":\"%s\",\"event-namespace\":\"%s\","
            + "\"function-name\":\"%s\",\"timeout\":\"%s\",\"runtime\":\"%s\",\"memory-limit\":\"%s\","
            + "\"method\":\"%s\",\"path\":\"%s\"}",
        event.EventID, event.getEventType(), event.EventTime, event.EventNamespace,
        context.functionName, context.getTimeout(), context.runtime, context.memoryLimit,
        request.method, event.getExtensions().getRequest().getPath());
  }
}
