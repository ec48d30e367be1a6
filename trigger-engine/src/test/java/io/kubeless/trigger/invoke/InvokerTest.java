package io.kubeless.trigger.invoke;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.kubeless.trigger.function.FunctionEndpoint;
import io.vertx.core.Vertx;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class InvokerTest {

  private static Vertx vertx;
  private static Invoker invoker;

  private HttpServer server;
  private final List<Map<String, String>> headers = new CopyOnWriteArrayList<>();
  private final List<byte[]> bodies = new CopyOnWriteArrayList<>();
  private final Set<Integer> clientPorts = ConcurrentHashMap.newKeySet();
  private final AtomicInteger status = new AtomicInteger(200);
  private final AtomicReference<Duration> delay = new AtomicReference<>(Duration.ZERO);

  @BeforeAll
  static void client() {
    vertx = Vertx.vertx();
    invoker = new Invoker(vertx, Invoker.Options.defaults());
  }

  @AfterAll
  static void closeClient() {
    invoker.close();
    vertx.close();
  }

  @BeforeEach
  void startFunction() throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext(
        "/",
        exchange -> {
          Map<String, String> h = new HashMap<>();
          exchange.getRequestHeaders().forEach((k, v) -> h.put(k.toLowerCase(), v.getFirst()));
          try (InputStream in = exchange.getRequestBody()) {
            bodies.add(in.readAllBytes());
          }
          h.put("x-client-port", String.valueOf(exchange.getRemoteAddress().getPort()));
          headers.add(h);
          clientPorts.add(exchange.getRemoteAddress().getPort());
          try {
            Thread.sleep(delay.get());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          exchange.sendResponseHeaders(status.get(), -1);
          exchange.close();
        });
    server.start();
  }

  @AfterEach
  void stopFunction() {
    server.stop(0);
  }

  @Test
  void aSourcesOwnHeadersPassThroughButNeverTheContractsOrFramingOnes() {
    assertThat(Invoker.passThrough("X-Tenant", "acme")).isTrue();
    assertThat(Invoker.passThrough("Nats-Msg-Id", "order-1")).isTrue();
    for (String reserved :
        List.of(
            "event-id",
            "Event-Type",
            "ce-source",
            "Content-Type",
            "content-length",
            "Transfer-Encoding",
            "Host",
            "Connection",
            "Proxy-Authorization",
            "User-Agent")) {
      assertThat(Invoker.passThrough(reserved, "x")).as(reserved).isFalse();
    }
    assertThat(Invoker.passThrough("bad name", "x")).isFalse();
    assertThat(Invoker.passThrough("X-Line", "a\r\nInjected: 1")).isFalse();
    assertThat(Invoker.passThrough("X-Wide", "\u20ac")).isFalse();
  }

  @Test
  void sendsThePayloadUnchangedWithTheWireContractHeaders() throws Exception {
    byte[] payload = "{\"order\":42}".getBytes(StandardCharsets.UTF_8);
    Instant time = Instant.parse("2024-05-01T10:15:30.250Z");

    Outcome outcome =
        invoker.invoke(endpoint(Duration.ofSeconds(5)), event("orders-2-17", time, null, payload));

    assertThat(outcome.kind()).isEqualTo(Outcome.Kind.SUCCESS);
    assertThat(outcome.status()).isEqualTo(200);
    assertThat(bodies.getFirst()).isEqualTo(payload);
    assertThat(headers.getFirst())
        .containsEntry("event-id", "orders-2-17")
        .containsEntry("event-time", "2024-05-01T10:15:30.250Z")
        .containsEntry("event-namespace", "kafkatriggers.kubeless.io")
        .containsEntry("event-type", "application/json")
        .containsEntry("content-type", "application/json")
        .containsEntry("event-topic", "orders")
        .containsEntry("ce-specversion", "1.0")
        .containsEntry("ce-id", "orders-2-17")
        .containsEntry("ce-source", "/test")
        .containsEntry("ce-type", "io.kubeless.test")
        .containsEntry("ce-time", "2024-05-01T10:15:30.250Z");
  }

  @Test
  void a2xxIsSuccessAndAnythingElseAFunctionError() throws Exception {
    status.set(202);
    assertThat(send().kind()).isEqualTo(Outcome.Kind.SUCCESS);
    status.set(500);
    Outcome failed = send();
    assertThat(failed.kind()).isEqualTo(Outcome.Kind.FUNCTION_ERROR);
    assertThat(failed.status()).isEqualTo(500);
    assertThat(failed.mayHaveReachedFunction()).isTrue();
    status.set(404);
    assertThat(send().kind()).isEqualTo(Outcome.Kind.FUNCTION_ERROR);
  }

  @Test
  void aFunctionSlowerThanItsTimeoutPlusTheGraceTimesOutOnce() throws Exception {
    delay.set(Duration.ofSeconds(4));
    Outcome outcome =
        invoker.invoke(
            endpoint(Duration.ofMillis(300)), event("t-0-1", Instant.now(), null, new byte[0]));

    assertThat(outcome.kind()).isEqualTo(Outcome.Kind.TIMEOUT);
    // the function's 300 ms plus the default grace of 2 s
    assertThat(outcome.duration()).isBetween(Duration.ofMillis(2300), Duration.ofSeconds(4));
    // The function answers after 4 s; nothing may be sent again meanwhile or afterwards.
    await()
        .during(Duration.ofMillis(4500))
        .atMost(Duration.ofSeconds(7))
        .until(() -> headers.size() == 1);
  }

  @Test
  void aRuntimesOwn408AtItsTimeoutArrivesBeforeTheClientGivesUp() throws Exception {
    // what a runtime does when the handler overruns FUNC_TIMEOUT: it answers 408 at that moment
    delay.set(Duration.ofMillis(300));
    status.set(408);
    Outcome outcome =
        invoker.invoke(
            endpoint(Duration.ofMillis(300)), event("t-0-1", Instant.now(), null, new byte[0]));

    assertThat(outcome.kind()).isEqualTo(Outcome.Kind.FUNCTION_ERROR);
    assertThat(outcome.status()).isEqualTo(408);
  }

  @Test
  void requestsWaitingForAPooledConnectionAreBackPressureNotAnUnavailableFunction()
      throws Exception {
    // two connections, a connect timeout well below the function's time per request: requests
    // queue for a connection longer than the connect timeout, and none is "unavailable"
    Invoker small =
        new Invoker(
            vertx,
            new Invoker.Options(
                Duration.ofMillis(200), Duration.ofSeconds(15), 2, Duration.ofSeconds(2)));
    delay.set(Duration.ofMillis(400));
    try {
      List<io.vertx.core.Future<Outcome>> sent = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        sent.add(
            small.send(
                endpoint(Duration.ofSeconds(10)),
                event("t-0-" + i, Instant.now(), null, new byte[] {1})));
      }
      List<Outcome> outcomes = new ArrayList<>();
      for (var future : sent) {
        outcomes.add(future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
      }
      assertThat(outcomes).extracting(Outcome::kind).containsOnly(Outcome.Kind.SUCCESS);
      assertThat(clientPorts).hasSize(2);
    } finally {
      small.close();
    }
  }

  @Test
  void aRefusedConnectionIsUnavailableAndSafeToRetry() throws Exception {
    int closed;
    try (ServerSocket socket = new ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    FunctionEndpoint nowhere =
        new FunctionEndpoint(
            "ns",
            "gone",
            URI.create("http://127.0.0.1:" + closed),
            Duration.ofSeconds(5),
            true,
            Map.of());

    Outcome outcome = invoker.invoke(nowhere, event("t-0-1", Instant.now(), null, new byte[0]));

    assertThat(outcome.kind()).isEqualTo(Outcome.Kind.UNAVAILABLE);
    assertThat(outcome.mayHaveReachedFunction()).isFalse();
  }

  @Test
  void aFunctionWithoutReadyEndpointIsUnavailableWithoutAnyRequest() throws Exception {
    FunctionEndpoint notReady =
        new FunctionEndpoint("ns", "fn", url(), Duration.ofSeconds(5), false, Map.of());

    assertThat(invoker.invoke(notReady, event("t-0-1", Instant.now(), null, new byte[0])).kind())
        .isEqualTo(Outcome.Kind.UNAVAILABLE);
    assertThat(headers).isEmpty();
  }

  @Test
  void aConnectionDroppedAfterTheRequestLeftIsAFunctionErrorAndIsNotRetried() throws Exception {
    AtomicInteger requests = new AtomicInteger();
    try (ServerSocket rude = new ServerSocket(0)) {
      Thread.ofVirtual()
          .start(
              () -> {
                while (!rude.isClosed()) {
                  try (Socket s = rude.accept()) {
                    s.getInputStream().read(new byte[8192]);
                    requests.incrementAndGet();
                  } catch (Exception e) {
                    return;
                  }
                }
              });
      FunctionEndpoint endpoint =
          new FunctionEndpoint(
              "ns",
              "rude",
              URI.create("http://127.0.0.1:" + rude.getLocalPort()),
              Duration.ofSeconds(5),
              true,
              Map.of());

      Outcome outcome =
          invoker.invoke(endpoint, event("t-0-1", Instant.now(), null, "x".getBytes()));

      assertThat(outcome.kind()).isEqualTo(Outcome.Kind.FUNCTION_ERROR);
      await()
          .during(Duration.ofMillis(500))
          .atMost(Duration.ofSeconds(3))
          .until(() -> requests.get() == 1);
    }
  }

  @Test
  void aMalformedDeclaredContentTypeIsIgnoredAndThePayloadSniffed() throws Exception {
    for (String declared : List.of("text/plain\u0000", "application/json\nX-Injected: 1", "json")) {
      Outcome outcome =
          invoker.invoke(
              endpoint(Duration.ofSeconds(5)),
              event("t-0-1", Instant.now(), declared, "{\"a\":1}".getBytes()));

      assertThat(outcome.kind()).as(declared).isEqualTo(Outcome.Kind.SUCCESS);
      assertThat(headers.getLast())
          .as(declared)
          .containsEntry("content-type", "application/json")
          .containsEntry("event-type", "application/json")
          .doesNotContainKey("x-injected");
    }
  }

  @Test
  void aFunctionUrlTheClientCannotUseIsDroppedNotRetriedAndSendNeverThrows() throws Exception {
    for (String url :
        List.of(
            "gopher://127.0.0.1:" + server.getAddress().getPort(),
            "unknown-scheme:/nowhere",
            "/relative/only")) {
      FunctionEndpoint bad =
          new FunctionEndpoint("ns", "bad", URI.create(url), Duration.ofSeconds(5), true, Map.of());

      var sent = invoker.send(bad, event("t-0-1", Instant.now(), null, "x".getBytes()));

      Outcome outcome = sent.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      assertThat(outcome.kind()).as(url).isEqualTo(Outcome.Kind.FUNCTION_ERROR);
      assertThat(outcome.mayHaveReachedFunction()).as("never retried: %s", url).isTrue();
      assertThat(outcome.detail()).as(url).startsWith("request not sent");
    }
    assertThat(headers).isEmpty();
  }

  @Test
  void anEventWithAHeaderValueHttpCannotCarryIsDroppedWithoutAnyRequest() throws Exception {
    Event broken =
        new Event(
            "t-0-1",
            Instant.now(),
            "kafkatriggers.kubeless.io",
            "orders\r\nX-Injected: 1",
            "/test",
            "io.kubeless.test",
            null,
            "x".getBytes());

    Outcome outcome =
        invoker
            .send(endpoint(Duration.ofSeconds(5)), broken)
            .toCompletionStage()
            .toCompletableFuture()
            .get(5, TimeUnit.SECONDS);

    assertThat(outcome.kind()).isEqualTo(Outcome.Kind.FUNCTION_ERROR);
    assertThat(outcome.mayHaveReachedFunction()).isTrue();
    assertThat(outcome.detail()).contains("event-topic");
    // the pool is not left holding a connection: the next event goes through
    assertThat(send().kind()).isEqualTo(Outcome.Kind.SUCCESS);
    assertThat(headers).hasSize(1);
  }

  @Test
  void keepsConnectionsAliveAcrossRequests() throws Exception {
    for (int i = 0; i < 20; i++) {
      assertThat(send().kind()).isEqualTo(Outcome.Kind.SUCCESS);
    }
    // a connection returns to the pool just after its response completes, so the next request
    // may occasionally open a second one; never one per request
    assertThat(clientPorts).hasSizeLessThanOrEqualTo(2);
  }

  @Test
  void eachEventLoopSendsOnConnectionsOfItsOwn() throws Exception {
    // two bindings' loops, one after the other on the same function: a connection one made must
    // not serve the other (its requests and responses would hop between the two threads)
    Map<String, Set<String>> portsByLoop = new HashMap<>();
    for (int loop = 0; loop < 2; loop++) {
      // from a thread of its own, as each binding's loop: Vert.x gives a thread one context
      java.util.concurrent.atomic.AtomicReference<java.util.concurrent.Executor> made =
          new java.util.concurrent.atomic.AtomicReference<>();
      Thread.ofPlatform().start(() -> made.set(invoker.newEventLoop())).join();
      java.util.concurrent.Executor executor = made.get();
      for (int i = 0; i < 10; i++) {
        String id = "loop" + loop + "-" + i;
        CompletableFuture<String> sentFrom = new CompletableFuture<>();
        executor.execute(
            () -> {
              String thread = Thread.currentThread().getName();
              invoker
                  .send(
                      endpoint(Duration.ofSeconds(5)), event(id, Instant.now(), null, new byte[1]))
                  .onComplete(
                      r ->
                          sentFrom.complete(
                              r.succeeded() && r.result().kind() == Outcome.Kind.SUCCESS
                                  ? thread
                                  : "failed: " + r.result()));
            });
        String thread = sentFrom.get(10, TimeUnit.SECONDS);
        assertThat(thread).startsWith("vert.x-eventloop");
        String port =
            headers.stream()
                .filter(h -> id.equals(h.get("event-id")))
                .findFirst()
                .orElseThrow()
                .get("x-client-port");
        portsByLoop.computeIfAbsent(thread, t -> new java.util.HashSet<>()).add(port);
      }
    }
    assertThat(portsByLoop).hasSize(2);
    List<Set<String>> ports = List.copyOf(portsByLoop.values());
    assertThat(ports.get(0)).doesNotContainAnyElementsOf(ports.get(1));
  }

  @Test
  void manyConcurrentRequestsShareThePool() throws Exception {
    List<Thread> threads = new ArrayList<>();
    AtomicInteger ok = new AtomicInteger();
    for (int i = 0; i < 50; i++) {
      threads.add(
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      if (send().kind() == Outcome.Kind.SUCCESS) {
                        ok.incrementAndGet();
                      }
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  }));
    }
    for (Thread t : threads) {
      t.join();
    }
    assertThat(ok).hasValue(50);
  }

  private Outcome send() throws InterruptedException {
    return invoker.invoke(
        endpoint(Duration.ofSeconds(5)), event("t-0-1", Instant.now(), null, new byte[] {1}));
  }

  private URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  private FunctionEndpoint endpoint(Duration timeout) {
    return new FunctionEndpoint("ns", "fn", url(), timeout, true, Map.of());
  }

  private static Event event(String id, Instant time, String contentType, byte[] payload) {
    return new Event(
        id,
        time,
        "kafkatriggers.kubeless.io",
        "orders",
        "/test",
        "io.kubeless.test",
        contentType,
        payload);
  }
}
