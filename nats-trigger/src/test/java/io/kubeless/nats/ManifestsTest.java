package io.kubeless.nats;

import static io.kubeless.testing.Manifests.only;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.kubeless.nats.source.NatsSettings;
import io.kubeless.testing.Manifests;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** {@code kubectl apply -k k8s/nats-trigger} installs a complete, locked-down trigger. */
class ManifestsTest {

  private final List<HasMetadata> objects = Manifests.render("nats-trigger");

  @Test
  void theKustomizationRendersTheTriggerWithLeastPrivilege() {
    Manifests.assertInstallsOnly(objects, "natstriggers.kubeless.io");
    ClusterRole role = only(objects, ClusterRole.class);
    // cluster-wide, the trigger reads, writes status and records Events; it creates nothing else
    assertThat(role.getRules())
        .allSatisfy(rule -> assertThat(rule.getVerbs()).doesNotContain("*", "delete"))
        .allSatisfy(rule -> assertThat(rule.getResources()).doesNotContain("*", "secrets"))
        .filteredOn(rule -> !rule.getResources().contains("events"))
        .allSatisfy(rule -> assertThat(rule.getVerbs()).doesNotContain("create"));
    assertThat(role.getRules())
        .extracting(PolicyRule::getResources)
        .containsExactlyInAnyOrder(
            List.of("natstriggers"),
            List.of("natstriggers/status"),
            List.of("functions"),
            List.of("events"),
            List.of("customresourcedefinitions"));
    assertThat(role.getRules())
        .anySatisfy(
            rule ->
                assertThat(rule)
                    .extracting(PolicyRule::getResources, PolicyRule::getVerbs)
                    .containsExactly(List.of("natstriggers"), List.of("get", "list", "watch")))
        .anySatisfy(
            rule ->
                assertThat(rule)
                    .extracting(PolicyRule::getResources, PolicyRule::getVerbs)
                    .containsExactly(
                        List.of("natstriggers/status"), List.of("get", "update", "patch")))
        .anySatisfy(
            rule ->
                assertThat(rule)
                    .extracting(PolicyRule::getResources, PolicyRule::getVerbs)
                    .containsExactly(List.of("functions"), List.of("get", "list", "watch")))
        .anySatisfy(
            rule ->
                assertThat(rule)
                    .extracting(
                        PolicyRule::getResources,
                        PolicyRule::getResourceNames,
                        PolicyRule::getVerbs)
                    .containsExactly(
                        List.of("customresourcedefinitions"),
                        List.of("natstriggers.kubeless.io"),
                        List.of("get")));
    // the Lease is the only thing the trigger may create, and only in its own namespace
    Manifests.assertLeaseRoleOnly(objects);
  }

  @Test
  void theDeploymentConnectsToKubelessDefaultServerWithOptionalAuthentication() {
    Deployment deployment = only(objects, Deployment.class);
    var pod = deployment.getSpec().getTemplate().getSpec();
    var container = pod.getContainers().getFirst();
    Map<String, EnvVar> env =
        container.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, e -> e));

    assertThat(env.get("NATS_URL").getValue()).isEqualTo(NatsSettings.DEFAULT_URL);
    assertThat(env.get("KUBELESS_NAMESPACE").getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.namespace");
    // a missing Secret (no authentication) must not keep the pod from starting
    Map<String, String> secretKeys =
        Map.of(
            "NATS_TOKEN", "token",
            "NATS_USER", "user",
            "NATS_PASSWORD", "password",
            "NATS_NKEY_SEED", "nkey-seed");
    secretKeys.forEach(
        (name, key) -> {
          var ref = env.get(name).getValueFrom().getSecretKeyRef();
          assertThat(ref.getName()).as(name).isEqualTo("nats-trigger-auth");
          assertThat(ref.getKey()).as(name).isEqualTo(key);
          assertThat(ref.getOptional()).as(name).isTrue();
        });
    assertThat(pod.getVolumes())
        .filteredOn(v -> v.getSecret() != null)
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.getSecret().getSecretName()).isEqualTo("nats-trigger-creds");
              assertThat(v.getSecret().getOptional()).isTrue();
            });
    assertThat(container.getVolumeMounts())
        .anySatisfy(
            m -> {
              assertThat(m.getMountPath()).isEqualTo("/var/run/secrets/nats");
              assertThat(m.getReadOnly()).isTrue();
            });
  }

  @Test
  void theDeploymentIsProbedBoundedAndGivenTimeToStopGracefully() {
    Deployment deployment = only(objects, Deployment.class);
    var pod = deployment.getSpec().getTemplate().getSpec();
    var container = pod.getContainers().getFirst();

    assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/q/health/live");
    assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");
    assertThat(container.getResources().getRequests())
        .containsEntry("cpu", new Quantity("200m"))
        .containsEntry("memory", new Quantity("160Mi"));
    assertThat(container.getResources().getLimits()).containsEntry("memory", new Quantity("512Mi"));
    assertThat(deployment.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry("prometheus.io/port", "8080");
    // a graceful stop (stop timeout, plus the source's 2 s) fits the termination grace period
    NatsSettings defaults = NatsSettings.defaults(NatsSettings.Server.at("nats://x:4222", "t"));
    assertThat((long) pod.getTerminationGracePeriodSeconds())
        .isGreaterThan(defaults.stopTimeout().plusSeconds(2).toSeconds());
  }
}
