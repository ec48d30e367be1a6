package io.kubeless.trigger.kubernetes;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Elects, through a Kubernetes Lease, the one replica of a trigger that writes status and Events.
 * Unlike the operator SDK's leader election it stops nothing else: every replica keeps reconciling
 * subscriptions and carrying events, since the data plane runs on all of them.
 */
public final class StatusLeadership implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(StatusLeadership.class);

  /**
   * Where the Lease lives and how it is kept.
   *
   * @param namespace the namespace of the Lease, usually the trigger's own
   * @param leaseName the Lease's name, one per trigger application
   * @param identity this replica's name in the Lease (the pod name)
   * @param leaseDuration how long a non-renewed Lease blocks the others
   * @param renewDeadline how long the leader keeps trying to renew before it steps down
   * @param retryPeriod how often candidates try to acquire it
   */
  public record Settings(
      String namespace,
      String leaseName,
      String identity,
      Duration leaseDuration,
      Duration renewDeadline,
      Duration retryPeriod) {}

  private final KubernetesClient client;
  private final Settings settings;
  private final ScheduledExecutorService executor;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private volatile boolean leader;
  private volatile boolean closed;
  private volatile CompletableFuture<?> election;

  public StatusLeadership(KubernetesClient client, Settings settings) {
    this.client = client;
    this.settings = settings;
    this.executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("status-leadership").unstarted(r));
  }

  /** Starts competing for the Lease, and again whenever leadership is lost. */
  public void start() {
    executor.execute(this::compete);
  }

  /** Whether this replica may write status now. */
  public boolean isLeader() {
    return leader;
  }

  public String identity() {
    return settings.identity();
  }

  /** Calls {@code listener} when this replica gains or loses leadership. */
  public void onChange(Runnable listener) {
    listeners.add(listener);
  }

  private void compete() {
    if (closed) {
      return;
    }
    LeaderElector elector =
        client
            .leaderElector()
            .withConfig(
                new LeaderElectionConfigBuilder()
                    .withName(settings.leaseName())
                    .withLock(
                        new LeaseLock(
                            settings.namespace(), settings.leaseName(), settings.identity()))
                    .withLeaseDuration(settings.leaseDuration())
                    .withRenewDeadline(settings.renewDeadline())
                    .withRetryPeriod(settings.retryPeriod())
                    .withReleaseOnCancel(true)
                    .withLeaderCallbacks(
                        new LeaderCallbacks(
                            () -> changed(true),
                            () -> changed(false),
                            holder -> LOG.debugf("Status leader is now %s", holder)))
                    .build())
            .build();
    election = elector.start();
    election.whenComplete(
        (v, e) -> {
          changed(false);
          if (!closed) {
            executor.schedule(
                this::compete, settings.retryPeriod().toMillis(), TimeUnit.MILLISECONDS);
          }
        });
  }

  private void changed(boolean nowLeader) {
    if (leader == nowLeader) {
      return;
    }
    leader = nowLeader;
    LOG.infof(
        "%s %s the status leader (Lease %s/%s)",
        settings.identity(),
        nowLeader ? "became" : "is no longer",
        settings.namespace(),
        settings.leaseName());
    listeners.forEach(Runnable::run);
  }

  /**
   * Stops competing and, when this replica holds the Lease, gives it up so that another replica
   * takes over at its next try. The elector's own release on cancel runs inside a future's
   * completion, where a failure vanishes without a word (and the Lease was in fact never released
   * on SIGTERM): the release is done here, and said.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    boolean held = leader;
    CompletableFuture<?> running = election;
    if (running != null) {
      running.cancel(true);
    }
    executor.shutdownNow();
    if (held) {
      release();
    }
  }

  private void release() {
    String namespace = settings.namespace();
    String name = settings.leaseName();
    try {
      Lease lease = client.leases().inNamespace(namespace).withName(name).get();
      if (lease == null || !settings.identity().equals(lease.getSpec().getHolderIdentity())) {
        return;
      }
      lease.getSpec().setHolderIdentity(null);
      lease.getSpec().setLeaseDurationSeconds(1);
      lease.getSpec().setRenewTime(ZonedDateTime.now());
      client.resource(lease).update();
      LOG.infof("%s released the Lease %s/%s", settings.identity(), namespace, name);
    } catch (RuntimeException e) {
      // an API error, or the client already closed
      LOG.warnf(
          "%s could not release the Lease %s/%s (%s): another replica writes status once it"
              + " expires",
          settings.identity(), namespace, name, e.getMessage());
    }
  }
}
