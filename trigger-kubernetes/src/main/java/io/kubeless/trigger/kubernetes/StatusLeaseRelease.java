package io.kubeless.trigger.kubernetes;

import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

/**
 * Gives the status Lease up as soon as a graceful stop begins, so that another replica writes
 * status at its next try instead of waiting for the Lease to expire. It must run before the
 * operator stops (quarkus-operator-sdk's shutdown observer, at the default priority): stopping the
 * operator closes the Kubernetes client, and a release after it fails with "Client is closed".
 */
@Singleton
class StatusLeaseRelease {

  void release(@Observes @Priority(1000) ShutdownEvent event, StatusLeadership leadership) {
    leadership.close();
  }
}
