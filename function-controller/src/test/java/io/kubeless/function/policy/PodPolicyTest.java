package io.kubeless.function.policy;

import static io.kubeless.function.TestSpecs.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.kubeless.api.function.InvalidFunctionException;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionSpec;
import io.kubeless.function.TestSpecs;
import io.kubeless.function.config.FunctionControllerConfig.PodSecurityLevel;
import io.kubeless.function.dependent.DeploymentDependent;
import io.kubeless.function.runtime.TestingCatalogues;
import io.kubeless.function.spec.FunctionPlan;
import io.kubeless.function.spec.FunctionPlanner;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The Pod Security Standards checks, on the pod the controller would create. */
class PodPolicyTest {

  static final PolicyRules RESTRICTED =
      new PolicyRules(
          Set.of("ClusterIP"), false, PodSecurityLevel.RESTRICTED, Set.of("default"), true);

  static Stream<Arguments> functionsTheControllerGenerates() {
    return Stream.of(
        Arguments.of("text", (Consumer<FunctionSpec>) s -> {}),
        Arguments.of("text with deps", (Consumer<FunctionSpec>) s -> s.setDeps("flask\n")),
        Arguments.of(
            "url",
            (Consumer<FunctionSpec>)
                s -> {
                  s.setFunctionContentType("url+zip");
                  s.setFunction("https://example.com/fn.zip");
                }),
        Arguments.of(
            "prebuilt image",
            (Consumer<FunctionSpec>)
                s -> s.setDeployment(deployment("containers: [{image: 'reg/fn:1'}]"))),
        Arguments.of(
            "a security context setting one field",
            (Consumer<FunctionSpec>)
                s ->
                    s.setDeployment(
                        deployment(
                            "securityContext: {runAsUser: 2000}, containers: [{securityContext:"
                                + " {readOnlyRootFilesystem: true}}]"))),
        Arguments.of(
            "a restricted sidecar and Kubeless's --secrets volume",
            (Consumer<FunctionSpec>)
                s ->
                    s.setDeployment(
                        deployment(
                            "volumes: [{name: creds, secret: {secretName: creds}}], containers:"
                                + " [{volumeMounts: [{name: creds, mountPath: /creds}]}, {name:"
                                + " proxy, image: 'envoy:1', securityContext:"
                                + " {allowPrivilegeEscalation: false, capabilities: {drop:"
                                + " [ALL]}}}]"))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("functionsTheControllerGenerates")
  void theGeneratedPodMeetsTheRestrictedLevel(String what, Consumer<FunctionSpec> change) {
    assertThat(violations(change, RESTRICTED)).isEmpty();
  }

  static Stream<Arguments> escalations() {
    return Stream.of(
        refused("hostNetwork: true", "spec.hostNetwork: true"),
        refused("hostPID: true", "spec.hostPID: true"),
        refused("hostIPC: true", "spec.hostIPC: true"),
        refused("volumes: [{name: root, hostPath: {path: /}}]", "spec.volumes[root].hostPath"),
        refused("volumes: [{name: nfs, nfs: {server: x, path: /}}]", "spec.volumes[nfs].nfs"),
        refused(
            "containers: [{securityContext: {privileged: true}}]",
            "spec.containers[hello].securityContext.privileged: true"),
        refused(
            "containers: [{securityContext: {allowPrivilegeEscalation: true}}]",
            "spec.containers[hello].securityContext.allowPrivilegeEscalation must be false"),
        refused(
            "containers: [{securityContext: {capabilities: {add: [SYS_ADMIN]}}}]",
            "spec.containers[hello].securityContext.capabilities.add: SYS_ADMIN"),
        refused("securityContext: {runAsUser: 0}", "spec.securityContext.runAsUser: 0"),
        refused(
            "securityContext: {runAsNonRoot: false}", "spec.securityContext.runAsNonRoot: false"),
        refused(
            "containers: [{securityContext: {runAsUser: 0}}]",
            "spec.containers[hello].securityContext.runAsUser: 0"),
        refused(
            "containers: [{ports: [{containerPort: 8080, hostPort: 80}]}]",
            "spec.containers[hello].ports.hostPort: 80"),
        refused(
            "containers: [{securityContext: {procMount: Unmasked}}]",
            "spec.containers[hello].securityContext.procMount: Unmasked"),
        refused(
            "securityContext: {sysctls: [{name: kernel.msgmax, value: '1'}]}",
            "spec.securityContext.sysctls: kernel.msgmax"),
        refused(
            "securityContext: {seccompProfile: {type: Unconfined}}",
            "spec.securityContext.seccompProfile.type: Unconfined"),
        refused(
            "securityContext: {appArmorProfile: {type: Unconfined}}",
            "spec.securityContext.appArmorProfile.type: Unconfined"),
        refused(
            "securityContext: {seLinuxOptions: {type: spc_t}}",
            "spec.securityContext.seLinuxOptions.type: spc_t"),
        refused("serviceAccountName: admin", "spec.serviceAccountName: admin"),
        refused(
            "containers: [{}, {name: miner, image: 'x:1'}]",
            "spec.containers[miner].securityContext.allowPrivilegeEscalation must be false",
            "spec.containers[miner].securityContext.capabilities.drop must include ALL"),
        refused(
            "initContainers: [{name: setup, image: 'x:1', securityContext: {privileged: true}}]",
            "spec.initContainers[setup].securityContext.privileged: true"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("escalations")
  void refusesEachEscalationWithItsFieldPath(String podSpec, List<String> paths) {
    List<String> found = violations(s -> s.setDeployment(deployment(podSpec)), RESTRICTED);

    assertThat(found)
        .containsAll(paths.stream().map(p -> "spec.deployment.spec.template." + p).toList());
  }

  @Test
  void refusesAnUnconfinedAppArmorAnnotation() {
    List<String> found =
        violations(
            s ->
                s.setDeployment(
                    yaml(
                        "spec: {template: {metadata: {annotations:"
                            + " {container.apparmor.security.beta.kubernetes.io/hello:"
                            + " unconfined}}}}")),
            RESTRICTED);

    assertThat(found)
        .containsExactly(
            "spec.deployment.spec.template.metadata.annotations."
                + "container.apparmor.security.beta.kubernetes.io/hello: unconfined");
  }

  @Test
  void theBaselineLevelAllowsRootButNotTheHost() {
    PolicyRules baseline =
        new PolicyRules(
            Set.of("ClusterIP"), false, PodSecurityLevel.BASELINE, Set.of("default"), true);

    assertThat(
            violations(
                s ->
                    s.setDeployment(
                        deployment(
                            "securityContext: {runAsUser: 0, runAsNonRoot: false}, containers:"
                                + " [{}, {name: sidecar, image: 'x:1'}]")),
                baseline))
        .isEmpty();
    assertThat(violations(s -> s.setDeployment(deployment("hostNetwork: true")), baseline))
        .containsExactly("spec.deployment.spec.template.spec.hostNetwork: true");
  }

  @Test
  void thePrivilegedLevelStillHoldsTheServiceAccountsAndSecrets() {
    PolicyRules privileged =
        new PolicyRules(
            Set.of("ClusterIP"), false, PodSecurityLevel.PRIVILEGED, Set.of("default"), false);

    assertThat(violations(s -> s.setDeployment(deployment("hostPID: true")), privileged)).isEmpty();
    assertThat(
            violations(
                s ->
                    s.setDeployment(
                        deployment(
                            "serviceAccountName: admin, volumes: [{name: c, secret: {secretName:"
                                + " c}}], containers: [{envFrom: [{secretRef: {name: c}}], env:"
                                + " [{name: T, valueFrom: {secretKeyRef: {name: c, key: t}}}]}]")),
                privileged))
        .containsExactly(
            "spec.deployment.spec.template.spec.serviceAccountName: admin",
            "spec.deployment.spec.template.spec.volumes[c].secret",
            "spec.deployment.spec.template.spec.containers[hello].env[T].valueFrom.secretKeyRef",
            "spec.deployment.spec.template.spec.containers[hello].envFrom.secretRef");
  }

  @Test
  void anyServiceAccountWhenTheListSaysStar() {
    PolicyRules any =
        new PolicyRules(Set.of("ClusterIP"), false, PodSecurityLevel.RESTRICTED, Set.of("*"), true);

    assertThat(violations(s -> s.setDeployment(deployment("serviceAccountName: admin")), any))
        .isEmpty();
  }

  @Test
  void aUserSecurityContextKeepsTheRestrictedDefaultsItDoesNotOverride() {
    FunctionPlan plan =
        plan(
            s ->
                s.setDeployment(
                    deployment("containers: [{securityContext: {readOnlyRootFilesystem: true}}]")));
    var container = DeploymentDependent.template(plan).getSpec().getContainers().get(0);

    assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
  }

  private static Arguments refused(String podSpec, String... paths) {
    return Arguments.of(podSpec, List.of(paths));
  }

  static List<String> violations(Consumer<FunctionSpec> change, PolicyRules rules) {
    return PodPolicy.violations(DeploymentDependent.template(plan(change)), rules);
  }

  /** {@code spec.deployment} with the given pod spec (YAML flow mapping content). */
  static com.fasterxml.jackson.databind.node.ObjectNode deployment(String podSpec) {
    return yaml("spec: {template: {spec: {" + podSpec + "}}}");
  }

  static FunctionPlan plan(Consumer<FunctionSpec> change) {
    FunctionSpec spec = TestSpecs.python();
    change.accept(spec);
    Function function = new Function();
    function.setMetadata(new ObjectMetaBuilder().withName("hello").withNamespace("ns").build());
    function.setSpec(spec);
    try {
      return new FunctionPlanner(TestingCatalogues.config())
          .plan(function, TestingCatalogues.defaults());
    } catch (InvalidFunctionException e) {
      throw new AssertionError(e.reason() + ": " + e.getMessage(), e);
    }
  }
}
