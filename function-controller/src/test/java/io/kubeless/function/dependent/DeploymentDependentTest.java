package io.kubeless.function.dependent;

import static io.kubeless.function.TestSpecs.yaml;
import static io.kubeless.function.dependent.TestingPlans.plan;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.kubeless.api.v1beta1.FunctionSpec;
import io.kubeless.function.spec.FunctionPlan;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class DeploymentDependentTest {

  @Test
  void buildsTheKubelessPodLayout() {
    Deployment d = DeploymentDependent.build(plan(s -> {}), Optional.empty());
    var pod = d.getSpec().getTemplate().getSpec();
    Container fn = pod.getContainers().get(0);

    assertThat(d.getMetadata().getLabels())
        .containsEntry("function", "hello")
        .containsEntry("created-by", "kubeless")
        .containsEntry("team", "a");
    assertThat(d.getSpec().getSelector().getMatchLabels())
        .isEqualTo(Map.of("function", "hello", "created-by", "kubeless"));
    assertThat(d.getSpec().getReplicas()).isEqualTo(1);
    assertThat(d.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal())
        .isZero();
    assertThat(d.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry("prometheus.io/scrape", "true")
        .containsEntry("prometheus.io/port", "8080")
        .containsKey(DeploymentDependent.HASH_ANNOTATION);
    assertThat(fn.getName()).isEqualTo("hello");
    assertThat(fn.getImage()).isEqualTo("reg/runtime-python:3.12");
    assertThat(env(fn))
        .containsEntry("FUNC_HANDLER", "handler")
        .containsEntry("MOD_NAME", "hello")
        .containsEntry("FUNC_TIMEOUT", "30")
        .containsEntry("FUNC_RUNTIME", "python3.12")
        .containsEntry("FUNC_MEMORY_LIMIT", "0")
        .containsEntry("FUNC_PORT", "8080")
        .containsEntry("KUBELESS_INSTALL_VOLUME", "/kubeless");
    assertThat(fn.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(fn.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(fn.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(fn.getVolumeMounts()).anyMatch(m -> m.getMountPath().equals("/kubeless"));
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(1000L);
    assertThat(pod.getInitContainers()).extracting(Container::getName).containsExactly("prepare");
    assertThat(pod.getVolumes()).extracting(Volume::getName).containsExactly("hello", "hello-deps");
    assertThat(pod.getVolumes().get(1).getConfigMap().getName()).isEqualTo("hello");
  }

  @Test
  void installsDependenciesInTheRuntimeImage() {
    Deployment d =
        DeploymentDependent.build(plan(s -> s.setDeps("requests==2.31.0\n")), Optional.empty());
    Container install = d.getSpec().getTemplate().getSpec().getInitContainers().get(1);

    assertThat(install.getName()).isEqualTo("install");
    assertThat(install.getImage()).isEqualTo("reg/runtime-python:3.12");
    assertThat(install.getCommand()).containsExactly("sh", "-c", "/opt/kubeless/install");
    assertThat(install.getWorkingDir()).isEqualTo("/kubeless");
    assertThat(env(install))
        .containsEntry("KUBELESS_INSTALL_VOLUME", "/kubeless")
        .containsEntry("KUBELESS_DEPS_FILE", "/kubeless/requirements.txt");
  }

  @Test
  void initContainersTakeTheResourcesOfKubelesssTemplateInitContainer() {
    Deployment d =
        DeploymentDependent.build(
            plan(
                s -> {
                  s.setDeps("requests==2.31.0\n");
                  s.setDeployment(
                      yaml(
                          """
                          spec:
                            template:
                              spec:
                                initContainers:
                                - resources: {limits: {memory: 200Mi}}
                                containers:
                                - resources: {limits: {memory: 100Mi}}
                          """));
                }),
            Optional.empty());
    var pod = d.getSpec().getTemplate().getSpec();

    assertThat(pod.getInitContainers())
        .extracting(Container::getName)
        .containsExactly("prepare", "install");
    assertThat(pod.getInitContainers())
        .allSatisfy(
            c ->
                assertThat(c.getResources().getLimits().get("memory").toString())
                    .isEqualTo("200Mi"));
    assertThat(pod.getContainers().get(0).getResources().getLimits().get("memory").toString())
        .isEqualTo("100Mi");
  }

  @Test
  void theUsersDeploymentValuesWin() {
    Deployment d =
        DeploymentDependent.build(
            plan(
                s ->
                    s.setDeployment(
                        yaml(
                            """
                            metadata:
                              labels: {tier: backend}
                              annotations: {owner: team-a}
                            spec:
                              replicas: 3
                              template:
                                metadata:
                                  labels: {version: v2}
                                  annotations: {sidecar.istio.io/inject: "false"}
                                spec:
                                  nodeSelector: {disk: ssd}
                                  volumes: [{name: certs, secret: {secretName: certs}}]
                                  containers:
                                  - env:
                                    - {name: FUNC_TIMEOUT, value: "5"}
                                    - {name: GREETING, value: hi}
                                    resources:
                                      limits: {memory: 128Mi}
                                    volumeMounts: [{name: certs, mountPath: /certs}]
                                  - name: proxy
                                    image: envoy:1
                            """))),
            Optional.empty());
    var pod = d.getSpec().getTemplate().getSpec();
    Container fn = pod.getContainers().get(0);

    assertThat(d.getSpec().getReplicas()).isEqualTo(3);
    assertThat(d.getMetadata().getLabels()).containsEntry("tier", "backend");
    assertThat(d.getMetadata().getAnnotations()).containsEntry("owner", "team-a");
    assertThat(d.getSpec().getTemplate().getMetadata().getLabels())
        .containsEntry("version", "v2")
        .containsEntry("function", "hello");
    assertThat(d.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry("sidecar.istio.io/inject", "false");
    assertThat(pod.getNodeSelector()).containsEntry("disk", "ssd");
    assertThat(env(fn))
        .containsEntry("FUNC_TIMEOUT", "5")
        .containsEntry("GREETING", "hi")
        .containsEntry("FUNC_MEMORY_LIMIT", "128Mi");
    assertThat(fn.getResources().getLimits().get("memory").toString()).isEqualTo("128Mi");
    assertThat(fn.getVolumeMounts())
        .extracting(m -> m.getMountPath())
        .contains("/kubeless", "/certs");
    assertThat(pod.getVolumes())
        .extracting(Volume::getName)
        .containsExactly("hello", "hello-deps", "certs");
    assertThat(pod.getContainers())
        .extracting(Container::getName)
        .containsExactly("hello", "proxy");
    assertThat(pod.getContainers().get(1).getImage()).isEqualTo("envoy:1");
  }

  @Test
  void aPrebuiltImageRunsWithoutPreparingCode() {
    Deployment d =
        DeploymentDependent.build(
            plan(
                s -> {
                  s.setFunction("");
                  s.setDeployment(
                      yaml("spec: {template: {spec: {containers: [{image: 'reg/fn:7'}]}}}"));
                }),
            Optional.empty());
    var pod = d.getSpec().getTemplate().getSpec();

    assertThat(pod.getContainers().get(0).getImage()).isEqualTo("reg/fn:7");
    assertThat(pod.getInitContainers()).isEmpty();
    assertThat(pod.getVolumes()).isEmpty();
  }

  @Test
  void keepsTheCurrentReplicasUnlessTheUserSetsThem() {
    Deployment scaled = new DeploymentBuilder().withNewSpec().withReplicas(4).endSpec().build();
    assertThat(
            DeploymentDependent.build(plan(s -> {}), Optional.of(scaled)).getSpec().getReplicas())
        .isEqualTo(4);

    FunctionPlan autoscaled =
        plan(s -> s.setHorizontalPodAutoscaler(yaml("spec: {minReplicas: 2, maxReplicas: 5}")));
    assertThat(DeploymentDependent.build(autoscaled, Optional.empty()).getSpec().getReplicas())
        .isEqualTo(2);
    assertThat(DeploymentDependent.build(autoscaled, Optional.of(scaled)).getSpec().getReplicas())
        .isEqualTo(4);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.kubeless.function.TestSpecs#rollingChanges")
  void everyChangeGivesANewTemplateHash(String what, Consumer<FunctionSpec> change) {
    String before = hash(plan(s -> {}));
    assertThat(hash(plan(s -> {}))).as("stable for the same spec").isEqualTo(before);
    assertThat(hash(plan(change))).as("changed by %s", what).isNotEqualTo(before);
  }

  @Test
  void theTemplateHashDependsOnContentNotOnMapOrder() {
    String ab =
        hash(
            plan(
                s ->
                    s.setDeployment(
                        yaml(
                            "spec: {template: {metadata: {labels: {a: '1', b: '2'},"
                                + " annotations: {x: '1', y: '2'}}}}"))));
    String ba =
        hash(
            plan(
                s ->
                    s.setDeployment(
                        yaml(
                            "spec: {template: {metadata: {labels: {b: '2', a: '1'},"
                                + " annotations: {y: '2', x: '1'}}}}"))));

    assertThat(ba).isEqualTo(ab);
    assertThat(DeploymentDependent.canonicalJson(Map.of("b", 1, "a", Map.of("d", 2, "c", 3))))
        .isEqualTo("{\"a\":{\"c\":3,\"d\":2},\"b\":1}");
  }

  private static String hash(FunctionPlan plan) {
    return DeploymentDependent.build(plan, Optional.empty())
        .getSpec()
        .getTemplate()
        .getMetadata()
        .getAnnotations()
        .get(DeploymentDependent.HASH_ANNOTATION);
  }

  private static Map<String, String> env(Container container) {
    return container.getEnv().stream()
        .collect(java.util.stream.Collectors.toMap(EnvVar::getName, EnvVar::getValue));
  }
}
