package io.kubeless.testing;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.TriggerStatus;
import java.time.Duration;

/** Waits on what a trigger controller writes: its {@code Ready} condition and its Events. */
public final class TriggerStatuses {

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private TriggerStatuses() {}

  /** Waits until the trigger's {@code Ready} condition has {@code status} and {@code reason}. */
  public static <T extends CustomResource<?, TriggerStatus> & Namespaced> T awaitReady(
      KubernetesClient client,
      Class<T> type,
      String namespace,
      String name,
      String status,
      String reason) {
    return await()
        .atMost(TIMEOUT)
        .until(
            () -> client.resources(type).inNamespace(namespace).withName(name).get(),
            t ->
                t != null
                    && t.getStatus() != null
                    && Conditions.find(t.getStatus(), Conditions.READY)
                        .filter(c -> c.getStatus().equals(status) && c.getReason().equals(reason))
                        .isPresent());
  }

  /** Waits until a Warning Event with {@code reason} names the object {@code name}. */
  public static void awaitWarningEvent(
      KubernetesClient client, String namespace, String name, String reason) {
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                client.v1().events().inNamespace(namespace).list().getItems().stream()
                    .anyMatch(
                        e ->
                            reason.equals(e.getReason())
                                && "Warning".equals(e.getType())
                                && name.equals(e.getInvolvedObject().getName())));
  }
}
