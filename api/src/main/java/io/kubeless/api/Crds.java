package io.kubeless.api;

import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Whether the API server serves a controller's custom resources, asked before its informers start:
 * a CRD that is not installed stops the start with one line naming it, instead of an informer's 404
 * deep in a stack trace. It asks the API discovery (allowed to every authenticated client), not the
 * CRDs themselves (which would take a cluster-wide read grant and the CRD model's classes).
 */
public final class Crds {

  private static final int NOT_FOUND = 404;

  private Crds() {}

  /**
   * @throws IllegalStateException naming every kind of {@code kinds} the API server does not serve
   */
  public static void requireServed(
      KubernetesClient client, Collection<Class<? extends HasMetadata>> kinds) {
    Map<String, Set<String>> served = new HashMap<>();
    List<String> missing = new ArrayList<>();
    List<String> files = new ArrayList<>();
    for (Class<? extends HasMetadata> kind : kinds) {
      String groupVersion = HasMetadata.getApiVersion(kind);
      Set<String> plurals = served.computeIfAbsent(groupVersion, v -> plurals(client, v));
      String plural = HasMetadata.getPlural(kind);
      if (!plurals.contains(plural)) {
        missing.add(
            HasMetadata.getFullResourceName(kind)
                + " ("
                + HasMetadata.getKind(kind)
                + " "
                + groupVersion
                + ")");
        files.add("k8s/crds/" + plural);
      }
    }
    if (!missing.isEmpty()) {
      throw new IllegalStateException(
          "The API server serves no "
              + String.join(", no ", missing)
              + ": install their CustomResourceDefinitions ("
              + String.join(", ", files)
              + "; kubectl apply -k k8s/<component> installs a component's own kind) and start"
              + " again");
    }
  }

  private static Set<String> plurals(KubernetesClient client, String groupVersion) {
    APIResourceList list;
    try {
      list = client.getApiResources(groupVersion);
    } catch (KubernetesClientException e) {
      if (e.getCode() == NOT_FOUND) {
        return Set.of();
      }
      throw e;
    }
    return list == null || list.getResources() == null
        ? Set.of()
        : list.getResources().stream().map(APIResource::getName).collect(Collectors.toSet());
  }
}
