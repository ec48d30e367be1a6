package io.kubeless.function;

import static io.kubeless.function.TestFunctions.TIMEOUT;
import static io.kubeless.function.TestFunctions.awaitCondition;
import static io.kubeless.function.TestFunctions.awaitDeployment;
import static io.kubeless.function.TestSpecs.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.Function;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A Function asking for a Service that leaves the cluster or a pod that escalates is refused:
 * {@code Ready=False}, a Warning Event, nothing written; the Functions next to it keep being
 * served, and a namespace the operator relaxed gets what it was allowed.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class FunctionPolicyTest {

  /** Relaxed in the test profile: NodePort Services, baseline pods, ServiceAccount builder. */
  private static final String RELAXED = "policy-relaxed";

  @Inject KubernetesClient client;

  @Test
  void aServiceThatLeavesTheClusterIsRefusedAndWritesNothing() {
    String ns = TestFunctions.namespace("svc-policy");
    Function bad = TestFunctions.python(ns, "bad");
    bad.getSpec()
        .setService(
            yaml("{type: ExternalName, externalName: attacker.example.com, ports: [{port: 80}]}"));
    client.resource(bad).create();
    client.resource(TestFunctions.python(ns, "good")).create();

    Function refused = awaitCondition(client, ns, "bad", "False", "ServiceNotAllowed");
    awaitDeployment(client, ns, "good");

    assertThat(message(refused))
        .contains("spec.service.type ExternalName (allowed: ClusterIP)")
        .contains("spec.service.externalName");
    assertThat(warnings(ns, "bad")).extracting(Event::getReason).contains("ServiceNotAllowed");
    assertThat(client.services().inNamespace(ns).withName("bad").get()).isNull();
    assertThat(client.apps().deployments().inNamespace(ns).withName("bad").get()).isNull();
  }

  @Test
  void anEscalatingPodIsRefusedAndTheRunningDeploymentIsLeftAsItWas() {
    String ns = TestFunctions.namespace("pod-policy");
    client.resource(TestFunctions.python(ns, "fn")).create();
    Deployment before = awaitDeployment(client, ns, "fn");
    awaitCondition(client, ns, "fn", "False", "DeploymentNotAvailable");

    TestFunctions.edit(
        client,
        ns,
        "fn",
        f ->
            f.getSpec()
                .setDeployment(
                    yaml(
                        "spec: {template: {spec: {hostPID: true, serviceAccountName: admin,"
                            + " volumes: [{name: root, hostPath: {path: /}}], containers: [{},"
                            + " {name: sh, image: 'busybox:1', securityContext: {privileged:"
                            + " true}}]}}}")));

    Function refused = awaitCondition(client, ns, "fn", "False", "PodNotAllowed");
    assertThat(message(refused))
        .contains("restricted policy")
        .contains("spec.deployment.spec.template.spec.hostPID: true")
        .contains("spec.deployment.spec.template.spec.serviceAccountName: admin")
        .contains("spec.deployment.spec.template.spec.volumes[root].hostPath")
        .contains("spec.deployment.spec.template.spec.containers[sh].securityContext.privileged");
    assertThat(warnings(ns, "fn")).extracting(Event::getReason).containsExactly("PodNotAllowed");
    Deployment after = client.apps().deployments().inNamespace(ns).withName("fn").get();
    assertThat(after.getMetadata().getResourceVersion())
        .isEqualTo(before.getMetadata().getResourceVersion());
    assertThat(after.getSpec().getTemplate().getSpec().getHostPID()).isNotEqualTo(Boolean.TRUE);

    // fixed: deployed again
    TestFunctions.edit(client, ns, "fn", f -> f.getSpec().setDeployment(null));
    await()
        .atMost(TIMEOUT)
        .until(
            () -> client.resources(Function.class).inNamespace(ns).withName("fn").get(),
            f ->
                Conditions.find(f.getStatus(), Conditions.READY)
                    .filter(c -> !"PodNotAllowed".equals(c.getReason()))
                    .isPresent());
  }

  @Test
  void aNamespaceTheOperatorRelaxedGetsWhatItWasAllowed() {
    Function nodePort = TestFunctions.python(RELAXED, "exposed");
    nodePort.getSpec().setService(yaml("{type: NodePort, ports: [{port: 80, nodePort: 30080}]}"));
    nodePort
        .getSpec()
        .setDeployment(
            yaml(
                "spec: {template: {spec: {serviceAccountName: builder, securityContext:"
                    + " {runAsUser: 0, runAsNonRoot: false}}}}"));
    client.resource(nodePort).create();
    Function host = TestFunctions.python(RELAXED, "host");
    host.getSpec().setDeployment(yaml("spec: {template: {spec: {hostNetwork: true}}}"));
    client.resource(host).create();

    Deployment deployment = awaitDeployment(client, RELAXED, "exposed");
    assertThat(client.services().inNamespace(RELAXED).withName("exposed").get().getSpec().getType())
        .isEqualTo("NodePort");
    assertThat(deployment.getSpec().getTemplate().getSpec().getServiceAccountName())
        .isEqualTo("builder");
    // baseline still refuses the host's namespaces
    Function refused = awaitCondition(client, RELAXED, "host", "False", "PodNotAllowed");
    assertThat(message(refused)).contains("baseline policy").contains("spec.hostNetwork: true");
  }

  private static String message(Function function) {
    return Conditions.find(function.getStatus(), Conditions.READY).orElseThrow().getMessage();
  }

  private List<Event> warnings(String ns, String name) {
    return client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> "Warning".equals(e.getType()))
        .filter(e -> name.equals(e.getInvolvedObject().getName()))
        .toList();
  }
}
