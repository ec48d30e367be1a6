package io.kubeless;

import java.util.List;
import java.util.Map;

/**
 * The HTTP request that invoked the function, in {@code event.Extensions.request}, as the Python
 * and Node.js runtimes give it (Kubeless's Java runtime gave none): what {@link Event} does not
 * carry, such as the method, the path, the headers and the body's exact bytes.
 */
public class Request {
  /** The method, e.g. {@code POST}. */
  public final String method;

  /** The path, e.g. {@code /orders/7}. */
  public final String path;

  /** The path and the query as sent, e.g. {@code /orders/7?full=1}. */
  public final String url;

  /** The query parameters, decoded, each with its values in order. */
  public final Map<String, List<String>> query;

  /** The headers; {@link #getHeader} looks a name up ignoring case. */
  public final Map<String, List<String>> headers;

  /** The body's bytes, as received (event.Data is them decoded as UTF-8). */
  public final byte[] body;

  public Request(
      String method,
      String path,
      String url,
      Map<String, List<String>> query,
      Map<String, List<String>> headers,
      byte[] body) {
    this.method = method;
    this.path = path;
    this.url = url;
    this.query = query;
    this.headers = headers;
    this.body = body;
  }

  /** The first value of the header {@code name} (any case), or null. */
  public String getHeader(String name) {
    List<String> values = headers.get(name);
    if (values != null && !values.isEmpty()) {
      return values.get(0);
    }
    for (Map.Entry<String, List<String>> header : headers.entrySet()) {
      if (header.getKey().equalsIgnoreCase(name) && !header.getValue().isEmpty()) {
        return header.getValue().get(0);
      }
    }
    return null;
  }

  public String getMethod() {
    return method;
  }

  public String getPath() {
    return path;
  }

  public String getUrl() {
    return url;
  }

  public Map<String, List<String>> getQuery() {
    return query;
  }

  public Map<String, List<String>> getHeaders() {
    return headers;
  }

  public byte[] getBody() {
    return body;
  }
}
