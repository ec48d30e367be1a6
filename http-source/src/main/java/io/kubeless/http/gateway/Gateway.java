package io.kubeless.http.gateway;

import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.function.FunctionDirectory;
import io.kubeless.trigger.function.FunctionEndpoint;
import io.kubeless.trigger.invoke.Outcome;
import io.kubeless.trigger.invoke.WireHeaders;
import io.kubeless.trigger.metrics.TriggerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jboss.logging.Logger;

/**
 * The built-in HTTP gateway: serves the routes of HTTPTriggers ({@code gateway: builtin} on
 * Kubernetes, every HTTPTrigger in local mode) by proxying each request to its function.
 *
 * <p>A request is routed by its host and the longest path prefix ({@link RouteTable}); a route with
 * basic auth wants credentials of its htpasswd (else {@code 401}), one with CORS answers preflights
 * itself; the request then goes to the function's URL, which comes only from the {@link
 * FunctionDirectory} (never from the request, so the gateway is no open proxy), with the path under
 * the route's prefix ({@link RouteTable#rest}) and the query string. The function gets the wire
 * contract's headers (a fresh {@code event-id} per request, {@code event-time}, {@code
 * event-namespace: httptriggers.kubeless.io}, {@code event-type}, CloudEvents {@code ce-*} unless
 * the client sent a CloudEvent itself), the client's headers but the hop-by-hop ones, and {@code
 * X-Forwarded-For/Proto/Host}.
 *
 * <p>Bodies are streamed both ways with back-pressure: neither is ever held whole. A request is
 * sent once and never retried (a function that is missing, has no ready endpoint or refuses the
 * connection was provably not reached: {@code 503} with {@code Retry-After}); no response within
 * the function's timeout plus {@link #TIMEOUT_GRACE} is a {@code 504}; a body over the limit a
 * {@code 413}.
 *
 * <p>Every route and problem change replaces an immutable table; requests read it without a lock.
 * Every replica of a controller runs its own gateway over the same routes.
 */
public final class Gateway implements AutoCloseable {

  /**
   * Added to a function's timeout before the gateway gives up with a {@code 504}, so that a
   * runtime's own {@code 408} arrives first (the wire contract's client timeout).
   */
  public static final Duration TIMEOUT_GRACE = Duration.ofSeconds(1);

  /** The {@code event-namespace} of requests. */
  public static final String EVENT_NAMESPACE = "httptriggers.kubeless.io";

  /** The CloudEvents type of requests. */
  public static final String EVENT_TYPE = "io.kubeless.http.request";

  private static final Logger LOG = Logger.getLogger(Gateway.class);

  // header names and constant values, encoded once (see WireHeaders)
  private static final CharSequence H_FORWARDED_FOR =
      HttpHeaders.createOptimized("X-Forwarded-For");
  private static final CharSequence H_FORWARDED_PROTO =
      HttpHeaders.createOptimized("X-Forwarded-Proto");
  private static final CharSequence H_FORWARDED_HOST =
      HttpHeaders.createOptimized("X-Forwarded-Host");
  private static final CharSequence V_HTTP = HttpHeaders.createOptimized("http");
  private static final CharSequence V_HTTPS = HttpHeaders.createOptimized("https");
  private static final CharSequence V_EVENT_NAMESPACE =
      HttpHeaders.createOptimized(EVENT_NAMESPACE);
  private static final CharSequence V_EVENT_TYPE = HttpHeaders.createOptimized(EVENT_TYPE);
  private static final CharSequence V_OCTET_STREAM =
      HttpHeaders.createOptimized("application/octet-stream");

  /**
   * A refused request's body is read and dropped up to this much, so that the client reads the
   * answer instead of a reset; beyond it the connection is closed.
   */
  private static final long DRAIN_LIMIT = 8L * 1024 * 1024;

  /** Compared without regard to case, so that no header name is lower-cased per request. */
  private static final Set<String> HOP_BY_HOP =
      new java.util.TreeSet<>(String.CASE_INSENSITIVE_ORDER);

  static {
    HOP_BY_HOP.addAll(
        List.of(
            "connection",
            "keep-alive",
            "proxy-connection",
            "proxy-authenticate",
            "proxy-authorization",
            "te",
            "trailer",
            "transfer-encoding",
            "upgrade",
            "http2-settings"));
  }

