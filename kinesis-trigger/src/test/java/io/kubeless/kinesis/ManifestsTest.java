package io.kubeless.kinesis;

import static io.kubeless.testing.Manifests.only;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.kubeless.kinesis.source.KinesisSettings;
import io.kubeless.testing.Manifests;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;

/**
 * {@code kubectl apply -k k8s/kinesis-trigger} installs a complete, locked-down trigger. Unlike the
 * other triggers it reads Secrets (a trigger's AWS keys, as Kubeless did): {@code get}, by name,
 * nothing else.
 */
class ManifestsTest {

  private final List<HasMetadata> objects = Manifests.render("kinesis-trigger");

  @Test
  void theKustomizationInstallsItsCrdAndALockedDownDeployment() {
    Deployment deployment =
        Manifests.assertInstallsOnly(objects, "kinesistriggers.kubeless.io", true);
    var container = deployment.getSpec().getTemplate().getSpec().getContainers().getFirst();
    assertThat(container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(container.getResources().getRequests())
        .containsEntry("cpu", new Quantity("200m"))
        .containsEntry("memory", new Quantity("160Mi"));
    assertThat(deployment.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry("prometheus.io/port", "8080");
  }

  @Test
  void clusterWideTheTriggerReadsItsKindFunctionsAndSecretsByNameAndWritesStatusAndEvents() {
    ClusterRole role = only(objects, ClusterRole.class);
    assertThat(role.getRules())
        .allSatisfy(rule -> assertThat(rule.getVerbs()).doesNotContain("*", "delete"))
        .allSatisfy(rule -> assertThat(rule.getResources()).doesNotContain("*", "leases"))
        .filteredOn(rule -> !rule.getResources().contains("events"))
        .allSatisfy(rule -> assertThat(rule.getVerbs()).doesNotContain("create"));
    assertThat(role.getRules())
        .extracting(PolicyRule::getResources, PolicyRule::getVerbs)
        .containsExactlyInAnyOrder(
            rule(List.of("kinesistriggers"), List.of("get", "list", "watch")),
            rule(List.of("kinesistriggers/status"), List.of("get", "update", "patch")),
            rule(List.of("functions"), List.of("get", "list", "watch")),
            // one Secret by name per trigger: never listed or watched, so no other Secret is read
            rule(List.of("secrets"), List.of("get")),
            rule(List.of("events"), List.of("create", "patch")),
            rule(List.of("customresourcedefinitions"), List.of("get")));
    assertThat(role.getRules())
        .filteredOn(rule -> rule.getResources().contains("customresourcedefinitions"))
        .singleElement()
        .satisfies(
            rule ->
                assertThat(rule.getResourceNames()).containsExactly("kinesistriggers.kubeless.io"));
    ClusterRoleBinding binding = only(objects, ClusterRoleBinding.class);
    assertThat(binding.getRoleRef().getName()).isEqualTo(role.getMetadata().getName());
    assertThat(binding.getSubjects())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getName()).isEqualTo("kubeless-kinesis-trigger");
              assertThat(s.getNamespace()).isEqualTo("kubeless");
            });
  }

  @Test
  void leasesAreManagedInTheControllersNamespaceOnly() {
    Role leases = only(objects, Role.class);
    assertThat(leases.getMetadata().getNamespace()).isEqualTo("kubeless");
    assertThat(leases.getRules())
        .singleElement()
        .satisfies(
            rule -> {
              assertThat(rule.getApiGroups()).containsExactly("coordination.k8s.io");
              assertThat(rule.getResources()).containsExactly("leases");
              assertThat(rule.getVerbs())
                  .containsExactlyInAnyOrder(
                      "get", "list", "watch", "create", "update", "patch", "delete");
            });
    RoleBinding binding = only(objects, RoleBinding.class);
    assertThat(binding.getMetadata().getNamespace()).isEqualTo("kubeless");
    assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
    assertThat(binding.getRoleRef().getName()).isEqualTo(leases.getMetadata().getName());
  }

  @Test
  void theDeploymentKnowsItsNamespaceAndHasTimeToStopGracefully() {
    Deployment deployment = only(objects, Deployment.class);
    var pod = deployment.getSpec().getTemplate().getSpec();
    Map<String, EnvVar> env =
        pod.getContainers().getFirst().getEnv().stream()
            .collect(Collectors.toMap(EnvVar::getName, e -> e));

    // the namespace of the Leases
    assertThat(env.get("KUBELESS_NAMESPACE").getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.namespace");
    // no AWS key in the manifest: they come from the triggers' Secrets or the pod's identity
    assertThat(env).doesNotContainKeys("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY");
    // a graceful stop (stop timeout, plus the source's 2 s) fits the termination grace period
    assertThat((long) pod.getTerminationGracePeriodSeconds())
        .isGreaterThan(KinesisSettings.defaults().stopTimeout().plusSeconds(2).toSeconds());
  }

  private static Tuple rule(List<String> resources, List<String> verbs) {
    return Tuple.tuple(resources, verbs);
  }
}
