package io.kubeless.local;

import io.fabric8.kubernetes.api.model.Secret;
import io.kubeless.api.v1beta1.HTTPTrigger;
import io.kubeless.api.v1beta1.HTTPTriggerSpec;
import io.kubeless.http.gateway.Gateway;
import io.kubeless.http.gateway.GatewaySettings;
import io.kubeless.http.gateway.Htpasswd;
import io.kubeless.http.gateway.Route;
import io.kubeless.http.gateway.RouteProblem;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.engine.BindingState;
import io.kubeless.trigger.engine.BindingWorker;
import io.kubeless.trigger.engine.FunctionSelection;
import io.kubeless.trigger.engine.InvalidTriggerException;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerSource;
import io.kubeless.trigger.function.FunctionDirectory;
import io.kubeless.trigger.function.FunctionEndpoint;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * HTTPTriggers in local mode: every route served by one built-in gateway (the HTTP trigger's {@code
 * gateway: builtin}) on one loopback port, whatever the trigger's {@code gateway} says. A trigger's
 * {@code basic-auth-secret} names a {@code v1} Secret of the files, whose {@code auth} key holds an
 * htpasswd file as ingress-nginx reads it; a changed Secret applies when its trigger is applied
 * again or local mode restarts. {@code tls} and {@code tls-secret} apply only on Kubernetes.
 *
 * <p>A route is served while its function exists: the engine's binding of the trigger to the
 * function puts the route into the gateway and takes it away.
 */
