package io.kubeless.trigger.kubernetes;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.javaoperatorsdk.operator.processing.event.source.informer.TransformingItemStore;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionSpec;
import io.kubeless.trigger.function.InMemoryFunctionDirectory;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jboss.logging.Logger;

/**
 * The function directory of a cluster: one informer over every {@code Function}, each turned into
 * an endpoint once per change, so that resolving a selector or a name never calls the API server.
 */
public final class KubernetesFunctionDirectory extends InMemoryFunctionDirectory
    implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(KubernetesFunctionDirectory.class);

  private final SharedIndexInformer<Function> informer;

  /**
   * Starts the informer and waits up to {@code syncTimeout} for its first list, so that a trigger
   * reconciled right after start-up does not find an empty directory.
   */
  public KubernetesFunctionDirectory(
      KubernetesClient client, FunctionEndpoints endpoints, Duration syncTimeout) {
    this.informer =
        client
            .resources(Function.class)
            .inAnyNamespace()
            .runnableInformer(0)
            .itemStore(new TransformingItemStore<>(KubernetesFunctionDirectory::projection));
    informer.addEventHandler(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(Function f) {
            put(f, endpoints);
          }

          @Override
          public void onUpdate(Function before, Function after) {
            put(after, endpoints);
          }

          @Override
          public void onDelete(Function f, boolean deletedFinalStateUnknown) {
            remove(f.getMetadata().getNamespace(), f.getMetadata().getName());
          }
        });
    try {
      informer.start().toCompletableFuture().get(syncTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while listing Functions", e);
    } catch (ExecutionException | TimeoutException e) {
      // the informer keeps trying; triggers find their functions once the list arrives
      LOG.warnf("Functions are not listed yet (%s); triggers bind them when they are", e);
    }
  }

  /**
   * What the informer keeps of a Function: what an endpoint is made of (name, namespace, labels,
   * the Service's port, the timeout, the status) and what the cache needs (uid, resourceVersion);
   * not the code, the dependencies, the pod template or the managed fields, which can be most of a
   * Function's size and which a trigger never reads.
   */
  static Function projection(Function f) {
    Function kept = new Function();
    kept.setMetadata(
        new ObjectMetaBuilder()
            .withName(f.getMetadata().getName())
            .withNamespace(f.getMetadata().getNamespace())
            .withUid(f.getMetadata().getUid())
            .withResourceVersion(f.getMetadata().getResourceVersion())
            .withGeneration(f.getMetadata().getGeneration())
            .withLabels(f.getMetadata().getLabels())
            .build());
    FunctionSpec spec = new FunctionSpec();
    if (f.getSpec() != null) {
      spec.setTimeout(f.getSpec().getTimeout());
      spec.setService(f.getSpec().getService());
    }
    kept.setSpec(spec);
    kept.setStatus(f.getStatus());
    return kept;
  }

  /** The Function as the informer keeps it (see {@link #projection}), for tests. */
  Function cached(String namespace, String name) {
    return informer.getStore().getByKey(namespace + "/" + name);
  }

  /**
   * A Function whose address cannot be built from its fields is left out and logged, never thrown
   * into the informer.
   */
  private void put(Function function, FunctionEndpoints endpoints) {
    try {
      put(endpoints.of(function));
    } catch (RuntimeException e) {
      LOG.warnf(
          "Function %s/%s cannot be invoked (%s); triggers skip it",
          function.getMetadata().getNamespace(), function.getMetadata().getName(), e.getMessage());
      remove(function.getMetadata().getNamespace(), function.getMetadata().getName());
    }
  }

  /** Whether the first list of Functions has arrived. */
  public boolean synced() {
    return informer.hasSynced();
  }

  @Override
  public void close() {
    informer.close();
  }
}
