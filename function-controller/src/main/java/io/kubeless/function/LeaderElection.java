package io.kubeless.function;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.time.ZonedDateTime;
import java.util.Objects;
import org.jboss.logging.Logger;

/**
 * Only one replica reconciles Functions; the others wait on the Lease and take over when the leader
 * stops renewing it. Active in the prod profile.
 *
 * <p>The operator SDK's own reaction to losing the Lease is {@code System.exit} from its callback;
 * when the loss is the shutdown itself (SIGTERM: the operator stops, which cancels the election),
 * that call blocks on the JVM's shutdown lock held by the shutdown in progress, and the process
 * never ends. Here a lost Lease ends the process only when no shutdown is under way, from a thread
 * of its own; a graceful stop instead releases the Lease once the operator has stopped, so that a
 * standby takes over at its next try instead of waiting for the Lease to expire.
 */
@Singleton
public class LeaderElection extends LeaderElectionConfiguration {

  static final String LEASE = "kubeless-function-controller";
  private static final Logger LOG = Logger.getLogger(LeaderElection.class);

  private final String identity;
  private volatile boolean leading;

  public LeaderElection() {
    this(hostname(), new Callbacks());
  }

  private LeaderElection(String identity, Callbacks callbacks) {
    super(
        LEASE,
        null,
        LEASE_DURATION_DEFAULT_VALUE,
        RENEW_DEADLINE_DEFAULT_VALUE,
        RETRY_PERIOD_DEFAULT_VALUE,
        identity,
        callbacks.bind(),
        false);
    this.identity = identity;
    callbacks.election = this;
  }

  /**
   * Once the operator has stopped (its shutdown observer runs first), gives the Lease up if this
   * replica holds it. The operator closes its client when it stops, so the release goes through a
   * client of its own, built from the same configuration.
   */
  void release(@Observes @Priority(4000) ShutdownEvent event, KubernetesClient operatorClient) {
    if (!leading) {
      return;
    }
    Config config = operatorClient.getConfiguration();
    String namespace = Objects.requireNonNullElse(config.getNamespace(), "default");
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
      Lease lease = client.leases().inNamespace(namespace).withName(LEASE).get();
      if (lease == null || !identity.equals(lease.getSpec().getHolderIdentity())) {
        return;
      }
      lease.getSpec().setHolderIdentity(null);
      lease.getSpec().setLeaseDurationSeconds(1);
      lease.getSpec().setRenewTime(ZonedDateTime.now());
      client.resource(lease).update();
      LOG.infof("%s released the Lease %s/%s on shutdown", identity, namespace, LEASE);
    } catch (RuntimeException e) {
      LOG.warnf(
          "Could not release the Lease %s/%s (%s): a standby takes over when it expires",
          namespace, LEASE, e.getMessage());
    }
  }

  /** The pod's name ({@code HOSTNAME}), as the operator SDK names a replica by default. */
  private static String hostname() {
    String hostname = System.getenv("HOSTNAME");
    return hostname == null || hostname.isBlank()
        ? java.util.UUID.randomUUID().toString()
        : hostname;
  }

  /** Whether the JVM is shutting down (a shutdown hook can no longer be added then). */
  static boolean shuttingDown() {
    Thread probe = new Thread(() -> {});
    try {
      Runtime.getRuntime().addShutdownHook(probe);
      Runtime.getRuntime().removeShutdownHook(probe);
      return false;
    } catch (IllegalStateException e) {
      return true;
    }
  }

  /** The callbacks, built before the configuration they report to. */
  private static final class Callbacks {
    private volatile LeaderElection election;

    LeaderCallbacks bind() {
      return new LeaderCallbacks(this::started, this::stopped, this::changed);
    }

    private void started() {
      election.leading = true;
      LOG.infof("%s leads: reconciling Functions", election.identity);
    }

    private void stopped() {
      if (shuttingDown()) {
        LOG.infof("%s stops leading: shutting down", election.identity);
        return;
      }
      election.leading = false;
      // Another replica may hold the Lease now: stop reconciling at once, from a thread of the
      // application's own, and let Kubernetes restart the pod as a standby.
      LOG.errorf(
          "%s lost the Lease %s: exiting so that the pod restarts", election.identity, LEASE);
      Quarkus.asyncExit(1);
    }

    private void changed(String holder) {
      LOG.debugf("Function controller leader: %s", holder);
    }
  }
}
