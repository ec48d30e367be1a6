package io.kubeless.function;

import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import jakarta.inject.Singleton;

/**
 * Only one replica reconciles Functions; the others wait on the Lease and take over when the leader
 * stops renewing it. Active in the prod profile.
 */
@Singleton
public class LeaderElection extends LeaderElectionConfiguration {

  public LeaderElection() {
    super("kubeless-function-controller");
  }
}
