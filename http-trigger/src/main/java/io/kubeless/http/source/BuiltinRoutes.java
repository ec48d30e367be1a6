package io.kubeless.http.source;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kubeless.http.gateway.Gateway;
import io.kubeless.http.gateway.Htpasswd;
import io.kubeless.http.gateway.Route;
import io.kubeless.http.gateway.RouteProblem;
import io.kubeless.trigger.TriggerId;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * The routes of {@code gateway: builtin}, served by this replica's {@link Gateway}: every replica
 * reconciles every trigger, so all of them behind the Service {@code kubeless-http-gateway} serve
 * the same routes. The basic-auth Secret is read when the trigger is reconciled (at least every
 * status interval), never watched: watching would need every Secret of the cluster in memory.
 */
public final class BuiltinRoutes implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(BuiltinRoutes.class);

  /** The Secret named by {@code spec.basic-auth-secret} does not exist. */
  public static final String SECRET_NOT_FOUND = "SecretNotFound";

  /** The Secret has no readable htpasswd {@code auth} key. */
  public static final String INVALID_SECRET = "InvalidSecret";

  /** The controller may not read the Secret (RBAC). */
  public static final String SECRET_FORBIDDEN = "SecretForbidden";

  /** The key of the htpasswd file in the Secret, as ingress-nginx reads it. */
  public static final String AUTH_KEY = "auth";

  private final Gateway gateway;
  private final KubernetesClient client;

  /**
   * The credentials last parsed per trigger, reused while the Secret's content is the same: the
   * route stays equal (no rebuild) and the gateway keeps the checks it already made (bcrypt).
   */
  private final Map<TriggerId, Credentials> parsed = new ConcurrentHashMap<>();

  private record Credentials(String content, Htpasswd htpasswd) {}

  private final ScheduledExecutorService sweeper =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("builtin-route-sweeper").unstarted(r));

  public BuiltinRoutes(Gateway gateway, KubernetesClient client) {
    this.gateway = gateway;
    this.client = client;
  }

  /**
   * Serves the plan's route on this replica, or withdraws it when its Secret cannot be used, so
   * that a route never answers without the credentials its author asked for.
   *
   * @return why the route is not served, if it is not
   * @throws KubernetesClientException when the Secret cannot be read for a transient reason
   */
  public Optional<RouteProblem> put(RoutePlan plan) {
    Htpasswd credentials = null;
    if (plan.basicAuthSecret().isPresent()) {
      String name = plan.basicAuthSecret().get();
      Optional<RouteProblem> problem;
      try {
        Secret secret = client.secrets().inNamespace(plan.namespace()).withName(name).get();
        if (secret == null) {
          problem =
              Optional.of(
                  new RouteProblem(
                      SECRET_NOT_FOUND,
                      "spec.basic-auth-secret: Secret %s/%s does not exist; the route is not served until it does"
                          .formatted(plan.namespace(), name)));
        } else {
          String content = htpasswd(secret);
          if (content == null) {
            problem =
                Optional.of(
                    new RouteProblem(
                        INVALID_SECRET,
                        "Secret %s/%s has no key '%s' holding an htpasswd file (as ingress-nginx reads it)"
                            .formatted(plan.namespace(), name, AUTH_KEY)));
          } else {
            credentials = parse(plan.id(), content);
            problem = Optional.empty();
          }
        }
      } catch (IllegalArgumentException e) {
        problem =
            Optional.of(
                new RouteProblem(
                    INVALID_SECRET,
                    "Secret %s/%s: key '%s' is not an htpasswd file: %s"
                        .formatted(plan.namespace(), name, AUTH_KEY, e.getMessage())));
      } catch (KubernetesClientException e) {
        if (e.getCode() != 403) {
          throw e;
        }
        problem =
            Optional.of(
                new RouteProblem(
                    SECRET_FORBIDDEN,
                    "the controller may not read Secret %s/%s (RBAC: get secrets); the route is not served"
                        .formatted(plan.namespace(), name)));
      }
      if (problem.isPresent()) {
        remove(plan.id());
        return problem;
      }
    } else {
      parsed.remove(plan.id());
    }
    gateway.put(
        new Route(
            plan.id(),
            created(plan),
            plan.host().orElse(null),
            plan.path(),
            plan.function(),
            plan.cors(),
            credentials));
    return gateway.problem(plan.id());
  }

  /** Stops serving the trigger's route on this replica, if it served one. */
  public void remove(TriggerId trigger) {
    parsed.remove(trigger);
    gateway.remove(trigger);
  }

  /**
   * Every {@code interval}, withdraws the routes of triggers that no longer exist: the delete event
   * normally does it, this covers one that was missed (a watch gap, or a delete racing a
   * reconcile).
   *
   * @param existing the triggers that exist (the informer's cache), empty while unknown
   */
  public void sweepEvery(Duration interval, Supplier<Optional<Set<TriggerId>>> existing) {
    sweeper.scheduleWithFixedDelay(
        () -> {
          try {
            existing
                .get()
                .ifPresent(
                    known ->
                        gateway.routes().stream()
                            .map(Route::trigger)
                            .filter(id -> !known.contains(id))
                            .forEach(this::remove));
          } catch (RuntimeException e) {
            LOG.warnf("Sweeping built-in routes failed: %s", e);
          }
        },
        interval.toMillis(),
        interval.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    sweeper.shutdownNow();
  }

  private Htpasswd parse(TriggerId trigger, String content) {
    Credentials known = parsed.get(trigger);
    if (known != null && known.content().equals(content)) {
      return known.htpasswd();
    }
    Htpasswd htpasswd = Htpasswd.parse(content);
    parsed.put(trigger, new Credentials(content, htpasswd));
    return htpasswd;
  }

  private static String htpasswd(Secret secret) {
    if (secret.getData() != null && secret.getData().get(AUTH_KEY) != null) {
      return new String(
          Base64.getDecoder().decode(secret.getData().get(AUTH_KEY)), StandardCharsets.UTF_8);
    }
    if (secret.getStringData() != null) {
      return secret.getStringData().get(AUTH_KEY);
    }
    return null;
  }

  private static Instant created(RoutePlan plan) {
    try {
      String created = plan.trigger().getMetadata().getCreationTimestamp();
      return created == null ? null : Instant.parse(created);
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
