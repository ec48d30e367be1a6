package io.kubeless.trigger.invoke;

import static io.kubeless.trigger.invoke.WireHeaders.CE_ID;
import static io.kubeless.trigger.invoke.WireHeaders.CE_SOURCE;
import static io.kubeless.trigger.invoke.WireHeaders.CE_SPECVERSION;
import static io.kubeless.trigger.invoke.WireHeaders.CE_TIME;
import static io.kubeless.trigger.invoke.WireHeaders.CE_TYPE;
import static io.kubeless.trigger.invoke.WireHeaders.EVENT_ID;
import static io.kubeless.trigger.invoke.WireHeaders.EVENT_NAMESPACE;
import static io.kubeless.trigger.invoke.WireHeaders.EVENT_TIME;
import static io.kubeless.trigger.invoke.WireHeaders.EVENT_TOPIC;
import static io.kubeless.trigger.invoke.WireHeaders.EVENT_TYPE;
import static io.kubeless.trigger.invoke.WireHeaders.SPEC_VERSION;

import io.kubeless.trigger.function.FunctionEndpoint;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.impl.VertxInternal;
import java.net.URI;
import java.time.Duration;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Sends one event to one function by the wire contract: {@code POST} to the function's URL with the
 * payload as the body, the Kubeless {@code event-*} headers and the CloudEvents binary-mode {@code
 * ce-*} headers. Connections are kept alive and reused: each Vert.x event loop has a client of its
 * own, so a request made on a loop (a binding's batches send from theirs) goes out on a connection
 * of that loop and its response comes back there, with no hop between threads; requests made off
 * every loop share one more client. The request is bounded by the function's timeout and is never
 * retried here: whether a retry is safe is the caller's decision, from {@link
 * Outcome#mayHaveReachedFunction()}.
 *
 * <p>Vert.x was chosen over the JDK client by measurement: sequential 1 KB POSTs on one kept-alive
 * connection ran 2 to 4 times faster (trigger-engine/README.md).
 */
public final class Invoker implements AutoCloseable {

  /**
   * Settings of the shared client.
   *
   * @param connectTimeout how long establishing a TCP connection may take
   * @param keepAliveTimeout how long an idle connection is kept; it must stay below every function
   *     server's own idle timeout (the Java runtime's is 30 s), so that the client always closes an
   *     idle connection first and never writes a request to one the server is closing
   * @param maxConnectionsPerFunction the pool size per function address (and event loop)
   * @param timeoutGrace added to a function's timeout to bound a request, so that the runtime's own
   *     408 arrives first
   */
  public record Options(
      Duration connectTimeout,
      Duration keepAliveTimeout,
      int maxConnectionsPerFunction,
      Duration timeoutGrace) {

    public static Options defaults() {
      return new Options(Duration.ofSeconds(5), Duration.ofSeconds(15), 64, Duration.ofSeconds(2));
    }
  }

  private static final String USER_AGENT = "kubeless-trigger/1";

  private final Vertx vertx;
  private final HttpClientOptions clientOptions;
  private final PoolOptions poolOptions;
  private final Duration timeoutGrace;

  /** The client of requests made off every event loop. */
  private final HttpClient client;

  /**
   * The client of each event loop (by its thread), made on first use. Vert.x pools a client's
   * connections by address, not by loop: a connection made by one loop and taken by a request of
   * another costs a hop between threads each way (a wake-up, one system call, per hop).
   */
  private final Map<Thread, HttpClient> loopClients = new ConcurrentHashMap<>();

  private volatile boolean closed;

  public Invoker(Vertx vertx, Options options) {
    this.vertx = vertx;
    this.timeoutGrace = options.timeoutGrace();
    this.clientOptions =
        new HttpClientOptions()
            .setKeepAlive(true)
            .setKeepAliveTimeout((int) Math.max(1, options.keepAliveTimeout().toSeconds()))
            .setConnectTimeout((int) options.connectTimeout().toMillis())
            .setTcpNoDelay(true)
            .setDecompressionSupported(false);
    this.poolOptions = new PoolOptions().setHttp1MaxSize(options.maxConnectionsPerFunction());
    this.client = vertx.createHttpClient(clientOptions, poolOptions);
  }

  /** The calling event loop's own client, or the shared one off every loop (or once closed). */
  private HttpClient client() {
    Context context = Vertx.currentContext();
    if (closed
        || context == null
        || !context.isEventLoopContext()
        || context.owner() != vertx
        || !Context.isOnEventLoopThread()) {
      return client;
    }
    return loopClients.computeIfAbsent(
        Thread.currentThread(), loop -> vertx.createHttpClient(clientOptions, poolOptions));
  }

  /**
   * An executor on one Vert.x event loop, for the requests of one binding: requests made on the
   * loop that owns their connection go out without a hop between threads (a request made from
   * another thread wakes the loop up, one system call per request). Each call takes the next loop,
   * so bindings spread over all of them.
   */
  public java.util.concurrent.Executor newEventLoop() {
    // a context of its own: getOrCreateContext gives a thread that is not Vert.x's the same
    // context every time, so every binding opened from one thread would share one loop
    Context context =
        vertx instanceof VertxInternal internal
            ? internal.createEventLoopContext()
            : vertx.getOrCreateContext();
    return task -> context.runOnContext(v -> task.run());
  }

  /**
   * Sends {@code event} and waits for the outcome. Call it from a worker or virtual thread, never
   * from a Vert.x event loop.
   */
  public Outcome invoke(FunctionEndpoint function, Event event) throws InterruptedException {
    try {
      return send(function, event).toCompletionStage().toCompletableFuture().get();
    } catch (ExecutionException e) {
      // send() always completes with an outcome; this is a bug, not a delivery result
      throw new IllegalStateException(e.getCause());
    }
  }

  /**
   * Sends {@code event}; the future always completes, successfully, with the outcome, and this
   * method never throws. A request that cannot be built (a malformed URL or header value) is a
   * {@link Outcome.Kind#FUNCTION_ERROR}: it never left, but it would fail the same way every time,
   * so it must be dropped, not retried.
   */
  public Future<Outcome> send(FunctionEndpoint function, Event event) {
    return send(function, event, HttpMethod.POST);
  }

  /**
   * Sends {@code event} with {@code method}: {@code POST} for every event of the wire contract;
   * {@code GET}, with no body and no {@code Content-Type}, for a cron tick without a payload, as
   * Kubeless's curl sent it. Otherwise as {@link #send(FunctionEndpoint, Event)}.
   */
  public Future<Outcome> send(FunctionEndpoint function, Event event, HttpMethod method) {
    long start = System.nanoTime();
    try {
      if (!function.ready()) {
        return Future.succeededFuture(Outcome.unavailable("no ready endpoint"));
      }
      String invalid = invalidHeader(event);
      if (invalid != null) {
        return Future.succeededFuture(notSent(start, "invalid value of header " + invalid));
      }
      MultiMap headers = headers(event);
      if (method == HttpMethod.GET) {
        headers.remove(HttpHeaders.CONTENT_TYPE);
        headers.remove(EVENT_TYPE);
      }
      RequestOptions options = target(function.url(), method).setHeaders(headers);
      Promise<Outcome> result = Promise.promise();
      client()
          .request(options)
          .onComplete(connected -> connected(connected, function, event, start, result));
      return result.future();
    } catch (RuntimeException e) {
      return Future.succeededFuture(notSent(start, describe(e)));
    }
  }

  private void connected(
      AsyncResult<HttpClientRequest> connected,
      FunctionEndpoint function,
      Event event,
      long start,
      Promise<Outcome> result) {
    if (connected.failed()) {
      Throwable cause = connected.cause();
      if (cause instanceof IllegalArgumentException) {
        // the client refused the request itself: it would refuse it again
        result.tryComplete(notSent(start, describe(cause)));
      } else {
        // no connection, so nothing was written: the function cannot have seen it
        result.tryComplete(Outcome.unavailable(describe(cause)));
      }
      return;
    }
    try {
      exchange(connected.result(), function, event, start, result);
    } catch (RuntimeException e) {
      // whether anything was written is unknown: drop it; reset frees the pooled connection
      try {
        connected.result().reset(0, e);
      } catch (RuntimeException ignored) {
        // the request is gone either way
      }
      result.tryComplete(notSent(start, describe(e)));
    }
  }

  /**
   * A POST to {@code url} from its parts, which {@link URI} parsed once: cheaper per request than
   * parsing the URL again.
   */
  private static RequestOptions target(URI url, HttpMethod method) {
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https") || url.getHost() == null) {
      // what the client cannot use is refused by the client, as a request that cannot be built
      return new RequestOptions().setMethod(method).setAbsoluteURI(url.toString());
    }
    boolean tls = scheme.equals("https");
    String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
    return new RequestOptions()
        .setMethod(method)
        .setSsl(tls)
        .setHost(url.getHost())
        .setPort(url.getPort() > 0 ? url.getPort() : tls ? 443 : 80)
        .setURI(url.getRawQuery() == null ? path : path + "?" + url.getRawQuery());
  }

  /** A request that could not be sent as built; never retried, it would fail again. */
  private static Outcome notSent(long start, String why) {
    return new Outcome(
        Outcome.Kind.FUNCTION_ERROR,
        0,
        Duration.ofNanos(System.nanoTime() - start),
        "request not sent: " + why);
  }

  /**
   * The name of the first header set from the event itself whose value is not a valid field value
   * (control characters other than tab, characters beyond Latin-1), or null. The source's own
   * headers need no check here: {@link #passThrough} already leaves out invalid ones, and {@link
   * ContentTypes#of} sends a declared content type only when it is a valid media type.
   */
  static String invalidHeader(Event event) {
    if (!validValue(event.id())) {
      return "event-id";
    }
    if (!validValue(event.namespace())) {
      return "event-namespace";
    }
    if (event.topic() != null && !validValue(event.topic())) {
      return "event-topic";
    }
    if (!validValue(event.source())) {
      return "ce-source";
    }
    if (!validValue(event.type())) {
      return "ce-type";
    }
    return null;
  }

  private static boolean validValue(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < 0x20 && c != '\t') || c == 0x7f || c > 0xff) {
        return false;
      }
    }
    return true;
  }

  private void exchange(
      HttpClientRequest request,
      FunctionEndpoint function,
      Event event,
      long start,
      Promise<Outcome> result) {
    AtomicBoolean timedOut = new AtomicBoolean();
    Duration bound = function.timeout().plus(timeoutGrace);
    long timeoutMillis = Math.max(1, bound.toMillis());
    long timer =
        vertx.setTimer(
            timeoutMillis,
            id -> {
              timedOut.set(true);
              request.reset(0, new TimeoutException("no response within " + bound));
            });
    (event.payload().length == 0 && request.getMethod() == HttpMethod.GET
            ? request.send()
            : request.send(Buffer.buffer(event.payload())))
        .compose(
            response ->
                event.reply() == null
                    ? response.end().map(v -> response.statusCode())
                    : response
                        .body()
                        .map(
                            body -> {
                              reply(event, response, body);
                              return response.statusCode();
                            }))
        .onComplete(
            done -> {
              vertx.cancelTimer(timer);
              Duration took = Duration.ofNanos(System.nanoTime() - start);
              if (done.succeeded()) {
                int status = done.result();
                boolean ok = status >= 200 && status < 300;
                result.tryComplete(
                    new Outcome(
                        ok ? Outcome.Kind.SUCCESS : Outcome.Kind.FUNCTION_ERROR,
                        status,
                        took,
                        ok ? "" : "HTTP " + status));
              } else if (timedOut.get()) {
                result.tryComplete(
                    new Outcome(
                        Outcome.Kind.TIMEOUT,
                        0,
                        took,
                        "no response within " + function.timeout().toSeconds() + "s"));
              } else {
                result.tryComplete(
                    new Outcome(Outcome.Kind.FUNCTION_ERROR, 0, took, describe(done.cause())));
              }
            });
  }

  private static void reply(Event event, HttpClientResponse response, Buffer body) {
    try {
      event
          .reply()
          .respond(response.statusCode(), response.getHeader("Content-Type"), body.getBytes());
    } catch (RuntimeException e) {
      // the invocation happened; a failed reply is the source's to report
      org.jboss.logging.Logger.getLogger(Invoker.class)
          .warnf("Replying to event %s failed: %s", event.id(), describe(e));
    }
  }

  /**
   * Whether a source's own header may pass through to the function: not one the wire contract sets
   * ({@code event-*}, {@code ce-*}, {@code Content-Type}, {@code User-Agent}), not an HTTP framing
   * or hop-by-hop header, and a valid field name and value.
   */
  public static boolean passThrough(String name, String value) {
    if (name == null || name.isEmpty() || value == null) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c <= 0x20 || c >= 0x7f || "()<>@,;:\\\"/[]?={}".indexOf(c) >= 0) {
        return false;
      }
    }
    if (!validValue(value)) {
      return false;
    }
    String lower = name.toLowerCase(Locale.ROOT);
    return !lower.startsWith("event-")
        && !lower.startsWith("ce-")
        && !lower.startsWith("proxy-")
        && !RESERVED.contains(lower);
  }

  private static final java.util.Set<String> RESERVED =
      java.util.Set.of(
          "content-type",
          "content-length",
          "user-agent",
          "host",
          "connection",
          "keep-alive",
          "transfer-encoding",
          "te",
          "trailer",
          "upgrade",
          "expect");

  private static final CharSequence USER_AGENT_VALUE = HttpHeaders.createOptimized(USER_AGENT);

  static MultiMap headers(Event event) {
    String contentType = ContentTypes.of(event.contentType(), event.payload());
    String time = DateTimeFormatter.ISO_INSTANT.format(event.time());
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    if (!event.headers().isEmpty()) {
      event
          .headers()
          .forEach(
              (name, values) -> {
                for (String value : values) {
                  if (passThrough(name, value)) {
                    headers.add(name, value);
                  }
                }
              });
    }
    headers.set(HttpHeaders.USER_AGENT, USER_AGENT_VALUE);
    headers.set(HttpHeaders.CONTENT_TYPE, contentType);
    headers.set(EVENT_ID, event.id());
    headers.set(EVENT_TIME, time);
    headers.set(EVENT_NAMESPACE, event.namespace());
    headers.set(EVENT_TYPE, contentType);
    if (event.topic() != null) {
      headers.set(EVENT_TOPIC, event.topic());
    }
    headers.set(CE_SPECVERSION, SPEC_VERSION);
    headers.set(CE_ID, event.id());
    headers.set(CE_SOURCE, event.source());
    headers.set(CE_TYPE, event.type());
    headers.set(CE_TIME, time);
    return headers;
  }

  private static String describe(Throwable error) {
    String message = error.getMessage();
    return error.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  @Override
  public void close() {
    closed = true;
    loopClients.values().forEach(HttpClient::close);
    loopClients.clear();
    client.close();
  }
}
