package io.kubeless.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kubeless.api.function.RuntimeNames;
import io.kubeless.console.bundle.ConsoleBundle;
import io.kubeless.console.call.FunctionCall;
import io.kubeless.console.messages.TestMessages;
import io.kubeless.console.messages.TopicPeek;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Local mode's admin HTTP API, on 127.0.0.1 only: the functions and triggers with their state, a
 * function's call, its log lines (server-sent events) and its runtime's metrics, and the web
 * console that drives them. The CLI's {@code --target local} uses it too.
 *
 * <pre>
 * GET  /                                    the web console (its page; its bundle beside it)
 * GET  /api                                 the endpoints
 * GET  /api/runtimes                        [{name, runs}]: the runtime names a Function may give
 * POST /api/publish/{kafka|nats}/{topic}    the body published to local mode's broker or server
 * GET  /api/functions                       [{namespace, name, runtime, handler, deps, url, ready, pid, exitCode, labels}]
 * GET  /api/functions/{ns}/{name}           one of them
 * GET  /api/triggers                        [{kind, namespace, name, topic, problem, functions: [{function, phase, reason, message, events, failures, lag}]}]
 * ANY  /api/functions/{ns}/{name}/call      proxied to the function (method, headers, query, body)
 * GET  /api/functions/{ns}/{name}/logs      text/event-stream: ?tail=N (200) last lines, then live ones; ?follow=false to end there;
 *                                           ?replica=R only that replica's; ?format=json each line as {replica, line}
 * GET  /api/functions/{ns}/{name}/replicas  [{name, ready, started}]: local mode runs one process, named by its pid
 * GET  /api/functions/{ns}/{name}/metrics   the runtime's /metrics
 * GET  /api/peek/kafka/{topic}?limit=N      {topic, messages: [{partition, offset, timestamp, key, value, encoding}]}, newest last
 * GET  /api/peek/nats/{subject}?limit=N     {subject, stream, messages: [...]}: what a JetStream stream captured
 * GET|PUT|DELETE /api/resources/...         resources applied as files (see {@link ResourceApi})
 * </pre>
 *
 * Only loopback clients, a loopback {@code Host} and no foreign {@code Origin} (a web page cannot
 * drive it); anything else is 403. An unknown function is a 404 with a JSON {@code error}.
 */
final class AdminServer implements AutoCloseable {

  private static final ObjectMapper JSON = Serialization.jsonMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static final String DONE = new String("done"); // identity marks the end of a stream

  private final LocalPlatform platform;
  private final ResourceApi resources;
  private final ConsoleBundle console = new ConsoleBundle();
  private final HttpServer server;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final List<LinkedBlockingQueue<String>> streams =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile boolean closed;

  private AdminServer(LocalPlatform platform) throws IOException {
    this.platform = platform;
    this.resources = new ResourceApi(platform);
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
  }

  static AdminServer start(LocalPlatform platform) throws IOException {
    AdminServer admin = new AdminServer(platform);
    admin.server.start();
    return admin;
  }

