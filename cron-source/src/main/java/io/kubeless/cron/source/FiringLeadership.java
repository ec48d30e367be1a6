package io.kubeless.cron.source;

/**
 * Who fires: of all the processes running a trigger's schedule, only the one this says may. Local
 * mode has one process ({@link #ALWAYS}); on Kubernetes it is the replica holding the trigger
 * application's Lease, which stops firing as soon as it cannot renew it.
 */
@FunctionalInterface
public interface FiringLeadership {

  /** One process: it always fires. */
  FiringLeadership ALWAYS = () -> true;

  /** Whether this process may fire a tick now; asked at every tick, so it must be cheap. */
  boolean mayFire();
}
