package io.kubeless.http;

import static io.kubeless.testing.Manifests.only;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.kubeless.testing.Manifests;
import io.kubeless.testing.Repository;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * {@code kubectl apply -k k8s/http-trigger} installs a complete, locked-down trigger and the
 * Service of its built-in gateway, which reads the basic-auth Secrets it is given ({@code get}, by
 * name, nothing else).
 */
class ManifestsTest {

  private final List<HasMetadata> objects = Manifests.render("http-trigger");

  @Test
  void theKustomizationRendersTheTriggerWithLeastPrivilege() {
    ClusterRole role = only(objects, ClusterRole.class);
    assertThat(role.getRules())
        .extracting(PolicyRule::getResources, PolicyRule::getVerbs)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(
                List.of("httptriggers"), List.of("get", "list", "watch")),
            org.assertj.core.groups.Tuple.tuple(
                List.of("httptriggers/status"), List.of("get", "update", "patch")),
            org.assertj.core.groups.Tuple.tuple(
                List.of("functions"), List.of("get", "list", "watch")),
            org.assertj.core.groups.Tuple.tuple(
                List.of("ingresses"),
                List.of("get", "list", "watch", "create", "update", "patch", "delete")),
            org.assertj.core.groups.Tuple.tuple(
                List.of("httproutes"),
                List.of("get", "list", "watch", "create", "update", "patch", "delete")),
            // the built-in gateway's basic auth: one Secret by name, never listed or watched
            org.assertj.core.groups.Tuple.tuple(List.of("secrets"), List.of("get")),
            org.assertj.core.groups.Tuple.tuple(List.of("events"), List.of("create", "patch")),
            org.assertj.core.groups.Tuple.tuple(
                List.of("customresourcedefinitions"), List.of("get")));
    assertThat(role.getRules())
        .filteredOn(rule -> rule.getResources().contains("customresourcedefinitions"))
        .singleElement()
        .satisfies(
            rule ->
                assertThat(rule.getResourceNames()).containsExactly("httptriggers.kubeless.io"));
    // the Lease is the only thing created in the trigger's own namespace
    Manifests.assertLeaseRoleOnly(objects);
  }

  @Test
  void theDeploymentIsLockedDownProbedAndScraped() {
    Deployment deployment = Manifests.assertInstallsOnly(objects, "httptriggers.kubeless.io", true);
    var container = deployment.getSpec().getTemplate().getSpec().getContainers().getFirst();
    assertThat(deployment.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry("prometheus.io/port", "8080");
    assertThat(
            container.getEnv().stream()
                .filter(e -> e.getName().equals("KUBELESS_NAMESPACE"))
                .findFirst()
                .orElseThrow()
                .getValueFrom()
                .getFieldRef()
                .getFieldPath())
        .isEqualTo("metadata.namespace");
  }

  @Test
  void oneServiceSpreadsTheBuiltinGatewayOverEveryReplica() throws IOException {
    Deployment deployment = only(objects, Deployment.class);
    Service service = only(objects, Service.class);
    assertThat(service.getMetadata().getName()).isEqualTo("kubeless-http-gateway");
    assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(service.getSpec().getSelector());
    var port = service.getSpec().getPorts().getFirst();
    assertThat(port.getPort()).isEqualTo(80);
    ContainerPort gateway =
        deployment.getSpec().getTemplate().getSpec().getContainers().getFirst().getPorts().stream()
            .filter(p -> p.getName().equals(port.getTargetPort().getStrVal()))
            .findFirst()
            .orElseThrow();
    // the port the application listens on, apart from the probes' and metrics' port
    assertThat(gateway.getContainerPort())
        .isEqualTo(Integer.parseInt(properties().getProperty("kubeless.http-trigger.gateway.port")))
        .isNotEqualTo(8080);
  }

  private static Properties properties() throws IOException {
    Properties properties = new Properties();
    try (InputStream in =
        Files.newInputStream(
            Repository.root().resolve("http-trigger/src/main/resources/application.properties"))) {
      properties.load(in);
    }
    return properties;
  }
}