  /** {@code http://127.0.0.1:PORT/}. */
  URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
  }

  @Override
  public void close() {
    closed = true;
    streams.forEach(q -> q.offer(DONE));
    server.stop(0);
    executor.shutdownNow();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      if (!allowed(ex)) {
        error(ex, 403, "only local clients may use the admin API");
        return;
      }
      String path = ex.getRequestURI().getRawPath();
      String method = ex.getRequestMethod();
      List<String> parts = new ArrayList<>();
      for (String p : path.split("/")) {
        if (!p.isEmpty()) {
          parts.add(URLDecoder.decode(p, StandardCharsets.UTF_8));
        }
      }
      if (parts.isEmpty() || !parts.get(0).equals("api")) {
        console(ex, path);
        return;
      }
      if (parts.size() == 1) {
        if (get(ex)) {
          json(ex, 200, index());
        }
        return;
      }
      String what = parts.get(1);
      if (what.equals("runtimes") && parts.size() == 2) {
        if (get(ex)) {
          json(ex, 200, runtimes());
        }
        return;
      }
      if (what.equals("publish") && parts.size() == 4) {
        publish(ex, parts.get(2), parts.get(3));
        return;
      }
      if (what.equals("peek") && parts.size() == 4) {
        if (get(ex)) {
          peek(ex, parts.get(2), parts.get(3));
        }
        return;
      }
      if (what.equals("resources")) {
        ResourceApi.Reply reply =
            resources.handle(
                method,
                parts.subList(2, parts.size()),
                ex.getRequestBody().readAllBytes(),
                "true".equals(query(ex).get("dryRun")));
        json(ex, reply.status(), reply.body());
        return;
      }
      if (what.equals("triggers") && parts.size() == 2) {
        if (get(ex)) {
          json(ex, 200, platform.triggerStates());
        }
        return;
      }
      if (!what.equals("functions") || parts.size() == 3 || parts.size() > 5) {
        error(ex, 404, "no such endpoint: " + path);
        return;
      }
      if (parts.size() == 2) {
        if (get(ex)) {
          List<Object> all = new ArrayList<>();
          platform.runningByKey().forEach((k, p) -> all.add(describe(p)));
          json(ex, 200, all);
        }
        return;
      }
      String ns = parts.get(2);
      String name = parts.get(3);
      FunctionProcess fp = platform.runningByKey().get(ns + "/" + name);
      if (fp == null) {
        error(ex, 404, "function \"%s\" not found in namespace \"%s\"".formatted(name, ns));
        return;
      }
      String action = parts.size() == 5 ? parts.get(4) : "";
      switch (action) {
        case "" -> {
          if (get(ex)) {
            json(ex, 200, describe(fp));
          }
        }
        case "call" -> call(ex, fp);
        case "logs" -> {
          if (get(ex)) {
            logs(ex, fp);
          }
        }
        case "metrics" -> {
          if (get(ex)) {
            metrics(ex, fp);
          }
        }
        case "replicas" -> {
          if (get(ex)) {
            json(ex, 200, replicas(fp));
          }
        }
        default -> error(ex, 404, "no such endpoint: " + path);
      }
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
        return;
      }
      // the client went away, or an answer was already under way
      if (!closed && ex.getResponseCode() == -1) {
        try {
          error(ex, 500, e.toString());
        } catch (IOException | RuntimeException ignored) {
          // nothing more to do
        }
      }
    }
  }

  /**
   * Loopback clients only, addressing the API by a loopback name (no DNS rebinding), and no request
   * a page of another origin sent.
   */
  private boolean allowed(HttpExchange ex) {
    if (!ex.getRemoteAddress().getAddress().isLoopbackAddress()) {
      return false;
    }
    int port = server.getAddress().getPort();
    Set<String> self = Set.of("127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port);
    String host = ex.getRequestHeaders().getFirst("Host");
    if (host == null || !self.contains(host.toLowerCase(Locale.ROOT))) {
      return false;
    }
    String origin = ex.getRequestHeaders().getFirst("Origin");
    return origin == null || self.stream().anyMatch(s -> origin.equalsIgnoreCase("http://" + s));
  }

  private static boolean get(HttpExchange ex) throws IOException {
    if (ex.getRequestMethod().equals("GET")) {
      return true;
    }
    ex.getResponseHeaders().set("Allow", "GET");
    error(ex, 405, "method " + ex.getRequestMethod() + " not allowed");
    return false;
  }

  /** The web console's files: {@code /} is its page, the rest its bundle (see ConsoleBundle). */
  private void console(HttpExchange ex, String path) throws IOException {
    String method = ex.getRequestMethod();
    if (!method.equals("GET") && !method.equals("HEAD")) {
      ex.getResponseHeaders().set("Allow", "GET, HEAD");
      error(ex, 405, "method " + method + " not allowed");
      return;
    }
    var file = console.find(path);
    if (file.isEmpty()) {
      error(
          ex,
          404,
          path.equals("/")
              ? "this build has no web console (the console module's jar is not on the classpath)"
              : "no such file: " + path);
      return;
    }
    var h = ex.getResponseHeaders();
    h.set("Content-Type", file.get().contentType());
    h.set("Cache-Control", file.get().cacheControl());
    ConsoleBundle.SECURITY_HEADERS.forEach(h::set);
    send(ex, 200, file.get().body());
  }

  /** The runtime names a Function may give: the current ones, then Kubeless's that run on them. */
  private static List<Map<String, String>> runtimes() {
    return RuntimeNames.catalogue();
  }

  /**
   * {@code POST /api/publish/kafka/{topic}} or {@code /api/publish/nats/{subject}}: the body
   * published to local mode's broker or server, to try a trigger.
   */
  private void publish(HttpExchange ex, String system, String topic) throws Exception {
    if (!ex.getRequestMethod().equals("POST")) {
      ex.getResponseHeaders().set("Allow", "POST");
      error(ex, 405, "method " + ex.getRequestMethod() + " not allowed");
      return;
    }
    byte[] body = ex.getRequestBody().readAllBytes();
    if (topic.isBlank() || topic.chars().anyMatch(c -> c <= ' ')) {
      error(ex, 400, "\"%s\" is not a topic or subject".formatted(topic));
      return;
    }
    switch (system) {
      case "kafka" -> {
        var bootstrap = platform.kafkaBootstrap();
        if (bootstrap.isEmpty()) {
          error(ex, 409, "local mode runs no Kafka: it starts one with the first KafkaTrigger");
          return;
        }
        published(ex, () -> TestMessages.kafka(bootstrap.get(), topic, body));
      }
      case "nats" -> {
        var url = platform.natsUrl();
        if (url.isEmpty()) {
          error(
              ex, 409, "local mode uses no NATS server: it starts one with the first NATSTrigger");
          return;
        }
        published(ex, () -> TestMessages.nats(url.get(), topic, body));
      }
      default -> error(ex, 404, "no such endpoint: /api/publish/" + system + ": kafka or nats");
    }
  }

  private static void published(
      HttpExchange ex, java.util.concurrent.Callable<Map<String, Object>> publish)
      throws IOException {
    Map<String, Object> where;
    try {
      where = publish.call();
    } catch (Exception e) {
      error(ex, 502, "not published: " + e.getMessage());
      return;
    }
    json(ex, 200, where);
  }

  private Map<String, Object> index() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("functions", url().resolve("/api/functions").toString());
    m.put("triggers", url().resolve("/api/triggers").toString());
    m.put("resources", url().resolve("/api/resources/functions").toString());
    m.put("runtimes", url().resolve("/api/runtimes").toString());
    m.put("console", url().toString());
    return m;
  }

  private Map<String, Object> describe(FunctionProcess p) {
    LocalFunction f = p.function();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("namespace", f.namespace());
    m.put("name", f.name());
    m.put("runtime", f.runtime());
    m.put("handler", f.handler().module() + "." + f.handler().function());
    m.put("deps", f.function().getSpec().getDeps());
    m.put("timeout", f.timeout().toSeconds());
    m.put("url", p.url().toString());
    m.put("ready", platform.ready(f.key()) && p.process() != null && p.process().isAlive());
    m.put("pid", p.process() == null ? null : p.process().pid());
    m.put(
        "exitCode", p.process() == null || p.process().isAlive() ? null : p.process().exitValue());
    m.put("health", p.unhealthy());
    m.put("labels", f.labels());
    return m;
  }

  private void call(HttpExchange ex, FunctionProcess fp) throws IOException, InterruptedException {
    byte[] body = ex.getRequestBody().readAllBytes();
    String query = ex.getRequestURI().getRawQuery();
    HttpRequest.Builder b =
        FunctionCall.request(
            URI.create(fp.url() + (query == null ? "" : "?" + query)),
            ex.getRequestMethod(),
            body,
            ex.getRequestHeaders(),
            false);
    HttpResponse<byte[]> r;
    try {
      r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      error(ex, 502, "function \"%s\" did not answer: %s".formatted(fp.function().label(), e));
      return;
    }
    r.headers()
        .map()
        .forEach(
            (k, vs) -> {
              if (FunctionCall.passedOn(k)) {
                ex.getResponseHeaders().put(k, new ArrayList<>(vs));
              }
            });
    send(ex, r.statusCode(), r.body());
  }

  private void metrics(HttpExchange ex, FunctionProcess fp)
      throws IOException, InterruptedException {
    HttpResponse<byte[]> r;
    try {
      r =
          HTTP.send(
              HttpRequest.newBuilder(fp.url().resolve("/metrics"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      error(ex, 502, "function \"%s\" did not answer: %s".formatted(fp.function().label(), e));
      return;
    }
    ex.getResponseHeaders()
        .set(
            "Content-Type",
            r.headers().firstValue("Content-Type").orElse("text/plain; version=0.0.4"));
    send(ex, r.statusCode(), r.body());
  }

  /**
   * Server-sent events, one {@code data:} event per line: the last lines, then (unless {@code
   * follow=false}) the new ones until the client goes away (a comment every 10 s finds out).
   */
  private void logs(HttpExchange ex, FunctionProcess fp) throws IOException, InterruptedException {
    Map<String, String> q = query(ex);
    int tail = LogBuffer.CAPACITY;
    try {
      tail = Integer.parseInt(q.getOrDefault("tail", String.valueOf(LogBuffer.CAPACITY)));
    } catch (NumberFormatException e) {
      error(ex, 400, "tail must be a number");
      return;
    }
    boolean follow = !"false".equals(q.get("follow"));
    String replica = replicaName(fp);
    if (q.containsKey("replica") && !q.get("replica").equals(replica)) {
      error(ex, 404, "no replica \"%s\": local mode runs %s".formatted(q.get("replica"), replica));
      return;
    }
    boolean asJson = "json".equals(q.get("format"));
    java.util.function.Function<String, byte[]> event =
        line -> asJson ? jsonEvent(replica, line) : event(line);
    ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
    ex.getResponseHeaders().set("Cache-Control", "no-cache");
    ex.sendResponseHeaders(200, 0);
    OutputStream out = ex.getResponseBody();
    if (!follow) {
      for (String line : fp.logs().tail(tail)) {
        out.write(event.apply(line));
      }
      out.flush();
      return;
    }
    LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>(10_000);
    streams.add(queue);
    try (LogBuffer.Following following = fp.logs().follow(tail, queue::offer)) {
      for (String line : following.tail()) {
        out.write(event.apply(line));
      }
      out.write(": following\n\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      while (!closed) {
        String line = queue.poll(10, TimeUnit.SECONDS);
        if (line == DONE) {
          break;
        }
        if (line == null) {
          out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
        } else {
          out.write(event.apply(line));
          for (String more; (more = queue.poll()) != null && more != DONE; ) {
            out.write(event.apply(more));
          }
        }
        out.flush(); // an IOException once the client is gone ends the stream
      }
    } finally {
      streams.remove(queue);
    }
  }

  private static byte[] jsonEvent(String replica, String line) {
    try {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("replica", replica);
      m.put("line", line.replace("\r", ""));
      return ("data: " + JSON.writeValueAsString(m) + "\n\n").getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** A replica's name: local mode runs one process per function, named by its pid. */
  private static String replicaName(FunctionProcess fp) {
    Process p = fp.process();
    return p == null ? fp.function().name() : String.valueOf(p.pid());
  }

  private List<Map<String, Object>> replicas(FunctionProcess fp) {
    Process p = fp.process();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", replicaName(fp));
    m.put("ready", platform.ready(fp.function().key()) && p != null && p.isAlive());
    m.put(
        "started", p == null ? null : p.info().startInstant().map(i -> i.toString()).orElse(null));
    return List.of(m);
  }

  /**
   * {@code GET /api/peek/kafka/{topic}} or {@code /api/peek/nats/{subject}}: the latest messages
   * there ({@code limit}, 20 by default, at most 500).
   */
  private void peek(HttpExchange ex, String system, String topic) throws Exception {
    int limit;
    try {
      limit = Integer.parseInt(query(ex).getOrDefault("limit", "20"));
    } catch (NumberFormatException e) {
      error(ex, 400, "limit must be a number");
      return;
    }
    if (limit < 1 || limit > 500) {
      error(ex, 400, "limit must be between 1 and 500");
      return;
    }
    if (topic.isBlank() || topic.chars().anyMatch(c -> c <= ' ')) {
      error(ex, 400, "\"%s\" is not a topic or subject".formatted(topic));
      return;
    }
    java.util.concurrent.Callable<Map<String, Object>> read;
    switch (system) {
      case "kafka" -> {
        var bootstrap = platform.kafkaBootstrap();
        if (bootstrap.isEmpty()) {
          error(ex, 409, "local mode runs no Kafka: it starts one with the first KafkaTrigger");
          return;
        }
        read = () -> TopicPeek.kafka(bootstrap.get(), topic, limit);
      }
      case "nats" -> {
        var url = platform.natsUrl();
        if (url.isEmpty()) {
          error(
              ex, 409, "local mode uses no NATS server: it starts one with the first NATSTrigger");
          return;
        }
        read = () -> TopicPeek.nats(url.get(), topic, limit);
      }
      default -> {
        error(ex, 404, "no such endpoint: /api/peek/" + system + ": kafka or nats");
        return;
      }
    }
    Map<String, Object> found;
    try {
      found = read.call();
    } catch (TopicPeek.Unavailable e) {
      error(ex, 409, e.getMessage());
      return;
    } catch (Exception e) {
      error(ex, 502, "not read: " + e.getMessage());
      return;
    }
    json(ex, 200, found);
  }

  private static byte[] event(String line) {
    return ("data: " + line.replace("\r", "") + "\n\n").getBytes(StandardCharsets.UTF_8);
  }

  private static Map<String, String> query(HttpExchange ex) {
    Map<String, String> m = new LinkedHashMap<>();
    String raw = ex.getRequestURI().getRawQuery();
    if (raw != null) {
      for (String pair : raw.split("&")) {
        int eq = pair.indexOf('=');
        String k = eq < 0 ? pair : pair.substring(0, eq);
        String v = eq < 0 ? "" : pair.substring(eq + 1);
        m.put(
            URLDecoder.decode(k, StandardCharsets.UTF_8),
            URLDecoder.decode(v, StandardCharsets.UTF_8));
      }
    }
    return m;
  }

  private static void json(HttpExchange ex, int status, Object body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "application/json");
    send(ex, status, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(body));
  }

  private static void error(HttpExchange ex, int status, String message) throws IOException {
    json(ex, status, Map.of("error", message));
  }

  private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
    boolean empty = body == null || body.length == 0 || ex.getRequestMethod().equals("HEAD");
    ex.sendResponseHeaders(status, empty ? -1 : body.length);
    if (!empty) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }
}
