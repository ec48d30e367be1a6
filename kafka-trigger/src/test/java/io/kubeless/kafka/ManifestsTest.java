package io.kubeless.kafka;

import static io.kubeless.testing.Manifests.only;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.kubeless.testing.Manifests;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code kubectl apply -k k8s/kafka-trigger} installs a complete, locked-down trigger. */
class ManifestsTest {

  @Test
  void theKustomizationRendersTheTriggerWithLeastPrivilege() {
    List<HasMetadata> objects = Manifests.render("kafka-trigger");

    Deployment deployment = Manifests.assertInstallsOnly(objects, "kafkatriggers.kubeless.io");
    ClusterRole role = only(objects, ClusterRole.class);
    // cluster-wide, the trigger reads, writes status and records Events; it creates nothing else
    assertThat(role.getRules())
        .allSatisfy(rule -> assertThat(rule.getVerbs()).doesNotContain("*", "delete"))
        .allSatisfy(rule -> assertThat(rule.getResources()).doesNotContain("*", "secrets"))
        .filteredOn(rule -> !rule.getResources().contains("events"))
        .allSatisfy(rule -> assertThat(rule.getVerbs()).doesNotContain("create"));
    assertThat(role.getRules())
        .anySatisfy(
            rule ->
                assertThat(rule)
                    .extracting(PolicyRule::getResources, PolicyRule::getVerbs)
                    .containsExactly(List.of("kafkatriggers"), List.of("get", "list", "watch")))
        .anySatisfy(
            rule ->
                assertThat(rule)
                    .extracting(PolicyRule::getResources, PolicyRule::getVerbs)
                    .containsExactly(
                        List.of("kafkatriggers/status"), List.of("get", "update", "patch")))
        .anySatisfy(
            rule ->
                assertThat(rule)
                    .extracting(PolicyRule::getResources, PolicyRule::getVerbs)
                    .containsExactly(List.of("functions"), List.of("get", "list", "watch")))
        // the topic policy reads namespaces' annotations, and nothing else of them
        .anySatisfy(
            rule ->
                assertThat(rule)
                    .extracting(PolicyRule::getResources, PolicyRule::getVerbs)
                    .containsExactly(List.of("namespaces"), List.of("get", "list", "watch")));
    // Leases (status, partitions, membership) are all the trigger may create, in its namespace
    Role leader = only(objects, Role.class);
    assertThat(leader.getMetadata().getNamespace()).isEqualTo("kubeless");
    assertThat(leader.getRules())
        .singleElement()
        .extracting(PolicyRule::getResources)
        .isEqualTo(List.of("leases"));

    var container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(container.getEnv())
        .anySatisfy(e -> assertThat(e.getName()).isEqualTo("KAFKA_BROKERS"));
  }
}
