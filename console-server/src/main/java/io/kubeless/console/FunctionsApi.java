package io.kubeless.console;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.LogWatch;
import io.kubeless.api.function.FunctionFields;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionStatus;
import io.kubeless.console.call.FunctionCall;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The functions: their state, a call to one, its replicas, their log lines and their metrics. A
 * function is reached only through its Service (see {@link FunctionUrls}); logs through the
 * Kubernetes API; metrics from its ready pods.
 */
final class FunctionsApi {

  /** The label the function controller puts on a function's pods. */
  static final String FUNCTION_LABEL = "function";

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

  private final KubernetesClient client;
  private final FunctionUrls urls;
  private final Duration grace;

  FunctionsApi(KubernetesClient client, FunctionUrls urls, Duration grace) {
    this.client = client;
    this.urls = urls;
    this.grace = grace;
  }

  List<Map<String, Object>> list() {
    return client.resources(Function.class).inAnyNamespace().list().getItems().stream()
        .map(this::describe)
        .toList();
  }

  Map<String, Object> get(String ns, String name) {
    return describe(find(ns, name));
  }

  Function find(String ns, String name) {
    Function f = client.resources(Function.class).inNamespace(ns).withName(name).get();
    if (f == null) {
      throw ApiError.notFound("function", ns, name);
    }
    return f;
  }

  private Map<String, Object> describe(Function f) {
    var spec = f.getSpec();
    FunctionStatus status = f.getStatus();
    var ready = status == null ? null : Conditions.find(status, Conditions.READY).orElse(null);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("namespace", f.getMetadata().getNamespace());
    m.put("name", f.getMetadata().getName());
    m.put("runtime", spec == null ? null : spec.getRuntime());
    m.put("handler", spec == null ? null : spec.getHandler());
    m.put("deps", spec == null ? null : spec.getDeps());
    m.put("timeout", FunctionFields.timeoutOrDefault(spec).toSeconds());
    m.put("labels", f.getMetadata().getLabels() == null ? Map.of() : f.getMetadata().getLabels());
    m.put("url", urls.of(f).toString());
    m.put(
        "ready",
        status != null
            && (status.getReadyReplicas() != null
                ? status.getReadyReplicas() > 0
                : Conditions.isReady(status)));
    m.put("reason", ready == null ? null : ready.getReason());
    m.put("message", ready == null ? null : ready.getMessage());
    m.put("replicas", status == null ? null : status.getReadyReplicas());
    return m;
  }

  /** Any method on {@code .../call}: the request, as it came, to the function's Service. */
  void call(RoutingContext ctx, String ns, String name) throws InterruptedException {
    Function f = find(ns, name);
    URI base = urls.of(f);
    String query = ctx.request().query();
    Buffer body = ctx.body().buffer();
    Map<String, List<String>> headers = new LinkedHashMap<>();
    ctx.request()
        .headers()
        .forEach(
            h -> headers.computeIfAbsent(h.getKey(), k -> new ArrayList<>()).add(h.getValue()));
    HttpRequest.Builder b =
        FunctionCall.request(
                URI.create(base + "/" + (query == null ? "" : "?" + query)),
                ctx.request().method().name(),
                body == null ? null : body.getBytes(),
                headers,
                true)
            .timeout(FunctionFields.timeoutOrDefault(f.getSpec()).plus(grace));
    HttpResponse<byte[]> r;
    try {
      r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new ApiError(502, "function %s/%s did not answer: %s".formatted(ns, name, e));
    }
    HttpServerResponse out = ctx.response().setStatusCode(r.statusCode());
    r.headers()
        .map()
        .forEach(
            (k, vs) -> {
              if (FunctionCall.passedOn(k)) {
                out.putHeader(k, vs);
              }
            });
    out.end(Buffer.buffer(r.body()));
  }

