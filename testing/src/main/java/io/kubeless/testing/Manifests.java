package io.kubeless.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What {@code kubectl apply -k k8s/<component>} installs, rendered by kubectl's kustomize. */
public final class Manifests {

  private Manifests() {}

  /** The objects of {@code k8s/<component>}; fails with kubectl's output if it does not render. */
  public static List<HasMetadata> render(String component) {
    String rendered;
    try {
      Process kubectl =
          new ProcessBuilder(
                  "kubectl",
                  "kustomize",
                  Repository.root().resolve("k8s").resolve(component).toString())
              .redirectErrorStream(true)
              .start();
      rendered = new String(kubectl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!kubectl.waitFor(60, TimeUnit.SECONDS) || kubectl.exitValue() != 0) {
        throw new AssertionError("kubectl kustomize k8s/" + component + " failed:\n" + rendered);
      }
    } catch (IOException e) {
      throw new AssertionError("kubectl is needed to render k8s/" + component, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    return Arrays.stream(rendered.split("(?m)^---$"))
        .filter(doc -> !doc.isBlank())
        .map(doc -> (HasMetadata) Serialization.unmarshal(doc))
        .toList();
  }

  /**
   * Asserts what every component's manifest must be (DESIGN.md, "Kubernetes behaviour"): its own
   * CRD only, a ServiceAccount, RBAC without wildcards or Secrets, and one Deployment in namespace
   * kubeless with health probes, resource requests, a non-root read-only container and Prometheus
   * scrape annotations on /q/metrics. Returns the Deployment for component-specific checks.
   */
  public static Deployment assertInstallsOnly(List<HasMetadata> objects, String crd) {
    return assertInstallsOnly(objects, crd, false);
  }

  /**
   * As {@link #assertInstallsOnly(List, String)}, for a component that reads Secrets the user names
   * (credentials, htpasswd): then one rule may {@code get} secrets, by name only, never list or
   * watch them.
   */
  public static Deployment assertInstallsOnly(
      List<HasMetadata> objects, String crd, boolean getsSecrets) {
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
        .containsExactly(crd);
    for (var rules :
        List.of(
            only(objects, ClusterRole.class).getRules(), only(objects, Role.class).getRules())) {
      assertThat(rules)
          .allSatisfy(rule -> assertThat(rule.getVerbs()).doesNotContain("*"))
          .allSatisfy(rule -> assertThat(rule.getResources()).doesNotContain("*"))
          .filteredOn(rule -> rule.getResources().contains("secrets"))
          .allSatisfy(
              rule -> {
                assertThat(getsSecrets).as("rules on secrets: %s", rule).isTrue();
                assertThat(rule.getResources()).containsExactly("secrets");
                assertThat(rule.getVerbs()).containsExactly("get");
              });
    }

    Deployment deployment = only(objects, Deployment.class);
    assertThat(deployment.getMetadata().getNamespace()).isEqualTo("kubeless");
    var pod = deployment.getSpec().getTemplate().getSpec();
    var container = pod.getContainers().get(0);
    assertThat(pod.getServiceAccountName())
        .isEqualTo(only(objects, ServiceAccount.class).getMetadata().getName());
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(container.getVolumeMounts())
        .as("a writable /tmp under a read-only root")
        .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/tmp"));
    assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/q/health/live");
    assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");
    assertThat(container.getResources().getRequests()).containsKeys("cpu", "memory");
    assertThat(deployment.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry("prometheus.io/scrape", "true")
        .containsEntry("prometheus.io/path", "/q/metrics");
    return deployment;
  }

  /**
   * Asserts that the namespaced Role of a trigger is about its Leases only, in namespace kubeless,
   * and may not delete them (a replica never deletes another's Lease).
   */
  public static void assertLeaseRoleOnly(List<HasMetadata> objects) {
    Role leader = only(objects, Role.class);
    assertThat(leader.getMetadata().getNamespace()).isEqualTo("kubeless");
    assertThat(leader.getRules())
        .singleElement()
        .satisfies(
            rule -> {
              assertThat(rule.getResources()).isEqualTo(List.of("leases"));
              assertThat(rule.getVerbs()).doesNotContain("delete", "*");
            });
  }

  /** The single object of a type among rendered ones. */
  public static <T extends HasMetadata> T only(List<HasMetadata> objects, Class<T> type) {
    List<T> matching = objects.stream().filter(type::isInstance).map(type::cast).toList();
    if (matching.size() != 1) {
      throw new AssertionError(
          "expected one " + type.getSimpleName() + ", found " + matching.size());
    }
    return matching.get(0);
  }
}
