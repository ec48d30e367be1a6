package io.kubeless.function;

import static io.kubeless.testing.Manifests.only;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.kubeless.testing.Manifests;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code kubectl apply -k k8s/function-controller} installs a complete, locked-down controller. */
class ManifestsTest {

  @Test
  void theKustomizationRendersTheControllerWithLeastPrivilege() {
    List<HasMetadata> objects = Manifests.render("function-controller");

    assertThat(objects)
        .extracting(HasMetadata::getKind)
        .contains(
            "Namespace",
            "CustomResourceDefinition",
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "Role",
            "RoleBinding",
            "Deployment");
    assertThat(objects)
        .filteredOn(o -> o.getKind().equals("CustomResourceDefinition"))
        .extracting(o -> o.getMetadata().getName())
        .containsExactly("functions.kubeless.io");

    assertThat(only(objects, ClusterRole.class).getRules())
        .allSatisfy(rule -> assertThat(rule.getVerbs()).doesNotContain("*"))
        .allSatisfy(rule -> assertThat(rule.getResources()).doesNotContain("*", "secrets"));

    Deployment deployment = only(objects, Deployment.class);
    assertThat(deployment.getMetadata().getNamespace()).isEqualTo("kubeless");
    var pod = deployment.getSpec().getTemplate().getSpec();
    var container = pod.getContainers().get(0);
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/q/health/live");
    assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");
    assertThat(container.getResources().getRequests()).containsKeys("cpu", "memory");
    assertThat(deployment.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry("prometheus.io/path", "/q/metrics");
  }
}
