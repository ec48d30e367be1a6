package io.kubeless.testing;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.function.FunctionFields;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionSpec;
import io.kubeless.api.v1beta1.FunctionStatus;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Functions for tests of triggers. The mock API server runs no function controller, so a test
 * writes the status the controller would: its readiness, and a {@code status.url} for display.
 *
 * <p>Triggers never invoke {@code status.url}: they derive a function's address from its name,
 * namespace and Service port by {@code kubeless.trigger.functions.url-template}. So the Function's
 * {@code spec.service} port is the {@link RecordingFunction}'s port, and the trigger modules' tests
 * set the template to {@code http://127.0.0.1:{port}}.
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
    spec.setService(service(endpoint.url().getPort()));
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

  /**
   * A Service spec exposing {@code port}, the one a trigger derives the function's address from.
   */
  public static ObjectNode service(int port) {
    ObjectNode service = JsonNodeFactory.instance.objectNode();
    service
        .putArray("ports")
        .addObject()
        .put("name", FunctionFields.PORT_NAME)
        .put("port", port)
        .put("targetPort", port)
        .put("protocol", "TCP");
    return service;
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
    // for display only: triggers derive the address from spec.service (see the class comment)
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
