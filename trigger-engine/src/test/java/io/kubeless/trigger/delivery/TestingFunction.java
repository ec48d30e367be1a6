package io.kubeless.trigger.delivery;

import com.sun.net.httpserver.HttpServer;
import io.kubeless.trigger.function.FunctionEndpoint;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A function for the engine's own tests: a real HTTP server recording the bodies it receives, in
 * arrival order, and the most requests it served at once; each request takes {@code delay}.
 */
final class TestingFunction implements AutoCloseable {

  final List<String> bodies = new CopyOnWriteArrayList<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger most = new AtomicInteger();
  private final int port;
  private volatile Duration delay = Duration.ZERO;
  private HttpServer server;

  TestingFunction() throws IOException {
    this(0);
  }

  private TestingFunction(int port) throws IOException {
    server = start(port);
    this.port = server.getAddress().getPort();
  }

  /** A port nothing listens on yet; {@link #on(int)} starts a function there later. */
  static int freePort() throws IOException {
    try (var socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  static TestingFunction on(int port) throws IOException {
    return new TestingFunction(port);
  }

  private HttpServer start(int port) throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 100);
    s.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    s.createContext(
        "/",
        exchange -> {
          try (InputStream in = exchange.getRequestBody()) {
            bodies.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
          }
          most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
          try {
            // the handler's own work
            Thread.sleep(delay);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            // before answering: once answered, the client may send the next request at once
            inFlight.decrementAndGet();
          }
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    s.start();
    return s;
  }

  void delay(Duration delay) {
    this.delay = delay;
  }

  int mostInFlight() {
    return most.get();
  }

  FunctionEndpoint endpoint(String name, boolean ready) {
    return endpoint(port, name, ready);
  }

  static FunctionEndpoint endpoint(int port, String name, boolean ready) {
    return new FunctionEndpoint(
        "ns", name, URI.create("http://127.0.0.1:" + port), Duration.ofSeconds(5), ready, Map.of());
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
