package io.kubeless.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.kubeless.trigger.function.FunctionEndpoint;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A function endpoint for tests of every trigger: a real HTTP server on 127.0.0.1 that records
 * every request it receives (event-id, headers, body) in arrival order, counts event ids (so
 * duplicates and losses can be counted) and the most requests it served at once, and answers as
 * told. It can go down (the port refuses connections) and come back on the same port.
 */
public final class RecordingFunction implements AutoCloseable {

  /** One received request. */
  public record Request(String eventId, Map<String, String> headers, byte[] body) {

    /** The partition of an id of the form {@code <topic>-<partition>-<offset>} (Kafka's). */
    public int partition() {
      String[] parts = eventId.split("-");
      return Integer.parseInt(parts[parts.length - 2]);
    }

    /** The offset of an id of the form {@code <topic>-<partition>-<offset>} (Kafka's). */
    public long offset() {
      String[] parts = eventId.split("-");
      return Long.parseLong(parts[parts.length - 1]);
    }
  }

  private final String name;
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
  private volatile Function<Request, Integer> behaviour = r -> 200;
  private volatile Function<Request, byte[]> response = r -> null;
  private volatile Function<Request, Duration> delay = r -> Duration.ZERO;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger mostInFlight = new AtomicInteger();
  private final int port;
  private HttpServer server;

  public RecordingFunction(String name) throws IOException {
    this(name, 0);
  }

  private RecordingFunction(String name, int port) throws IOException {
    this.name = name;
    this.server = start(port);
    this.port = server.getAddress().getPort();
  }

  private HttpServer start(int port) throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 200);
    s.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    s.createContext("/", this::handle);
    s.start();
    return s;
  }

  private void handle(HttpExchange exchange) throws IOException {
    byte[] body;
    try (InputStream in = exchange.getRequestBody()) {
      body = in.readAllBytes();
    }
    Map<String, String> headers = new HashMap<>();
    exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), v.getFirst()));
    Request request = new Request(headers.getOrDefault("event-id", ""), headers, body);
    requests.add(request);
    counts.computeIfAbsent(request.eventId(), id -> new AtomicInteger()).incrementAndGet();
    mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
    int status = 500;
    try {
      Duration wait = delay.apply(request);
      if (!wait.isZero()) {
        // the function's own work: a handler that takes this long
        Thread.sleep(wait);
      }
      status = behaviour.apply(request);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      // before answering: once answered, the client may send the next request at once
      inFlight.decrementAndGet();
    }
    try {
      byte[] answer = response.apply(request);
      if (answer == null) {
        exchange.sendResponseHeaders(status, -1);
      } else {
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, answer.length == 0 ? -1 : answer.length);
        exchange.getResponseBody().write(answer);
      }
    } finally {
      exchange.close();
    }
  }

  /** The endpoint a directory hands out for this function, with a timeout of 5 s. */
  public FunctionEndpoint endpoint(String namespace, Map<String, String> labels, boolean ready) {
    return endpoint(namespace, labels, ready, Duration.ofSeconds(5));
  }

  public FunctionEndpoint endpoint(
      String namespace, Map<String, String> labels, boolean ready, Duration timeout) {
    return new FunctionEndpoint(namespace, name, url(), timeout, ready, labels);
  }

  public URI url() {
    return URI.create("http://127.0.0.1:" + port);
  }

  public String name() {
    return name;
  }

  /** What the function answers with (a text body), or null for no body (the default). */
  public void respond(Function<Request, byte[]> body) {
    this.response = body;
  }

  public void answer(Function<Request, Integer> behaviour) {
    this.behaviour = behaviour;
  }

  /** Every request takes this long to answer. */
  public void delay(Duration delay) {
    this.delay = r -> delay;
  }

  /** Each request takes as long as {@code delay} says. */
  public void delay(Function<Request, Duration> delay) {
    this.delay = delay;
  }

  /** Closes the port: connections are refused until {@link #up()}. */
  public synchronized void down() {
    server.stop(0);
  }

  public synchronized void up() throws IOException {
    server = start(port);
  }

  public List<Request> requests() {
    return new ArrayList<>(requests);
  }

  public int received() {
    return requests.size();
  }

  /** The most requests the function was serving at the same time. */
  public int mostInFlight() {
    return mostInFlight.get();
  }

  public int distinct() {
    return counts.size();
  }

  /** Event ids received more than once. */
  public List<String> duplicates() {
    return counts.entrySet().stream()
        .filter(e -> e.getValue().get() > 1)
        .map(Map.Entry::getKey)
        .sorted()
        .toList();
  }

  public boolean receivedId(String eventId) {
    return counts.containsKey(eventId);
  }

  @Override
  public synchronized void close() {
    server.stop(0);
  }
}
