package io.kubeless.function;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.Crds;
import io.kubeless.api.v1beta1.Function;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Before the operator starts (its start-up observer comes later): Function must be served, else the
 * start stops naming the CRD to install ({@link Crds}).
 */
@ApplicationScoped
class CrdCheck {

  /** Off in the tests: the mock API server answers no API discovery. */
  @ConfigProperty(name = "kubeless.crd-check", defaultValue = "true")
  boolean enabled;

  void onStart(@Observes @Priority(100) StartupEvent event, KubernetesClient client) {
    if (!enabled) {
      return;
    }
    Crds.requireServed(client, List.of(Function.class));
  }
}
