package io.kubeless.function;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.testing.KubeCluster;
import io.kubeless.testing.PackagedApp;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The packaged function controller on the shared real API server: installed as a user does ({@code
 * kubectl apply --server-side -k k8s/function-controller}) and run as its ServiceAccount, so that
 * it can do exactly what the manifests grant. Each cluster test class starts its own replicas and
 * stops them gracefully, which releases the Lease for the next class.
 */
final class ClusterControllers {

  static final Duration TIMEOUT = Duration.ofSeconds(60);
  static final String ACCOUNT = "kubeless-function-controller";

  /** The controller's server-side apply field manager: JOSDK's default, the controller's name. */
  static final String FIELD_MANAGER = "function";

  private ClusterControllers() {}

  /** Installs the manifests and starts one replica that holds the Lease. */
  static PackagedApp installAndStart(KubeCluster cluster, String identity) {
    cluster.install("function-controller");
    PackagedApp controller = start(cluster, identity);
    await("the Lease held by " + identity)
        .atMost(TIMEOUT)
        .until(() -> identity.equals(leaseHolder(cluster.admin())));
    return controller;
  }

  /** Starts a replica as the controller's ServiceAccount, logging to target/{identity}.log. */
  static PackagedApp start(KubeCluster cluster, String identity) {
    return PackagedApp.of("kubeless.controller.jar").cluster(cluster, ACCOUNT).start(identity);
  }

  /** Stops a replica as Kubernetes does (SIGTERM), so that it releases the Lease. */
  static void stop(PackagedApp controller) throws InterruptedException {
    if (controller != null && controller.isAlive() && !controller.terminate(TIMEOUT)) {
      controller.close();
    }
  }

  /** The holder of the controller's Lease, or null. */
  static String leaseHolder(KubernetesClient admin) {
    Lease lease = admin.leases().inNamespace("kubeless").withName(LeaderElection.LEASE).get();
    return lease == null ? null : lease.getSpec().getHolderIdentity();
  }

  static Function function(KubernetesClient admin, String ns, String name) {
    return admin.resources(Function.class).inNamespace(ns).withName(name).get();
  }

  /** Waits until the Function's {@code Ready} condition has this status and reason. */
  static Function awaitReady(
      KubernetesClient admin, String ns, String name, String status, String reason) {
    return await(name + " Ready=" + status + " " + reason)
        .atMost(TIMEOUT)
        .until(
            () -> function(admin, ns, name),
            f ->
                f != null
                    && Conditions.find(f.getStatus(), Conditions.READY)
                        .filter(c -> status.equals(c.getStatus()) && reason.equals(c.getReason()))
                        .isPresent());
  }

  static <T extends HasMetadata> T awaitChild(
      KubernetesClient admin, Class<T> type, String ns, String name) {
    return await(type.getSimpleName() + " " + ns + "/" + name)
        .atMost(TIMEOUT)
        .until(() -> admin.resources(type).inNamespace(ns).withName(name).get(), c -> c != null);
  }

  static List<Event> events(KubernetesClient admin, String ns, String name) {
    return admin.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName()))
        .toList();
  }

  /** The managed-fields entry of a manager and operation on the object itself (no subresource). */
  static Optional<ManagedFieldsEntry> entry(HasMetadata object, String manager, String operation) {
    return object.getMetadata().getManagedFields().stream()
        .filter(e -> manager.equals(e.getManager()) && operation.equals(e.getOperation()))
        .filter(e -> e.getSubresource() == null || e.getSubresource().isEmpty())
        .findFirst();
  }

  /** What a replica has logged so far. */
  static String log(String identity) {
    try {
      return Files.readString(Path.of("target", identity + ".log"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
