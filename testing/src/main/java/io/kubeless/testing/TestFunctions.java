package io.kubeless.testing;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionSpec;
import io.kubeless.api.v1beta1.FunctionStatus;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Functions for tests of triggers. The mock API server runs no function controller, so a test
 * writes the status the controller would: the URL of a {@link RecordingFunction} and its readiness.
 */
public final class TestFunctions {

  public static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final AtomicInteger NAMES = new AtomicInteger();

  private TestFunctions() {}

  /** A name no other test uses, for namespaces and topics. */
  public static String unique(String prefix) {
    return prefix + "-" + NAMES.incrementAndGet();
  }

  /** Creates the Function of {@code endpoint}, with the status the function controller writes. */
  public static Function create(
      KubernetesClient client,
      String namespace,
      RecordingFunction endpoint,
      Map<String, String> labels,
      boolean ready) {
    FunctionSpec spec = new FunctionSpec();
    spec.setHandler("handler.handle");
    spec.setRuntime("python3.12");
    spec.setFunction("def handle(event, context):\n    return 'ok'\n");
    spec.setTimeout("5");
    Function function = new Function();
    function.setMetadata(
        new ObjectMetaBuilder()
            .withName(endpoint.name())
            .withNamespace(namespace)
            .withLabels(labels)
            .build());
    function.setSpec(spec);
    Function created = client.resource(function).create();
    return setReady(client, created, endpoint, ready);
  }

  /** What the function controller reports when the Deployment's pods come and go. */
  public static Function setReady(
      KubernetesClient client, Function function, RecordingFunction endpoint, boolean ready) {
    Function current =
        client
            .resources(Function.class)
            .inNamespace(function.getMetadata().getNamespace())
            .withName(function.getMetadata().getName())
            .get();
    FunctionStatus status = new FunctionStatus();
    status.setUrl(endpoint.url().toString());
    status.setReadyReplicas(ready ? 1 : 0);
    Conditions.set(
        status,
        current,
        Conditions.READY,
        ready,
        ready ? "DeploymentAvailable" : "DeploymentNotAvailable",
        (ready ? 1 : 0) + "/1 replicas ready");
    current.setStatus(status);
    return client.resource(current).updateStatus();
  }
}
