package io.kubeless;

import java.util.Map;

/** Answers what the request extension shows of the request. */
public class Inspect {
  public Map<String, Object> handler(io.kubeless.Event event, io.kubeless.Context context) {
    Request request = event.Extensions.request;
    return Map.of(
        "method", request.method,
        "path", request.getPath(),
        "url", request.url,
        "query", request.query,
        "header", String.valueOf(request.getHeader("x-trace-ID")),
        "bodyBytes", request.body.length,
        "dataLength", event.Data.length());
  }
}
