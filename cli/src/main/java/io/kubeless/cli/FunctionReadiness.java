package io.kubeless.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.client.KubernetesClientTimeoutException;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.Function;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code --wait}: follows a Function until it is ready, printing a progress line on stderr each
 * time its state changes ({@code hello: waiting (DeploymentNotAvailable: 0/1 replicas ready)}, then
 * {@code hello: ready (2.3 s)}), and fails with the last reason when it cannot become ready or the
 * time is up.
 */
final class FunctionReadiness {

  /** Ready=False reasons the function controller writes while the function is on its way. */
  static final Set<String> ON_ITS_WAY =
      Set.of("DeploymentNotAvailable", "RollingOut", "ReconcileFailed");

  private static final Duration LOCAL_POLL = Duration.ofMillis(200);

  /**
   * Where a function stands.
   *
   * @param phase waiting, ready or failed
   * @param reason why, as a person reads it; empty when ready
   */
  record State(Phase phase, String reason) {
    enum Phase {
      WAITING,
      READY,
      FAILED
    }

    static State waiting(String reason) {
      return new State(Phase.WAITING, reason);
    }

    boolean done() {
      return phase != Phase.WAITING;
    }
  }

  private final PrintWriter err;
  private final String name;
  private final String label;
  private final long start = System.nanoTime();
  private State last;

  private FunctionReadiness(PrintWriter err, String name, String namespace) {
    this.err = err;
    this.name = name;
    this.label = namespace.equals("default") ? name : namespace + "/" + name;
  }

  /** Waits on Kubernetes: the Function's Ready condition, as the function controller writes it. */
  static void kubernetes(Cli cli, String namespace, String name, Duration timeout) {
    FunctionReadiness wait = new FunctionReadiness(cli.err(), name, namespace);
    try {
      FunctionCommand.functions(cli.client())
          .inNamespace(namespace)
          .withName(name)
          .waitUntilCondition(
              f -> wait.report(state(f)).done(), timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (KubernetesClientTimeoutException e) {
      // the last state says why
    }
    wait.finish(timeout);
  }

  /** Waits on local mode: the admin API's {@code ready} of the function, polled. */
  static void local(Cli cli, LocalAdmin admin, String namespace, String name, Duration timeout) {
    FunctionReadiness wait = new FunctionReadiness(cli.err(), name, namespace);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!wait.report(state(admin.find(namespace, name), name)).done()
        && System.nanoTime() < deadline) {
      try {
        Thread.sleep(LOCAL_POLL);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new Cli.CliException("interrupted while waiting for function \"" + name + "\"", e);
      }
    }
    wait.finish(timeout);
  }

  /** A Function's state from its status; an outdated status counts as none yet. */
  static State state(Function f) {
    if (f == null) {
      return State.waiting("the Function is gone");
    }
    var status = f.getStatus();
    Long generation = f.getMetadata().getGeneration();
    if (status != null
        && generation != null
        && status.getObservedGeneration() != null
        && status.getObservedGeneration() < generation) {
      return State.waiting("the function controller has not seen this version yet");
    }
    var ready =
        status == null
            ? Optional.<io.fabric8.kubernetes.api.model.Condition>empty()
            : Conditions.find(status, Conditions.READY);
    if (ready.isEmpty()) {
      return State.waiting("no status yet; is the function controller running?");
    }
    var c = ready.get();
    String reason = why(c.getReason(), c.getMessage());
    if (Conditions.TRUE.equals(c.getStatus())) {
      return new State(State.Phase.READY, "");
    }
    if (Conditions.FALSE.equals(c.getStatus())
        && c.getReason() != null
        && !ON_ITS_WAY.contains(c.getReason())) {
      return new State(State.Phase.FAILED, reason);
    }
    return State.waiting(reason);
  }

  /** A local function's state from the admin API's description of it. */
  static State state(Optional<JsonNode> described, String name) {
    if (described.isEmpty()) {
      return State.waiting("not started yet");
    }
    JsonNode f = described.get();
    if (f.path("ready").asBoolean()) {
      return new State(State.Phase.READY, "");
    }
    if (f.hasNonNull("exitCode")) {
      return new State(
          State.Phase.FAILED,
          "ProcessExited: the process exited with code %d; see `kubeless function logs %s`"
              .formatted(f.path("exitCode").asInt(), name));
    }
    String health = f.path("health").asText("");
    if (health.startsWith("cannot load")) {
      // the runtimes load the handler once, at start: only new code (an update) changes that
      return new State(
          State.Phase.FAILED,
          "LoadFailed: %s; fix the code and `kubeless function update %s`".formatted(health, name));
    }
    return State.waiting(
        "starting: process "
            + f.path("pid").asText("?")
            + (health.isBlank() ? " not ready yet" : " not healthy: " + health));
  }

  private static String why(String reason, String message) {
    boolean r = reason != null && !reason.isBlank();
    boolean m = message != null && !message.isBlank();
    return r && m ? reason + ": " + message : r ? reason : m ? message : "no reason given";
  }

  /** Prints the state when it changed; returns it. */
  private synchronized State report(State state) {
    if (!state.equals(last)) {
      last = state;
      switch (state.phase()) {
        case READY -> err.printf("%s: ready (%s)%n", label, elapsed());
        case FAILED -> err.printf("%s: failed (%s)%n", label, state.reason());
        default -> err.printf("%s: waiting (%s)%n", label, state.reason());
      }
      err.flush();
    }
    return state;
  }

  private void finish(Duration timeout) {
    State s;
    synchronized (this) {
      s = last == null ? State.waiting("nothing heard of the function yet") : last;
    }
    if (s.phase() == State.Phase.READY) {
      return;
    }
    if (s.phase() == State.Phase.FAILED) {
      throw new Cli.CliException(
          "function \"%s\" cannot become ready: %s".formatted(name, s.reason()));
    }
    throw new Cli.CliException(
        "function \"%s\" is not ready after %s: %s".formatted(name, format(timeout), s.reason()));
  }

  private String elapsed() {
    return String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - start) / 1e9);
  }

  private static String format(Duration d) {
    return d.toString().substring(2).toLowerCase(Locale.ROOT);
  }
}
