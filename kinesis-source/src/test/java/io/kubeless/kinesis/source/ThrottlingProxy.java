package io.kubeless.kinesis.source;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fault injection in front of the real emulator, which never throttles: it passes every request on
 * to kinesis-local unchanged, except the first {@code throttle} GetRecords calls, which it answers
 * as Kinesis answers a shard read more than 5 times a second ({@code
 * ProvisionedThroughputExceededException}, HTTP 400).
 */
final class ThrottlingProxy implements AutoCloseable {

  private static final Set<String> NOT_FORWARDED =
      Set.of("host", "content-length", "connection", "expect", "upgrade", "transfer-encoding");

  private final HttpServer server;
  private final HttpClient client =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final URI target;
  private final AtomicInteger left;
  private final AtomicInteger throttled = new AtomicInteger();
  private final AtomicInteger getRecords = new AtomicInteger();

  ThrottlingProxy(String target, int throttle) throws IOException {
    this.target = URI.create(target);
    this.left = new AtomicInteger(throttle);
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/", this::handle);
    server.start();
  }

  String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** GetRecords calls answered as throttled so far. */
  int throttled() {
    return throttled.get();
  }

  /** GetRecords calls received so far, throttled or passed on. */
  int getRecords() {
    return getRecords.get();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      String action = exchange.getRequestHeaders().getFirst("X-Amz-Target");
      if (action != null && action.endsWith(".GetRecords")) {
        getRecords.incrementAndGet();
        if (left.getAndDecrement() > 0) {
          throttled.incrementAndGet();
          byte[] error =
              ("{\"__type\":\"ProvisionedThroughputExceededException\","
                      + "\"message\":\"Rate exceeded for shard\"}")
                  .getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.1");
          exchange
              .getResponseHeaders()
              .set("x-amzn-ErrorType", "ProvisionedThroughputExceededException:");
          exchange.sendResponseHeaders(400, error.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(error);
          }
          return;
        }
      }
      HttpRequest.Builder forward =
          HttpRequest.newBuilder(target.resolve(exchange.getRequestURI().toString()))
              .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
      for (Map.Entry<String, List<String>> h : exchange.getRequestHeaders().entrySet()) {
        if (!NOT_FORWARDED.contains(h.getKey().toLowerCase(java.util.Locale.ROOT))) {
          h.getValue().forEach(v -> forward.header(h.getKey(), v));
        }
      }
      HttpResponse<byte[]> answer;
      try {
        answer = client.send(forward.build(), HttpResponse.BodyHandlers.ofByteArray());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
      answer
          .headers()
          .map()
          .forEach(
              (name, values) -> {
                if (!NOT_FORWARDED.contains(name.toLowerCase(java.util.Locale.ROOT))
                    && !name.startsWith(":")) {
                  exchange.getResponseHeaders().put(name, values);
                }
              });
      byte[] out = answer.body();
      exchange.sendResponseHeaders(answer.statusCode(), out.length == 0 ? -1 : out.length);
      if (out.length > 0) {
        try (OutputStream stream = exchange.getResponseBody()) {
          stream.write(out);
        }
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    client.close();
  }
}
