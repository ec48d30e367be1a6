package io.kubeless.runtime;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.kubeless.Context;
import io.kubeless.Event;
import io.kubeless.Extensions;
import io.kubeless.Request;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The HTTP side of the runtime: {@code GET /healthz}, {@code GET /metrics}, and any other request
 * invokes the function on the request's own thread, under a watchdog that stops it at the timeout
 * (see {@link Deadline}) and answers 408.
 */
final class FunctionServer implements HttpHandler {

  private static final String TEXT = Answer.TEXT;

  /** How much of an answer the log shows. */
  private static final int MAX_LOGGED = 1024;

  /** A body over the limit is read and dropped (up to this much) so the client sees the 413. */
  private static final long MAX_DISCARD = 100L * 1024 * 1024;

  private final Config config;
  private final FunctionLoader.Function function;
  private final String loadError;
  private final Metrics metrics = new Metrics();
  private final Watchdog watchdog = new Watchdog();
  private volatile Now now = new Now(0, "");

  FunctionServer(Config config, FunctionLoader.Function function, String loadError) {
    this.config = config;
    this.function = function;
    this.loadError = loadError;
  }

  @Override
  public void handle(HttpExchange exchange) {
    String method = exchange.getRequestMethod();
    String path = exchange.getRequestURI().getRawPath();
    if ("GET".equals(method) && "/healthz".equals(path)) {
      if (loadError == null) {
        respond(exchange, 200, TEXT, "OK", false);
      } else {
        respond(exchange, 500, TEXT, loadError, false);
      }
    } else if ("GET".equals(method) && "/metrics".equals(path)) {
      respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.render(), false);
    } else {
      invoke(exchange, method);
    }
  }

  private void invoke(HttpExchange exchange, String method) {
    long started = System.nanoTime();
    byte[] body = readBody(exchange);
    if (body == null) {
      long sent = respond(exchange, 413, TEXT, "Request body too large", true);
      AccessLog.log(exchange, 413, sent, started);
      return;
    }
    if (function == null) {
      Log.log("Function not loaded: " + loadError);
      finish(exchange, method, started, 500, "Internal Server Error");
      return;
    }
    Headers headers = exchange.getRequestHeaders();
    Event event =
        new Event(
            new String(body, StandardCharsets.UTF_8),
            orElse(headers.getFirst("event-id"), randomId()),
            orElse(
                headers.getFirst("event-type"),
                orElse(headers.getFirst("Content-Type"), "application/octet-stream")),
            orElse(headers.getFirst("event-time"), now()),
            orElse(headers.getFirst("event-namespace"), "http.kubeless.io"),
            new Extensions(request(exchange, method, body)));
    Context context =
        new Context(config.handler(), config.timeout(), config.runtime(), config.memoryLimit());

    Deadline.Invocation invocation = new Deadline.Invocation(Thread.currentThread());
    AtomicBoolean answered = new AtomicBoolean();
    Watchdog.Watch timeout =
        watchdog.watch(
            config.timeoutMillis(),
            () -> {
              // Answer at the deadline even if the function is stuck where a check cannot reach.
              if (invocation.expire() && answered.compareAndSet(false, true)) {
                timedOut(exchange, method, started);
              }
            });
    Answer answer = null;
    Throwable failure = null;
    Deadline.enter(invocation);
    try {
      // Encoding runs the function's getters (JSON), so it counts toward the deadline too.
      answer = Answer.of(function.handler().invokeExact(function.instance(), event, context));
    } catch (Throwable t) {
      failure = t;
    } finally {
      watchdog.cancel(timeout);
      Deadline.exit(invocation);
    }
    if (!answered.compareAndSet(false, true)) {
      return; // the watchdog has answered 408
    }
    if (invocation.timedOut()) {
      timedOut(exchange, method, started);
    } else if (failure != null) {
      // The stack trace names the error and where it happened; the request body is never logged.
      StringWriter trace = new StringWriter();
      failure.printStackTrace(new PrintWriter(trace));
      Log.log("Function " + config.modName() + "." + config.handler() + " failed: " + trace);
      finish(exchange, method, started, 500, "Internal Server Error");
    } else {
      // Kubeless's line, written with the access line in one go
      String response =
          config.logResponses() ? Log.stamped("Response: " + preview(answer)) + "\n" : "";
      finish(exchange, method, started, 200, answer.type(), answer.body(), response);
    }
  }

  /**
   * The answer as Kubeless's Java runtime logged it ({@code Response: Hello world!}), on one line
   * and cut short: the log is no place for megabytes.
   */
  private static String preview(Answer answer) {
    if (answer.text() == null) {
      return "<" + answer.body().length + " bytes, " + answer.type() + ">";
    }
    String text = answer.text();
    String shown = text.length() > MAX_LOGGED ? text.substring(0, MAX_LOGGED) : text;
    shown = shown.replace("\r", "\\r").replace("\n", "\\n");
    return text.length() > MAX_LOGGED ? shown + "... (" + answer.body().length + " bytes)" : shown;
  }

  private void timedOut(HttpExchange exchange, String method, long started) {
    Log.log(
        "Function "
            + config.modName()
            + "."
            + config.handler()
            + " timed out after "
            + config.timeout()
            + "s; stopping it");
    finish(exchange, method, started, 408, "Timeout while processing the function");
  }

  private void finish(HttpExchange exchange, String method, long started, int status, String body) {
    finish(exchange, method, started, status, TEXT, body.getBytes(StandardCharsets.UTF_8), "");
  }

  private void finish(
      HttpExchange exchange,
      String method,
      long started,
      int status,
      String type,
      byte[] body,
      String before) {
    metrics.observe(method, (System.nanoTime() - started) / 1e9, status == 500 || status == 408);
    long sent = respond(exchange, status, type, body, false);
    AccessLog.log(exchange, status, sent, started, before);
  }

  private static Request request(HttpExchange exchange, String method, byte[] body) {
    URI uri = exchange.getRequestURI();
    String path = uri.getRawPath();
    String query = uri.getRawQuery();
    Map<String, List<String>> parameters = new LinkedHashMap<>();
    if (query != null) {
      for (String pair : query.split("&")) {
        if (!pair.isEmpty()) {
          int eq = pair.indexOf('=');
          String name = eq < 0 ? pair : pair.substring(0, eq);
          String value = eq < 0 ? "" : pair.substring(eq + 1);
          parameters.computeIfAbsent(decode(name), k -> new ArrayList<>()).add(decode(value));
        }
      }
    }
    return new Request(
        method,
        uri.getPath(),
        query == null ? path : path + "?" + query,
        parameters,
        exchange.getRequestHeaders(),
        body);
  }

  private static String decode(String text) {
    try {
      return URLDecoder.decode(text, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return text; // a stray '%': keep it as sent
    }
  }

  /** The body, or null when it is over the limit (then it has been read and dropped). */
  private byte[] readBody(HttpExchange exchange) {
    long max = config.maxBodyBytes();
    try {
      InputStream in = exchange.getRequestBody();
      String length = exchange.getRequestHeaders().getFirst("Content-Length");
      if (length != null && Long.parseLong(length.trim()) > max) {
        in.skipNBytes(Math.min(Long.parseLong(length.trim()), MAX_DISCARD));
        return null;
      }
      byte[] body = in.readNBytes((int) Math.min(max + 1, Integer.MAX_VALUE));
      if (body.length > max) {
        in.skip(MAX_DISCARD);
        return null;
      }
      return body;
    } catch (IOException | NumberFormatException e) {
      return null;
    }
  }

  private static long respond(
      HttpExchange exchange, int status, String type, String body, boolean close) {
    return respond(exchange, status, type, body.getBytes(StandardCharsets.UTF_8), close);
  }

  /** Sends the answer and returns how many body bytes went out. */
  private static long respond(
      HttpExchange exchange, int status, String type, byte[] bytes, boolean close) {
    try (exchange) {
      exchange.getResponseHeaders().set("Content-Type", type);
      if (close) {
        exchange.getResponseHeaders().set("Connection", "close");
      }
      exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
      if (bytes.length > 0) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(bytes);
        }
      }
      return bytes.length;
    } catch (IOException e) {
      // The client went away; nothing left to tell it.
      return 0;
    }
  }

  /** A random (version 4) UUID; event ids need to be unique, not unguessable. */
  private static String randomId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long high = (random.nextLong() & ~0xF000L) | 0x4000L;
    long low = (random.nextLong() & ~(3L << 62)) | (1L << 63);
    return new UUID(high, low).toString();
  }

  /** The current time in RFC 3339 with second precision, formatted once a second. */
  private String now() {
    long second = System.currentTimeMillis() / 1000;
    Now current = now;
    if (current.second != second) {
      current = new Now(second, Instant.ofEpochSecond(second).toString());
      now = current;
    }
    return current.text;
  }

  private record Now(long second, String text) {}

  private static String orElse(String value, String fallback) {
    return value == null || value.isEmpty() ? fallback : value;
  }
}
