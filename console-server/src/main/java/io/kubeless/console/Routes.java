package io.kubeless.console;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kubeless.api.function.RuntimeNames;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jboss.logging.Logger;

/**
 * The console server's HTTP surface, on Quarkus's Vert.x router: the console's page and bundle at
 * {@code /}, and under {@code /api} the same JSON API as local mode's admin server, on the
 * Kubernetes API (see the README for the endpoints). Every API request is authenticated ({@link
 * ConsoleAuth}) and served on a virtual thread, since it waits on the API server or a function.
 */
@ApplicationScoped
public class Routes {

  private static final Logger LOG = Logger.getLogger(Routes.class);
  private static final long MAX_BODY = 8 * 1024 * 1024;

  /** A handler that may block and fail with an {@link ApiError}. */
  private interface Api {
    void handle(RoutingContext ctx) throws Exception;
  }

  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
  private final ConsoleAuth auth;
  private final FunctionsApi functions;
  private final ResourcesApi resources;
  private final TriggersApi triggers;
  private final Messages messages;
  private final ConsoleConfig.AuthMode mode;

  Routes(KubernetesClient client, ConsoleConfig config) {
    this.auth = new ConsoleAuth(config);
    this.mode = config.auth();
    this.functions =
        new FunctionsApi(
            client,
            new FunctionUrls(config.functions().urlTemplate()),
            config.functions().timeoutGrace());
    this.resources = new ResourcesApi(client);
    this.triggers =
        new TriggersApi(
            client,
            new TriggerCounts(
                client, config.controllers().namespace(), config.controllers().metricsPort()));
    this.messages = new Messages(config.kafka().brokers(), config.nats().url());
  }

  /** Built at start-up, so a missing token or a bad URL template stops the server at once. */
  void start(@Observes StartupEvent start) {
    LOG.infof("console API ready (kubeless.console.auth=%s)", mode.name().toLowerCase());
  }

  void routes(@Observes Router router) {
    router
        .route("/api/*")
        .handler(BodyHandler.create(false).setBodyLimit(MAX_BODY).setPreallocateBodyBuffer(false));
    router.post("/api/login").handler(auth::login);
    router.post("/api/logout").handler(auth::logout);
    router.route("/api/*").handler(auth::authenticate);

    get(router, "/api", ctx -> Json.send(ctx, 200, index()));
    get(router, "/api/runtimes", ctx -> Json.send(ctx, 200, RuntimeNames.catalogue()));
    get(router, "/api/functions", ctx -> Json.send(ctx, 200, functions.list()));
    get(
        router,
        "/api/functions/:ns/:name",
        ctx -> Json.send(ctx, 200, functions.get(ctx.pathParam("ns"), ctx.pathParam("name"))));
    api(
        router.route("/api/functions/:ns/:name/call"),
        ctx -> functions.call(ctx, ctx.pathParam("ns"), ctx.pathParam("name")));
    get(
        router,
        "/api/functions/:ns/:name/replicas",
        ctx -> Json.send(ctx, 200, functions.replicas(ctx.pathParam("ns"), ctx.pathParam("name"))));
    get(
        router,
        "/api/functions/:ns/:name/logs",
        ctx -> functions.logs(ctx, ctx.pathParam("ns"), ctx.pathParam("name")));
    get(
        router,
        "/api/functions/:ns/:name/metrics",
        ctx ->
            ctx.response()
                .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                .end(functions.metrics(ctx.pathParam("ns"), ctx.pathParam("name"))));
    get(router, "/api/triggers", ctx -> Json.send(ctx, 200, triggers.list()));
    get(
        router,
        "/api/resources/:plural",
        ctx -> Json.send(ctx, 200, resources.list(ctx.pathParam("plural"))));
    get(
        router,
        "/api/resources/:plural/:ns/:name",
        ctx ->
            Json.send(
                ctx,
                200,
                resources.get(
                    ctx.pathParam("plural"), ctx.pathParam("ns"), ctx.pathParam("name"))));
    api(
        router.put("/api/resources/:plural/:ns/:name"),
        ctx -> {
          var written =
              resources.put(
                  ctx.pathParam("plural"),
                  ctx.pathParam("ns"),
                  ctx.pathParam("name"),
                  ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes(),
                  "true".equals(ctx.request().getParam("dryRun")));
          Json.send(ctx, written.status(), written.body());
        });
    api(
        router.delete("/api/resources/:plural/:ns/:name"),
        ctx ->
            Json.send(
                ctx,
                200,
                resources.delete(
                    ctx.pathParam("plural"), ctx.pathParam("ns"), ctx.pathParam("name"))));
    api(
        router.post("/api/publish/:system/:topic"),
        ctx ->
            Json.send(
                ctx,
                200,
                messages.publish(
                    ctx.pathParam("system"),
                    ctx.pathParam("topic"),
                    ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes())));
    get(
        router,
        "/api/peek/kafka/:topic",
        ctx -> Json.send(ctx, 200, messages.peek(ctx.pathParam("topic"), limit(ctx))));
    get(
        router,
        "/api/peek/nats/:subject",
        ctx -> Json.send(ctx, 200, messages.peekNats(ctx.pathParam("subject"), limit(ctx))));
    ConsoleFiles files = new ConsoleFiles();
    router.route(HttpMethod.GET, "/*").handler(files);
    router.route(HttpMethod.HEAD, "/*").handler(files);
  }

  /** A peek's {@code limit} (default 20, at most 500). */
  private static int limit(io.vertx.ext.web.RoutingContext ctx) {
    try {
      return Math.clamp(Integer.parseInt(ctx.request().getParam("limit", "20")), 1, 500);
    } catch (NumberFormatException e) {
      throw new ApiError(400, "limit must be a number");
    }
  }

  private void get(Router router, String path, Api handler) {
    api(router.get(path), handler);
  }

  private void api(io.vertx.ext.web.Route route, Api handler) {
    route.handler(
        ctx ->
            threads.execute(
                () -> {
                  try {
                    handler.handle(ctx);
                  } catch (ApiError e) {
                    Json.error(ctx, e.status(), e.getMessage());
                  } catch (KubernetesClientException e) {
                    ApiError error = fromKubernetes(e);
                    Json.error(ctx, error.status(), error.getMessage());
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    ctx.response().reset();
                  } catch (Exception e) {
                    LOG.warnf(e, "%s %s failed", ctx.request().method(), ctx.normalizedPath());
                    Json.error(ctx, 500, e.toString());
                  }
                }));
  }

  /** The API server's refusal as the console's answer: 400, 403, 404 or 409, else 502. */
  static ApiError fromKubernetes(KubernetesClientException e) {
    String message =
        e.getStatus() != null && e.getStatus().getMessage() != null
            ? e.getStatus().getMessage()
            : e.getMessage();
    int status =
        switch (e.getCode()) {
          case 400, 422 -> 400;
          case 401, 403 -> 403;
          case 404 -> 404;
          case 409 -> 409;
          default -> 502;
        };
    return new ApiError(status, message);
  }

  private static Map<String, Object> index() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("functions", "/api/functions");
    m.put("triggers", "/api/triggers");
    m.put("resources", "/api/resources/functions");
    m.put("runtimes", "/api/runtimes");
    m.put("console", "/");
    return m;
  }
}
