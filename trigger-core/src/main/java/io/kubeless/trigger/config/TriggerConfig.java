package io.kubeless.trigger.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** Configuration every trigger shares ({@code kubeless.trigger.*}). */
@ConfigMapping(prefix = "kubeless.trigger")
public interface TriggerConfig {

  /** The HTTP client that invokes functions. */
  Invoker invoker();

  /** What applies to a Function that does not say. */
  Functions functions();

  /** The Lease that elects the replica writing status. */
  LeaderElection leaderElection();

  /** Settings of the shared HTTP client. */
  interface Invoker {

    /** How long establishing a connection to a function may take. */
    @WithDefault("5s")
    Duration connectTimeout();

    /**
     * How long an idle connection to a function is kept for reuse. Keep it below the function
     * servers' idle timeout (65 s in the kubeless runtimes), so that a request is never written to
     * a connection the server is closing: such a request may or may not have arrived, and is not
     * retried.
     */
    @WithDefault("30s")
    Duration keepAliveTimeout();

    /** Most connections kept open to one function address. */
    @WithDefault("64")
    int maxConnectionsPerFunction();
  }

  /** Defaults for Functions. */
  interface Functions {

    /** Invocation timeout of a Function whose {@code spec.timeout} is empty (Kubeless: 180). */
    @WithDefault("180s")
    Duration defaultTimeout();

    /** Port of a Function's Service when its status has no URL (Kubeless's default). */
    @WithDefault("8080")
    int defaultPort();

    /** DNS suffix of the cluster, for Functions whose status has no URL. */
    @WithDefault("cluster.local")
    String clusterDomain();

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
