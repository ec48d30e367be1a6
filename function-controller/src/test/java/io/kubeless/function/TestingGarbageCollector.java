package io.kubeless.function;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.v1beta1.Function;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Does what the cluster's garbage collector does for a namespace, which the mock API server does
 * not: deletes every object whose owner Function no longer exists.
 */
final class TestingGarbageCollector {

  private TestingGarbageCollector() {}

  static void collect(KubernetesClient client, String namespace) {
    Set<String> live =
        client.resources(Function.class).inNamespace(namespace).list().getItems().stream()
            .map(f -> f.getMetadata().getUid())
            .collect(Collectors.toSet());
    for (Class<? extends HasMetadata> type :
        List.of(
            io.fabric8.kubernetes.api.model.ConfigMap.class,
            Service.class,
            Deployment.class,
            HorizontalPodAutoscaler.class)) {
      for (HasMetadata object : client.resources(type).inNamespace(namespace).list().getItems()) {
        boolean orphaned =
            object.getMetadata().getOwnerReferences().stream()
                .anyMatch(o -> "Function".equals(o.getKind()) && !live.contains(o.getUid()));
        if (orphaned) {
          client.resource(object).delete();
        }
      }
    }
  }
}
