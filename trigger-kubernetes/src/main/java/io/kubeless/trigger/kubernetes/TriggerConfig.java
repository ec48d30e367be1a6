package io.kubeless.trigger.kubernetes;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** Configuration every trigger shares ({@code kubeless.trigger.*}). */
@ConfigMapping(prefix = "kubeless.trigger")
public interface TriggerConfig {

  /** The HTTP client that invokes functions. */
  Invoker invoker();

  /** How Functions are found. */
  Functions functions();

  /** The Lease that elects the replica writing status. */
  LeaderElection leaderElection();

  /** How often every trigger's status is looked at again when nothing else changes. */
  @WithDefault("30s")
  Duration statusInterval();

  /**
   * How often the bindings of triggers no longer in the informer's cache are stopped: how long a
   * deleted trigger may still deliver. The operator SDK (quarkus-operator-sdk 7.7.0) does not pass
   * {@code triggerReconcilerOnAllEvents} on, so a deletion does not reach the reconciler and this
   * sweep, an in-memory comparison, is what stops a deleted trigger.
   */
  @WithDefault("2s")
  Duration sweepInterval();

  /** Settings of the shared HTTP client. */
  interface Invoker {

    /** How long establishing a connection to a function may take. */
    @WithDefault("5s")
    Duration connectTimeout();

    /**
     * How long an idle connection to a function is kept for reuse. It must stay below every
     * function server's idle timeout (the Java runtime closes idle connections after 30 s), so that
     * the client always closes first and never writes a request to a connection the server is
     * closing: such a request may or may not have arrived, and is not retried.
     */
    @WithDefault("15s")
    Duration keepAliveTimeout();

    /** Most connections kept open to one function address from one Vert.x event loop. */
    @WithDefault("64")
    int maxConnectionsPerFunction();

    /**
     * Added to a function's {@code spec.timeout} to bound one request, so that the runtime's own
     * 408 arrives before the trigger gives up.
     */
    @WithDefault("2s")
    Duration timeoutGrace();
  }

  /** How Functions are found. */
  interface Functions {

    /** DNS suffix of the cluster, the {@code {cluster-domain}} of {@link #urlTemplate()}. */
    @WithDefault("cluster.local")
    String clusterDomain();

    /**
     * Where a function is invoked, derived from the Function itself: an http(s) URL made of the
     * placeholders {@code {name}}, {@code {namespace}}, {@code {cluster-domain}} and {@code {port}}
     * (the port of the Function's Service). A Function's {@code status.url} is never used, so that
     * whoever may write a Function's status cannot send events elsewhere. Checked at start-up.
     */
    @WithDefault(FunctionEndpoints.DEFAULT_URL_TEMPLATE)
    String urlTemplate();

    /** How long start-up waits for the first list of Functions. */
    @WithDefault("30s")
    Duration syncTimeout();
  }

  /** The status Lease. */
  interface LeaderElection {

    /** Name of the Lease; each trigger application sets its own. */
    @WithDefault("kubeless-trigger")
    String leaseName();

    /** Namespace of the Lease: the trigger's own, from the downward API. */
    @WithDefault("${KUBELESS_NAMESPACE:kubeless}")
    String namespace();

    /** This replica's identity in the Lease; the pod name ({@code HOSTNAME}) when unset. */
    Optional<String> identity();

    /** How long a Lease that is not renewed keeps the other replicas from writing status. */
    @WithDefault("15s")
    Duration leaseDuration();

    /** How long the leader keeps trying to renew before it stops writing status. */
    @WithDefault("10s")
    Duration renewDeadline();

    /** How often replicas try to acquire the Lease. */
    @WithDefault("2s")
    Duration retryPeriod();
  }
}
