package io.kubeless.console;

import static io.kubeless.testing.Manifests.only;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.kubeless.testing.Manifests;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code kubectl apply -k k8s/console} installs a locked-down console with least privilege. */
class ManifestsTest {

  private final List<HasMetadata> objects = Manifests.render("console");

  @Test
  void theConsoleMayDoWhatItsApiDoesAndNothingElse() {
    assertThat(objects)
        .extracting(HasMetadata::getKind)
        .containsExactlyInAnyOrder(
            "Namespace",
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "Service",
            "Deployment");
    ClusterRole role = only(objects, ClusterRole.class);
    // exactly the calls of ResourcesApi, TriggersApi and FunctionsApi: no watch, patch or status,
    // no Secrets, Services or Deployments
    assertThat(role.getRules())
        .extracting(PolicyRule::getApiGroups, PolicyRule::getResources, PolicyRule::getVerbs)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(
                List.of("kubeless.io"),
                Kinds.ALL.stream().map(HasMetadata::getPlural).toList(),
                List.of("get", "list", "create", "update", "delete")),
            org.assertj.core.groups.Tuple.tuple(
                List.of(""), List.of("pods"), List.of("get", "list")),
            org.assertj.core.groups.Tuple.tuple(List.of(""), List.of("pods/log"), List.of("get")));
    ClusterRoleBinding binding = only(objects, ClusterRoleBinding.class);
    assertThat(binding.getRoleRef().getName()).isEqualTo(role.getMetadata().getName());
    assertThat(binding.getSubjects())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getName())
                  .isEqualTo(only(objects, ServiceAccount.class).getMetadata().getName());
              assertThat(s.getNamespace()).isEqualTo("kubeless");
            });
  }

  @Test
  void theDeploymentIsLockedDownProbedScrapedAndGetsItsTokenFromASecret() {
    Deployment deployment = only(objects, Deployment.class);
    assertThat(deployment.getMetadata().getNamespace()).isEqualTo("kubeless");
    var pod = deployment.getSpec().getTemplate().getSpec();
    var container = pod.getContainers().getFirst();
    assertThat(pod.getServiceAccountName()).isEqualTo("kubeless-console");
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(container.getVolumeMounts())
        .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/tmp"));
    assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/q/health/live");
    assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");
    assertThat(container.getResources().getRequests()).containsKeys("cpu", "memory");
    assertThat(container.getResources().getLimits()).containsKey("memory");
    assertThat(deployment.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry("prometheus.io/scrape", "true")
        .containsEntry("prometheus.io/path", "/q/metrics");
    assertThat(container.getEnv())
        .filteredOn(e -> e.getName().equals("KUBELESS_CONSOLE_TOKEN"))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getValueFrom().getSecretKeyRef().getName())
                  .isEqualTo("kubeless-console");
              assertThat(e.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("token");
            });
    Service service = only(objects, Service.class);
    assertThat(service.getSpec().getSelector())
        .isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
    assertThat(service.getSpec().getPorts().getFirst().getTargetPort().getStrVal())
        .isEqualTo(container.getPorts().getFirst().getName());
  }
}