  private static final String CORS_METHODS = "GET, PUT, POST, DELETE, PATCH, OPTIONS";
  private static final String CORS_HEADERS =
      "DNT, Keep-Alive, User-Agent, X-Requested-With, If-Modified-Since, Cache-Control,"
          + " Content-Type, Range, Authorization";
  private static final String CORS_MAX_AGE = "1728000";

  private final Vertx vertx;
  private final FunctionDirectory functions;
  private final GatewaySettings settings;
  private final MeterRegistry registry;
  private final TriggerMetrics delivery;
  private final List<HttpClient> clients = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final String retryAfter;
  private final Map<TriggerId, Route> routes = new HashMap<>();
  private final Map<TriggerId, RouteMetrics> meters = new HashMap<>();
  private final List<String> deployments = new ArrayList<>();
  private volatile RouteTable table = RouteTable.EMPTY;
  private volatile Map<TriggerId, RouteProblem> problems = Map.of();
  private volatile int port = -1;
  private boolean closed;

  /**
   * @param vertx the Vert.x instance whose event loops serve requests (Quarkus's, in the
   *     controller)
   * @param functions where a route's function is found, on every request
   * @param registry where the per-route meters go
   */
  public Gateway(
      Vertx vertx, FunctionDirectory functions, GatewaySettings settings, MeterRegistry registry) {
    this.vertx = vertx;
    this.functions = functions;
    this.settings = settings;
    this.registry = registry;
    this.delivery = new TriggerMetrics(registry);
    this.retryAfter = Long.toString(Math.max(1, settings.retryAfter().toSeconds()));
  }

  /**
   * A client for the requests of one event loop: its connections live on that loop, so a request
   * and its function's connection never hop between threads.
   */
  private HttpClient newClient() {
    HttpClient client =
        vertx.createHttpClient(
            new HttpClientOptions()
                .setKeepAlive(true)
                // below every runtime's idle timeout, so the gateway closes an idle connection
                // first and never writes a request to one the function is closing
                .setKeepAliveTimeout(15)
                .setConnectTimeout(5_000)
                .setTcpNoDelay(true)
                .setDecompressionSupported(false),
            new PoolOptions().setHttp1MaxSize(256).setMaxWaitQueueSize(-1));
    clients.add(client);
    return client;
  }

  /**
   * Binds {@code settings.host():settings.port()} with one server per event loop (Vert.x shares the
   * port among them) and returns the bound port. Blocks until bound; call it from a thread that is
   * not an event loop.
   *
   * @throws IllegalStateException when the port cannot be bound
   */
  public synchronized int start() {
    if (port >= 0) {
      return port;
    }
    int instances = Math.max(1, Runtime.getRuntime().availableProcessors());
    int bound;
    if (settings.port() != 0) {
      bound = deploy(settings.port(), instances);
    } else {
      // Vert.x shares a port among servers only when it is given: a free one is found first,
      // and another one tried should something else take it meanwhile
      bound = -1;
      for (int attempt = 1; bound < 0; attempt++) {
        try {
          bound = deploy(freePort(), instances);
        } catch (IllegalStateException e) {
          if (attempt == 5) {
            throw e;
          }
        }
      }
    }
    port = bound;
    LOG.infof("The HTTP gateway listens on %s:%d", settings.host(), bound);
    return bound;
  }

  /** The bound port, or -1 before {@link #start()}. */
  public int port() {
    return port;
  }