final class HttpTriggers
    extends LocalTriggers<HTTPTrigger, HttpTriggers.Spec, HttpTriggers.Subscription> {

  /** The default port, used when free ({@code --http-port}). */
  static final int DEFAULT_PORT = 8090;

  /** A trigger's spec with what the gateway needs beside it. */
  record Spec(HTTPTriggerSpec spec, String namespace, Instant created) {}

  /**
   * A route as the engine compares it: a changed one is put again.
   *
   * @param htpasswd the content of the basic-auth Secret's {@code auth} key, or null
   */
  record Subscription(
      String function,
      String host,
      String path,
      boolean cors,
      String basicAuthSecret,
      String htpasswd,
      Instant created) {}

  private final int port;

  /** The {@code auth} key of the files' Secrets by {@code namespace/name}, as last read. */
  private volatile Map<String, String> secrets = Map.of();

  private volatile Vertx vertx;
  private volatile Gateway gateway;

  /** Where the gateway counts each route's requests and invocations (the admin API reads them). */
  private final MeterRegistry meters;

  /**
   * @param port the gateway's port: {@code -1} for {@value #DEFAULT_PORT} when free, else any; 0
   *     for any free port
   */
  HttpTriggers(PrintStream out, Path home, int port, MeterRegistry meters) {
    super(out, home);
    this.port = port;
    this.meters = meters;
  }

  @Override
  String kind() {
    return "HTTPTrigger";
  }

  @Override
  String prefix() {
    return "http";
  }

  @Override
  List<HTTPTrigger> triggers(Manifests m) {
    return m.httpTriggers();
  }

  @Override
  void secrets(Manifests all) {
    Map<String, String> read = new java.util.HashMap<>();
    all.secretsByName()
        .forEach(
            (key, s) -> {
              String auth = auth(s);
              if (auth != null) {
                read.put(key, auth);
              }
            });
    secrets = Map.copyOf(read);
  }

  /** With the content of its basic-auth Secret: a changed Secret applies the route again. */
  @Override
  com.fasterxml.jackson.databind.JsonNode print(HTTPTrigger t) {
    var print = basePrint(t);
    String secret = t.getSpec() == null ? null : t.getSpec().getBasicAuthSecret();
    if (secret != null && !secret.isBlank()) {
      String auth = secrets.get(Manifests.key(t.getMetadata().getNamespace(), secret));
      print.put("auth", auth == null ? null : FunctionProcess.sha256(auth));
    }
    return print;
  }

  /** The Secret's {@code auth} key: {@code stringData} first, as the API server merges it. */
  private static String auth(Secret s) {
    if (s.getStringData() != null && s.getStringData().get("auth") != null) {
      return s.getStringData().get("auth");
    }
    if (s.getData() != null && s.getData().get("auth") != null) {
      try {
        return new String(
            Base64.getMimeDecoder().decode(s.getData().get("auth")), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
    return null;
  }

  @Override
  Spec spec(HTTPTrigger trigger) {
    Instant created = Instant.EPOCH;
    String ts = trigger.getMetadata().getCreationTimestamp();
    if (ts != null) {
      try {
        created = OffsetDateTime.parse(ts).toInstant();
      } catch (RuntimeException e) {
        // then the name breaks the tie
      }
    }
    return new Spec(trigger.getSpec(), id(trigger).namespace(), created);
  }

  @Override
  protected String describe(HTTPTrigger trigger) {
    HTTPTriggerSpec spec = trigger.getSpec();
    if (spec == null) {
      return "route ";
    }
    String host = spec.getHostName();
    String path = Route.of(id(trigger), spec.getPath(), "-").path();
    String url = gateway == null ? "" : " (" + url() + path.substring(1) + ")";
    return "route "
        + (host == null || host.isBlank() ? "" : "host " + host + " ")
        + path
        + " -> "
        + spec.getFunctionName()
        + (spec.getBasicAuthSecret() == null ? "" : ", basic auth")
        + (Boolean.TRUE.equals(spec.getCorsEnable()) ? ", CORS" : "")
        + url;
  }

  @Override
  protected TriggerSource<Spec, Subscription> start(
      TriggerEngine engine, List<HTTPTrigger> triggers) throws Exception {
    int bind = port;
    if (bind < 0) {
      bind = LocalPlatform.free(DEFAULT_PORT) ? DEFAULT_PORT : 0;
    }
    Vertx v = Vertx.vertx();
    Gateway g =
        new Gateway(
            v, engine.directory(), GatewaySettings.defaults().at("127.0.0.1", bind), meters);
    try {
      g.start();
    } catch (IllegalStateException e) {
      g.close();
      v.close();
      throw new Unavailable(
          "the HTTP gateway cannot listen on port " + bind + " (" + e.getMessage() + ")");
    }
    vertx = v;
    gateway = g;
    return new Source(g, engine.directory());
  }

  @Override
  protected String serverLine() {
    return gateway == null ? null : "http gateway at " + url() + " (HTTPTriggers)";
  }

  @Override
  protected void state(Map<String, Object> state) {
    if (gateway != null) {
      state.put("http", url());
    }
  }

  @Override
  protected void stopServer() {
    Gateway g = gateway;
    if (g != null) {
      g.close();
    }
    Vertx v = vertx;
    if (v != null) {
      try {
        v.close().toCompletionStage().toCompletableFuture().get();
      } catch (Exception e) {
        // going anyway
      }
    }
    gateway = null;
    vertx = null;
  }

  /** The gateway's URL, {@code http://127.0.0.1:PORT/}, while HTTPTriggers run. */
  String url() {
    Gateway g = gateway;
    return g == null ? null : "http://127.0.0.1:" + g.port() + "/";
  }

  /** The routes of HTTPTriggers, as the engine's bindings put them into the gateway. */
  private final class Source implements TriggerSource<Spec, Subscription> {

    private final Gateway gateway;
    private final FunctionDirectory directory;

    Source(Gateway gateway, FunctionDirectory directory) {
      this.gateway = gateway;
      this.directory = directory;
    }

    @Override
    public String kind() {
      return "HTTPTrigger";
    }

    @Override
    public Subscription subscription(Spec s) throws InvalidTriggerException {
      HTTPTriggerSpec spec = s.spec();
      if (spec == null || spec.getFunctionName() == null || spec.getFunctionName().isBlank()) {
        throw new InvalidTriggerException("spec.function-name is required");
      }
      String secret = spec.getBasicAuthSecret();
      String htpasswd = null;
      if (secret != null && !secret.isBlank()) {
        htpasswd = secrets.get(s.namespace() + "/" + secret);
        if (htpasswd == null) {
          throw new InvalidTriggerException(
              "basic-auth-secret "
                  + secret
                  + ": no v1 Secret of that name with an auth key in the files; the route is not"
                  + " served");
        }
        try {
          Htpasswd.parse(htpasswd);
        } catch (IllegalArgumentException e) {
          throw new InvalidTriggerException("basic-auth-secret " + secret + ": " + e.getMessage());
        }
      }
      Route probe = Route.of(new TriggerId(s.namespace(), "-"), spec.getPath(), "-");
      String host = spec.getHostName();
      return new Subscription(
          spec.getFunctionName(),
          host == null || host.isBlank() ? null : host,
          probe.path(),
          Boolean.TRUE.equals(spec.getCorsEnable()),
          secret,
          htpasswd,
          s.created());
    }

    @Override
    public FunctionSelection functions(Subscription subscription) {
      return FunctionSelection.named(subscription.function());
    }

    @Override
    public String describe(Subscription subscription) {
      return "route "
          + (subscription.host() == null ? "" : "host " + subscription.host() + " ")
          + subscription.path();
    }

    @Override
    public Object deliveryKey(Subscription subscription) {
      String host = subscription.host();
      return List.of(
          host == null ? "" : host.toLowerCase(java.util.Locale.ROOT), subscription.path());
    }

    @Override
    public BindingWorker start(Binding<Subscription> binding) {
      Subscription s = binding.subscription();
      Route route =
          new Route(
              binding.trigger(),
              s.created(),
              s.host(),
              s.path(),
              binding.function(),
              s.cors(),
              s.htpasswd() == null ? null : Htpasswd.parse(s.htpasswd()));
      return new RouteWorker(gateway, directory, route, binding);
    }

    @Override
    public Duration stopTimeout() {
      return Duration.ofSeconds(1);
    }
  }

  /** One route in the gateway, while the engine binds its trigger to its function. */
  private static final class RouteWorker implements BindingWorker {

    private final Gateway gateway;
    private final FunctionDirectory directory;
    private final Route route;
    private final TriggerSource.Binding<Subscription> binding;
    private final AutoCloseable watch;
    private volatile boolean stopped;

    RouteWorker(
        Gateway gateway,
        FunctionDirectory directory,
        Route route,
        TriggerSource.Binding<Subscription> binding) {
      this.gateway = gateway;
      this.directory = directory;
      this.route = route;
      this.binding = binding;
      gateway.put(route);
      // the state follows the function's readiness, so local mode prints it when it changes
      this.watch =
          directory.subscribe(
              (namespace, name) -> {
                if (!stopped
                    && namespace.equals(route.trigger().namespace())
                    && name.equals(route.function())) {
                  binding.onStateChange().run();
                }
              });
    }

    @Override
    public BindingState state() {
      String fn = route.function();
      Optional<RouteProblem> problem = gateway.problem(route.trigger());
      if (problem.isPresent()) {
        return new BindingState(
            fn, BindingState.Phase.DUPLICATE, problem.get().reason(), problem.get().message());
      }
      boolean ready =
          directory
              .find(route.trigger().namespace(), fn)
              .map(FunctionEndpoint::ready)
              .orElse(false);
      return ready
          ? new BindingState(
              fn, BindingState.Phase.ACTIVE, "Serving", "serving " + route.describe())
          : new BindingState(
              fn,
              BindingState.Phase.FUNCTION_UNAVAILABLE,
              BindingState.FUNCTION_UNAVAILABLE,
              fn + " has no ready endpoint: requests are answered 503");
    }

    @Override
    public void stop() {
      if (stopped) {
        return;
      }
      stopped = true;
      try {
        watch.close();
      } catch (Exception e) {
        // the directory is going away too
      }
      // only this worker's route: its successor may already have put the trigger's new one
      gateway.remove(route);
      binding.onExit().accept(this);
    }

    @Override
    public boolean awaitStopped(Duration timeout) {
      return stopped;
    }

    @Override
    public boolean isStopped() {
      return stopped;
    }
  }
}
