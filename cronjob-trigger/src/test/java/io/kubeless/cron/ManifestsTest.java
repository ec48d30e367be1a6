package io.kubeless.cron;

import static io.kubeless.testing.Manifests.only;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.kubeless.testing.Manifests;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code kubectl apply -k k8s/cronjob-trigger} installs a complete, locked-down trigger. */
class ManifestsTest {

  private final List<HasMetadata> objects = Manifests.render("cronjob-trigger");

  @Test
  void theKustomizationRendersTheTriggerWithLeastPrivilege() {
    Manifests.assertInstallsOnly(objects, "cronjobtriggers.kubeless.io");
    ClusterRole role = only(objects, ClusterRole.class);
    assertThat(role.getRules())
        .allSatisfy(rule -> assertThat(rule.getVerbs()).doesNotContain("*"))
        .allSatisfy(rule -> assertThat(rule.getResources()).doesNotContain("*", "secrets", "jobs"))
        .filteredOn(rule -> !rule.getResources().contains("events"))
        .allSatisfy(rule -> assertThat(rule.getVerbs()).doesNotContain("create"));
    // it deletes nothing but Kubeless's CronJobs, which it lists and never creates or changes
    assertThat(role.getRules())
        .filteredOn(rule -> rule.getVerbs().contains("delete"))
        .singleElement()
        .satisfies(
            rule -> {
              assertThat(rule.getApiGroups()).containsExactly("batch");
              assertThat(rule.getResources()).containsExactly("cronjobs");
              assertThat(rule.getVerbs()).containsExactly("list", "delete");
            });
    assertThat(role.getRules())
        .extracting(PolicyRule::getResources)
        .containsExactlyInAnyOrder(
            List.of("cronjobtriggers"),
            List.of("cronjobtriggers/status"),
            List.of("functions"),
            List.of("events"),
            List.of("cronjobs"),
            List.of("customresourcedefinitions"));
    // the Lease (who fires, who writes status) is the only thing it creates, in its own namespace
    Manifests.assertLeaseRoleOnly(objects);
  }

  @Test
  void theDeploymentIsLockedDownProbedAndScraped() {
    Deployment deployment = only(objects, Deployment.class);
    var pod = deployment.getSpec().getTemplate().getSpec();
    var container = pod.getContainers().getFirst();

    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/q/health/live");
    assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");
    assertThat(container.getResources().getRequests()).containsKeys("cpu", "memory");
    assertThat(container.getResources().getLimits()).containsKey("memory");
    assertThat(deployment.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry("prometheus.io/scrape", "true")
        .containsEntry("prometheus.io/path", "/q/metrics");
    // a second replica takes over firing when the first is lost
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
    // the calls in flight end within the default stop timeout (10 s), inside the grace period
    assertThat((long) pod.getTerminationGracePeriodSeconds()).isGreaterThan(10);
  }
}