  private int freePort() {
    try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
      probe.bind(new java.net.InetSocketAddress(settings.host(), 0));
      return probe.getLocalPort();
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot listen on " + settings.host() + ": " + e, e);
    }
  }

  private int deploy(int on, int instances) {
    java.util.concurrent.atomic.AtomicInteger actual =
        new java.util.concurrent.atomic.AtomicInteger();
    HttpServerOptions options =
        new HttpServerOptions()
            .setHost(settings.host())
            .setPort(on)
            .setTcpNoDelay(true)
            .setCompressionSupported(false)
            // functions are called over HTTP only: no WebSocket extension handler looking at
            // every request
            .setPerMessageWebSocketCompressionSupported(false)
            .setPerFrameWebSocketCompressionSupported(false)
            .setHandle100ContinueAutomatically(false);
    try {
      String id =
          vertx
              .deployVerticle(
                  () ->
                      new AbstractVerticle() {
                        @Override
                        public void start(Promise<Void> started) {
                          HttpClient client = newClient();
                          HttpServer server =
                              vertx
                                  .createHttpServer(options)
                                  .requestHandler(request -> handle(request, client));
                          server
                              .listen()
                              .onSuccess(
                                  s -> {
                                    if (!actual.compareAndSet(0, s.actualPort())
                                        && actual.get() != s.actualPort()) {
                                      started.fail("the instances listen on different ports");
                                      return;
                                    }
                                    started.complete();
                                  })
                              .onFailure(started::fail);
                        }
                      },
                  new DeploymentOptions().setInstances(instances))
              .toCompletionStage()
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS);
      deployments.add(id);
      return actual.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "cannot listen on " + settings.host() + ":" + on + ": " + e.getCause().getMessage(),
          e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("listening on " + settings.host() + ":" + on + " timed out");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while binding", e);
    }
  }

  /** Adds the route of {@code route.trigger()}, or replaces it. */
  public synchronized void put(Route route) {
    Route before = routes.put(route.trigger(), route);
    RouteMetrics m = meters.get(route.trigger());
    if (m != null && !m.function.equals(route.function())) {
      m.close();
      m = null;
    }
    if (m == null) {
      meters.put(
          route.trigger(), new RouteMetrics(registry, delivery, route.trigger(), route.function()));
    }
    if (!route.equals(before)) {
      LOG.infof(
          "HTTPTrigger %s: %s -> function %s%s%s",
          route.trigger(),
          route.describe(),
          route.function(),
          route.basicAuth() == null ? "" : ", basic auth",
          route.cors() ? ", CORS" : "");
    }
    rebuild();
  }

  /** Stops serving the route of {@code trigger}. */
  public synchronized void remove(TriggerId trigger) {
    if (routes.remove(trigger) != null) {
      LOG.infof("HTTPTrigger %s: route removed", trigger);
    }
    RouteMetrics m = meters.remove(trigger);
    if (m != null) {
      m.close();
    }
    rebuild();
  }

  /**
   * Stops serving {@code route}, if it is still the one of its trigger (the same object): what put
   * a route takes it away without taking its successor's.
   *
   * @return whether it was removed
   */
  public synchronized boolean remove(Route route) {
    if (routes.get(route.trigger()) != route) {
      return false;
    }
    remove(route.trigger());
    return true;
  }

  /**
   * Why the route of {@code trigger} is not served, when it is not: an older trigger serves the
   * same host and path ({@link RouteProblem#CONFLICT}).
   */
  public Optional<RouteProblem> problem(TriggerId trigger) {
    return Optional.ofNullable(problems.get(trigger));
  }

  /** The routes held, served or not. */
  public synchronized List<Route> routes() {
    return List.copyOf(routes.values());
  }

  /** Of the routes with one host and path, the oldest is served; the others are conflicts. */
  private void rebuild() {
    Map<Route.Key, List<Route>> byKey = new LinkedHashMap<>();
    routes.values().forEach(r -> byKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r));
    List<RouteTable.Served> served = new ArrayList<>();
    Map<TriggerId, RouteProblem> next = new HashMap<>();
    Comparator<Route> oldest =
        Comparator.comparing(Route::created).thenComparing(r -> r.trigger().toString());
    for (List<Route> same : byKey.values()) {
      same.sort(oldest);
      Route winner = same.getFirst();
      served.add(new RouteTable.Served(winner, meters.get(winner.trigger())));
      for (Route loser : same.subList(1, same.size())) {
        next.put(
            loser.trigger(),
            new RouteProblem(
                RouteProblem.CONFLICT,
                "%s is already served by the older HTTPTrigger %s; this one is not served"
                    .formatted(winner.describe(), winner.trigger())));
      }
    }
    Set<TriggerId> newlyConflicting = new HashSet<>(next.keySet());
    newlyConflicting.removeAll(problems.keySet());
    newlyConflicting.forEach(id -> LOG.warnf("HTTPTrigger %s: %s", id, next.get(id).message()));
    table = new RouteTable(served);
    problems = Map.copyOf(next);
  }

  // --- serving, on an event loop ------------------------------------------------------------

  private void handle(HttpServerRequest request, HttpClient client) {
    request.pause();
    String path;
    try {
      path = Route.normalisePath(request.path());
    } catch (RuntimeException e) {
      path = null;
    }
    RouteTable.Served served =
        path == null ? null : table.match(Route.normaliseHost(request.host()), path);
    if (served == null || served.metrics() == null) {
      reject(request, null, 404, "no route for this host and path\n");
      return;
    }
    new Exchange(request, client, served.route(), served.metrics(), path).run();
  }

  /**
   * Answers {@code request} without reaching a function, then reads and drops what is left of its
   * body (up to {@link #DRAIN_LIMIT}, then the connection is closed).
   */
  private void reject(HttpServerRequest request, Route route, int status, String message) {
    reject(request, route, status, message, null, null);
  }

  private void reject(
      HttpServerRequest request,
      Route route,
      int status,
      String message,
      String header,
      String value) {
    HttpServerResponse response = request.response();
    if (response.headWritten() || response.ended() || response.closed()) {
      if (!response.ended() && !response.closed()) {
        response.reset();
      }
      return;
    }
    response.setStatusCode(status);
    if (!message.isEmpty()) {
      response.putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8");
    }
    if (header != null) {
      response.putHeader(header, value);
    }
    if (route != null && route.cors()) {
      response.putHeader("Access-Control-Allow-Origin", "*");
    }
    long[] dropped = {0};
    if (!request.isEnded()) {
      boolean http2 = request.version() == HttpVersion.HTTP_2;
      request.handler(
          b -> {
            dropped[0] += b.length();
            if (dropped[0] > DRAIN_LIMIT && dropped[0] - b.length() <= DRAIN_LIMIT) {
              // HTTP/2: only this stream; HTTP/1: the connection carries nothing else
              if (http2) {
                response.reset();
              } else {
                request.connection().close();
              }
            }
          });
      request.exceptionHandler(e -> {});
      request.endHandler(null);
      request.resume();
    }
    response.end(message);
  }

  /** One request through a route. */
  private final class Exchange {

    private final HttpServerRequest request;
    private final HttpClient client;
    private final HttpServerResponse response;
    private final Route route;
    private final RouteMetrics metrics;
    private final String path;
    private final long start = System.nanoTime();
    private HttpClientRequest upstream;
    private long timer = -1;
    private long received;
    private boolean answered;
    private boolean done;

    Exchange(
        HttpServerRequest request,
        HttpClient client,
        Route route,
        RouteMetrics metrics,
        String path) {
      this.request = request;
      this.client = client;
      this.response = request.response();
      this.route = route;
      this.metrics = metrics;
      this.path = path;
    }

    void run() {
      metrics.started();
      response.closeHandler(v -> clientGone());
      if (route.cors()
          && request.method() == HttpMethod.OPTIONS
          && request.getHeader("Origin") != null
          && request.getHeader("Access-Control-Request-Method") != null) {
        preflight();
        return;
      }
      Htpasswd auth = route.basicAuth();
      if (auth == null) {
        forward();
        return;
      }
      String[] credentials = credentials(request.getHeader(HttpHeaders.AUTHORIZATION));
      if (credentials == null) {
        unauthorized();
      } else if (auth.cheap(credentials[0], credentials[1])) {
        authorized(auth.matches(credentials[0], credentials[1]));
      } else {
        // bcrypt takes milliseconds by design: never on the event loop
        vertx
            .executeBlocking(() -> auth.matches(credentials[0], credentials[1]), false)
            .onComplete(r -> authorized(r.succeeded() && r.result()));
      }
    }

    private void authorized(boolean ok) {
      if (done) {
        return;
      }
      if (ok) {
        forward();
      } else {
        unauthorized();
      }
    }

    private void unauthorized() {
      refuse(
          401,
          "authentication required\n",
          null,
          "WWW-Authenticate",
          "Basic realm=\"" + route.trigger().name() + "\", charset=\"UTF-8\"");
    }

    private void preflight() {
      String headers = request.getHeader("Access-Control-Request-Headers");
      response
          .setStatusCode(204)
          .putHeader("Access-Control-Allow-Origin", "*")
          .putHeader("Access-Control-Allow-Methods", CORS_METHODS)
          .putHeader(
              "Access-Control-Allow-Headers",
              headers != null && headers.matches("[A-Za-z0-9!#$%&'*+.^_`|~, -]{1,2048}")
                  ? headers
                  : CORS_HEADERS)
          .putHeader("Access-Control-Max-Age", CORS_MAX_AGE);
      finish(204, null);
      reject(request, null, 204, "");
    }

    private void forward() {
      String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
      long parsed = -1;
      if (length != null) {
        try {
          parsed = Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
          refuse(400, "invalid Content-Length\n", null);
          return;
        }
      }
      long declared = parsed;
      if (declared > settings.maxBodyBytes()) {
        refuse(413, "the body is larger than " + settings.maxBodyBytes() + " bytes\n", null);
        return;
      }
      TriggerId trigger = route.trigger();
      Optional<FunctionEndpoint> found = functions.find(trigger.namespace(), route.function());
      if (found.isEmpty()) {
        unavailable("function " + route.function() + " does not exist");
        return;
      }
      FunctionEndpoint function = found.get();
      if (!function.ready()) {
        unavailable("function " + route.function() + " has no ready endpoint");
        return;
      }
      RequestOptions options;
      try {
        options = target(function.url()).setMethod(request.method()).setHeaders(headers(declared));
      } catch (RuntimeException e) {
        refuse(502, "the function's URL cannot be used\n", Outcome.Kind.FUNCTION_ERROR);
        return;
      }
      client
          .request(options)
          .onComplete(
              connected -> {
                if (done) {
                  if (connected.succeeded()) {
                    connected.result().reset();
                  }
                  return;
                }
                if (connected.failed()) {
                  // no connection: nothing was sent, the function cannot have seen it
                  unavailable("function " + route.function() + " cannot be reached");
                  return;
                }
                send(connected.result(), function, declared);
              });
    }

    private void unavailable(String why) {
      refuse(503, why + "\n", Outcome.Kind.UNAVAILABLE, "Retry-After", retryAfter);
    }

    private void send(HttpClientRequest up, FunctionEndpoint function, long declared) {
      upstream = up;
      if (declared < 0 && hasBody()) {
        up.setChunked(true);
      }
      up.response()
          .onComplete(
              r -> {
                if (r.succeeded()) {
                  respond(r.result());
                } else {
                  upstreamFailed(r.cause());
                }
              });
      up.exceptionHandler(this::upstreamFailed);
      if ("100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
        response.writeContinue();
      }
      Duration bound = function.timeout().plus(TIMEOUT_GRACE);
      request.exceptionHandler(e -> clientGone());
      request.handler(
          chunk -> {
            received += chunk.length();
            if (received > settings.maxBodyBytes()) {
              tooLarge();
              return;
            }
            up.write(chunk);
            if (up.writeQueueFull()) {
              request.pause();
              up.drainHandler(v -> request.resume());
            }
          });
      request.endHandler(
          v -> {
            if (done) {
              return;
            }
            if (!answered) {
              // the function's time starts once it has the whole request
              timer = vertx.setTimer(Math.max(1, bound.toMillis()), id -> timedOut(bound));
            }
            up.end();
          });
      if (declared != 0 && hasBody()) {
        // the head goes at once: the function starts reading while the client still sends; with
        // no body, head and end leave together at the end, in one write
        up.sendHead();
      }
      request.resume();
    }

    private boolean hasBody() {
      if (request.version() == HttpVersion.HTTP_2) {
        return !request.isEnded();
      }
      String te = request.getHeader(HttpHeaders.TRANSFER_ENCODING);
      return te != null || request.getHeader(HttpHeaders.CONTENT_LENGTH) != null;
    }

    private void respond(HttpClientResponse up) {
      answered = true;
      cancelTimer();
      if (done || response.closed()) {
        upstream.reset();
        return;
      }
      int status = up.statusCode();
      response.setStatusCode(status);
      if (up.statusMessage() != null) {
        response.setStatusMessage(up.statusMessage());
      }
      Set<String> connection = connectionTokens(up.getHeader(HttpHeaders.CONNECTION));
      MultiMap out = response.headers();
      for (Map.Entry<String, String> h : up.headers()) {
        String name = h.getKey();
        if (!HOP_BY_HOP.contains(name) && !connection.contains(name)) {
          out.add(h.getKey(), h.getValue());
        }
      }
      if (route.cors() && !out.contains("Access-Control-Allow-Origin")) {
        out.set("Access-Control-Allow-Origin", "*");
      }
      boolean bodyless =
          request.method() == HttpMethod.HEAD || status == 204 || status == 304 || status < 200;
      if (!bodyless
          && !out.contains(HttpHeaders.CONTENT_LENGTH)
          && request.version() == HttpVersion.HTTP_1_1) {
        response.setChunked(true);
      }
      up.exceptionHandler(this::upstreamFailed);
      up.handler(
          chunk -> {
            response.write(chunk);
            if (response.writeQueueFull()) {
              up.pause();
              response.drainHandler(v -> up.resume());
            }
          });
      up.endHandler(
          v -> {
            if (!done) {
              finish(
                  status, status / 100 == 2 ? Outcome.Kind.SUCCESS : Outcome.Kind.FUNCTION_ERROR);
              response.end();
            }
          });
    }

    private void tooLarge() {
      cancelTimer();
      // answered first: the reset below fails the exchange, which must not answer 502
      refuse(413, "the body is larger than " + settings.maxBodyBytes() + " bytes\n", null);
      if (upstream != null) {
        upstream.reset();
      }
    }

    private void timedOut(Duration bound) {
      timer = -1;
      if (done) {
        return;
      }
      refuse(
          504,
          "function " + route.function() + " did not answer within " + bound.toSeconds() + "s\n",
          Outcome.Kind.TIMEOUT);
      if (upstream != null) {
        upstream.reset(0, new TimeoutException("no response within " + bound));
      }
    }

    private void upstreamFailed(Throwable cause) {
      cancelTimer();
      if (done) {
        return;
      }
      LOG.debugf(
          "HTTPTrigger %s: the exchange with %s broke: %s",
          route.trigger(), route.function(), cause);
      if (response.headWritten()) {
        finish(502, Outcome.Kind.FUNCTION_ERROR);
        response.reset();
      } else {
        refuse(502, "the function's connection broke\n", Outcome.Kind.FUNCTION_ERROR);
      }
    }

    private void clientGone() {
      cancelTimer();
      if (done) {
        return;
      }
      // nginx's 499: the client closed the connection first
      finish(499, null);
      if (upstream != null) {
        upstream.reset();
      }
    }

    private void refuse(int status, String message, Outcome.Kind outcome) {
      refuse(status, message, outcome, null, null);
    }

    private void refuse(
        int status, String message, Outcome.Kind outcome, String header, String value) {
      if (done) {
        return;
      }
      finish(status, outcome);
      reject(request, route, status, message, header, value);
    }

    private void finish(int status, Outcome.Kind outcome) {
      done = true;
      metrics.finished(status, System.nanoTime() - start, outcome);
    }

    private void cancelTimer() {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
    }

    /** The function's request: its path under the route, the query kept. */
    private RequestOptions target(URI url) {
      String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https") || url.getHost() == null) {
        throw new IllegalArgumentException("not an http URL");
      }
      boolean tls = scheme.equals("https");
      String base = url.getRawPath() == null ? "" : url.getRawPath();
      if (base.endsWith("/")) {
        base = base.substring(0, base.length() - 1);
      }
      String rest = RouteTable.rest(route.path(), path);
      String raw = request.path();
      if (raw != null && raw.endsWith("/") && !rest.endsWith("/")) {
        rest = rest + "/";
      }
      String query = request.query();
      return new RequestOptions()
          .setSsl(tls)
          .setHost(url.getHost())
          .setPort(url.getPort() > 0 ? url.getPort() : tls ? 443 : 80)
          .setURI(base + rest + (query == null ? "" : "?" + query));
    }

    /** The client's headers but the hop-by-hop ones, and the wire contract's. */
    private MultiMap headers(long declared) {
      MultiMap in = request.headers();
      Set<String> connection = connectionTokens(in.get(HttpHeaders.CONNECTION));
      MultiMap out = MultiMap.caseInsensitiveMultiMap();
      for (Map.Entry<String, String> h : in) {
        String name = h.getKey();
        if (HOP_BY_HOP.contains(name)
            || connection.contains(name)
            || name.equalsIgnoreCase("host")
            || name.equalsIgnoreCase("content-length")
            || name.equalsIgnoreCase("expect")
            || name.regionMatches(true, 0, "event-", 0, 6)
            || name.regionMatches(true, 0, "x-forwarded-", 0, 12)) {
          continue;
        }
        out.add(h.getKey(), h.getValue());
      }
      if (declared >= 0) {
        out.set(HttpHeaders.CONTENT_LENGTH, Long.toString(declared));
      }
      String forwardedFor = in.get(H_FORWARDED_FOR);
      String client =
          request.remoteAddress() == null ? null : request.remoteAddress().hostAddress();
      if (client != null) {
        out.set(
            H_FORWARDED_FOR,
            forwardedFor == null || forwardedFor.isBlank() ? client : forwardedFor + ", " + client);
      }
      out.set(H_FORWARDED_PROTO, request.isSSL() ? V_HTTPS : V_HTTP);
      if (request.host() != null) {
        out.set(H_FORWARDED_HOST, request.host());
      }
      String id = eventId();
      String time = DateTimeFormatter.ISO_INSTANT.format(Instant.now());
      String type = in.get(HttpHeaders.CONTENT_TYPE);
      out.set(WireHeaders.EVENT_ID, id);
      out.set(WireHeaders.EVENT_TIME, time);
      out.set(WireHeaders.EVENT_NAMESPACE, V_EVENT_NAMESPACE);
      out.set(WireHeaders.EVENT_TYPE, type == null ? V_OCTET_STREAM : type);
      if (!in.contains(WireHeaders.CE_SPECVERSION)) {
        out.set(WireHeaders.CE_SPECVERSION, WireHeaders.SPEC_VERSION);
        out.set(WireHeaders.CE_ID, id);
        TriggerId t = route.trigger();
        out.set(
            WireHeaders.CE_SOURCE,
            "/apis/kubeless.io/v1beta1/namespaces/" + t.namespace() + "/httptriggers/" + t.name());
        out.set(WireHeaders.CE_TYPE, V_EVENT_TYPE);
        out.set(WireHeaders.CE_TIME, time);
      }
      return out;
    }
  }

  /** A random (version 4) UUID, without the lock of the JDK's shared SecureRandom. */
  private static String eventId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long high = (random.nextLong() & ~0xf000L) | 0x4000L;
    long low = (random.nextLong() & ~(0xc000L << 48)) | (0x8000L << 48);
    return new UUID(high, low).toString();
  }

  private static Set<String> connectionTokens(String header) {
    if (header == null || header.isBlank()) {
      return Set.of();
    }
    Set<String> tokens = new java.util.TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    for (String t : header.split(",")) {
      tokens.add(t.trim());
    }
    return tokens;
  }

  /** {@code user, password} of a {@code Basic} Authorization header, or null. */
  static String[] credentials(String header) {
    if (header == null || header.length() < 6 || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
      return null;
    }
    try {
      String decoded =
          new String(
              Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
      int colon = decoded.indexOf(':');
      return colon < 0
          ? null
          : new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)};
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Stops listening (requests in flight are cut) and removes the meters. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    List<Future<Void>> undeployed = new ArrayList<>();
    deployments.forEach(id -> undeployed.add(vertx.undeploy(id)));
    try {
      Future.join(undeployed).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.debugf("Stopping the HTTP gateway: %s", e.toString());
    }
    clients.forEach(HttpClient::close);
    meters.values().forEach(RouteMetrics::close);
    meters.clear();
    routes.clear();
    table = RouteTable.EMPTY;
    problems = Map.of();
  }
}