  /** The function's pods: {@code [{name, ready, started}]}. */
  List<Map<String, Object>> replicas(String ns, String name) {
    find(ns, name);
    List<Map<String, Object>> all = new ArrayList<>();
    for (Pod p : pods(ns, name)) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", p.getMetadata().getName());
      m.put("ready", ready(p));
      m.put("started", p.getStatus() == null ? null : p.getStatus().getStartTime());
      all.add(m);
    }
    return all;
  }

  private List<Pod> pods(String ns, String name) {
    return client.pods().inNamespace(ns).withLabel(FUNCTION_LABEL, name).list().getItems().stream()
        .sorted(java.util.Comparator.comparing(p -> p.getMetadata().getName()))
        .toList();
  }

  static boolean ready(Pod p) {
    return p.getStatus() != null
        && p.getStatus().getConditions() != null
        && p.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  /**
   * Server-sent events, one per log line: the last {@code tail} lines of the chosen pod (or of
   * every ready pod, merged as they arrive), then, unless {@code follow=false}, the new ones until
   * the client goes away. With {@code format=json}, each event is {@code {"replica", "line"}}.
   */
  void logs(RoutingContext ctx, String ns, String name) throws InterruptedException {
    find(ns, name);
    int tail;
    try {
      tail = Integer.parseInt(param(ctx, "tail", "200"));
    } catch (NumberFormatException e) {
      throw new ApiError(400, "tail must be a number");
    }
    boolean follow = !"false".equals(param(ctx, "follow", "true"));
    boolean json = "json".equals(param(ctx, "format", ""));
    String replica = ctx.request().getParam("replica");
    List<Pod> all = pods(ns, name);
    List<String> chosen;
    if (replica != null) {
      if (all.stream().noneMatch(p -> p.getMetadata().getName().equals(replica))) {
        throw new ApiError(
            404, "function %s/%s has no replica \"%s\"".formatted(ns, name, replica));
      }
      chosen = List.of(replica);
    } else {
      chosen =
          all.stream().filter(FunctionsApi::ready).map(p -> p.getMetadata().getName()).toList();
    }
    HttpServerResponse out = ctx.response();
    out.setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-cache")
        .write(": " + chosen.size() + " replicas\n\n");
    record Line(String replica, String text) {}
    Line end = new Line("", "");
    LinkedBlockingQueue<Line> lines = new LinkedBlockingQueue<>(10_000);
    List<LogWatch> watches = new CopyOnWriteArrayList<>();
    AtomicInteger open = new AtomicInteger(chosen.size());
    var closed = new java.util.concurrent.atomic.AtomicBoolean();
    out.closeHandler(
        v -> {
          closed.set(true);
          watches.forEach(LogWatch::close);
          lines.offer(end);
        });
    for (String pod : chosen) {
      Thread.ofVirtual()
          .start(
              () -> {
                try {
                  var log = client.pods().inNamespace(ns).withName(pod).tailingLines(tail);
                  if (follow) {
                    LogWatch watch = log.watchLog();
                    watches.add(watch);
                    try (var reader =
                        new BufferedReader(
                            new InputStreamReader(watch.getOutput(), StandardCharsets.UTF_8))) {
                      for (String l; (l = reader.readLine()) != null && !closed.get(); ) {
                        lines.put(new Line(pod, l));
                      }
                    }
                  } else {
                    String text = log.getLog();
                    for (String l : text.isEmpty() ? new String[0] : text.split("\n")) {
                      lines.put(new Line(pod, l));
                    }
                  }
                } catch (IOException | RuntimeException e) {
                  lines.offer(
                      new Line(pod, "(the log of " + pod + " ended: " + e.getMessage() + ")"));
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                } finally {
                  if (open.decrementAndGet() == 0) {
                    lines.offer(end);
                  }
                }
              });
    }
    if (chosen.isEmpty()) {
      lines.offer(end);
    }
    while (!closed.get()) {
      Line line = lines.poll(10, TimeUnit.SECONDS);
      if (line == end) {
        break;
      }
      if (line == null) {
        out.write(": keep-alive\n\n");
        continue;
      }
      String data =
          json
              ? new io.vertx.core.json.JsonObject()
                  .put("replica", line.replica())
                  .put("line", line.text())
                  .encode()
              : line.text().replace("\r", "");
      out.write("data: " + data + "\n\n");
    }
    watches.forEach(LogWatch::close);
    if (!closed.get()) {
      out.end();
    }
  }

  /** The Prometheus text of the function's ready pods, summed per series. */
  String metrics(String ns, String name) throws InterruptedException {
    Function f = find(ns, name);
    int port = FunctionFields.servicePort(f.getSpec());
    List<String> scrapes = new ArrayList<>();
    for (Pod p : pods(ns, name)) {
      String ip = p.getStatus() == null ? null : p.getStatus().getPodIP();
      if (!ready(p) || ip == null || ip.isBlank()) {
        continue;
      }
      String host = ip.contains(":") ? "[" + ip + "]" : ip;
      try {
        HttpResponse<String> r =
            HTTP.send(
                HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + "/metrics"))
                    .timeout(Duration.ofSeconds(5))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          scrapes.add(r.body());
        }
      } catch (IOException e) {
        // a replica going away: the others still count
      }
    }
    return PrometheusSum.sum(scrapes);
  }

  private static String param(RoutingContext ctx, String name, String otherwise) {
    String v = ctx.request().getParam(name);
    return v == null ? otherwise : v;
  }
}
