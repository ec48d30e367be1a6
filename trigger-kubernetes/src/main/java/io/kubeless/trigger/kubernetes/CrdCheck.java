package io.kubeless.trigger.kubernetes;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.ControllerConfiguration;
import io.kubeless.api.Crds;
import io.kubeless.api.v1beta1.Function;
import io.quarkiverse.operatorsdk.runtime.QuarkusConfigurationService;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.LinkedHashSet;
import java.util.Set;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Before the operator starts (its start-up observer comes later): the trigger's kind and Function
 * must be served, else the start stops naming the CRD to install ({@link Crds}). The kinds come
 * from the operator's configuration, not from the operator: creating it creates the reconcilers,
 * whose Functions informer would log the missing CRD's 404 before this check could name it.
 */
@ApplicationScoped
class CrdCheck {

  /** Off in the tests: the mock API server answers no API discovery. */
  @ConfigProperty(name = "kubeless.crd-check", defaultValue = "true")
  boolean enabled;

  void onStart(
      @Observes @Priority(100) StartupEvent event,
      KubernetesClient client,
      QuarkusConfigurationService operator) {
    if (!enabled) {
      return;
    }
    Set<Class<? extends HasMetadata>> kinds = new LinkedHashSet<>();
    operator
        .controllerConfigurations()
        .map(ControllerConfiguration::getResourceClass)
        .forEach(kinds::add);
    kinds.add(Function.class);
    Crds.requireServed(client, kinds);
  }
}
