package io.kubeless.function.dependent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategyBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.function.runtime.Runtime;
import io.kubeless.function.spec.FunctionPlan;
import io.kubeless.function.spec.FunctionPlanner;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The function's Deployment: the runtime image with the code prepared by init containers, merged
 * with {@code spec.deployment} so that the user's values win. The pod template carries a hash of
 * the code, dependencies and settings, so any change rolls the pods.
 */
@KubernetesDependent(informer = @Informer(labelSelector = FunctionDependent.MANAGED))
public class DeploymentDependent extends FunctionDependent<Deployment> {

  /** Pod template annotation whose change rolls the Deployment. */
  public static final String HASH_ANNOTATION = "kubeless.io/function-hash";

  private static final KubernetesSerialization JSON = new KubernetesSerialization();
  private static final ObjectMapper CANONICAL =
      new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
  private static final long RUNTIME_USER = 1000L;

  public DeploymentDependent() {
    super(Deployment.class);
  }

  @Override
  protected Deployment desired(Function primary, Context<Function> context) {
    return build(FunctionPlan.of(context), getSecondaryResource(primary, context));
  }

  static Deployment build(FunctionPlan plan, Optional<Deployment> actual) {
    Deployment user = plan.overrides();
    PodSpec userPod = user.getSpec().getTemplate().getSpec();
    Container userContainer = userPod.getContainers().get(0);
    Map<String, String> data = ConfigMapDependent.data(plan);
    String codeDigest = sha256(data.get(plan.codeKey()));
    String depsDigest = sha256(plan.deps());

    List<Volume> volumes = new ArrayList<>();
    List<Container> initContainers = new ArrayList<>();
    if (plan.preparesCode()) {
      volumes.add(
          new VolumeBuilder().withName(plan.name()).withNewEmptyDir().endEmptyDir().build());
      volumes.add(
          new VolumeBuilder()
              .withName(plan.name() + "-deps")
              .withNewConfigMap()
              .withName(plan.name())
              .endConfigMap()
              .build());
      initContainers.add(prepare(plan, userContainer, codeDigest, depsDigest));
      if (plan.installsDeps()) {
        initContainers.add(install(plan, userContainer));
      }
    }
    volumes.addAll(userPod.getVolumes());
    initContainers.addAll(userPod.getInitContainers());

    List<Container> containers = new ArrayList<>();
    containers.add(functionContainer(plan, userContainer));
    containers.addAll(userPod.getContainers().subList(1, userPod.getContainers().size()));

    Map<String, String> labels = merge(plan.labels(), user.getMetadata().getLabels());
    labels.putAll(plan.selector());
    Map<String, String> podLabels =
        merge(labels, user.getSpec().getTemplate().getMetadata().getLabels());
    podLabels.putAll(plan.selector());
    Map<String, String> podAnnotations = new LinkedHashMap<>(plan.annotations());
    podAnnotations.put("prometheus.io/scrape", "true");
    podAnnotations.put("prometheus.io/path", "/metrics");
    podAnnotations.put("prometheus.io/port", String.valueOf(plan.port()));
    podAnnotations.putAll(nullToEmpty(user.getSpec().getTemplate().getMetadata().getAnnotations()));
    podAnnotations.remove(HASH_ANNOTATION);

    Deployment deployment =
        new DeploymentBuilder(user)
            .editMetadata()
            .withName(plan.name())
            .withNamespace(plan.namespace())
            .withLabels(labels)
            .withAnnotations(merge(plan.annotations(), user.getMetadata().getAnnotations()))
            .withOwnerReferences()
            .withResourceVersion(null)
            .withUid(null)
            .withCreationTimestamp(null)
            .withManagedFields()
            .endMetadata()
            .withStatus(null)
            .editSpec()
            .withReplicas(replicas(plan, actual))
            .withNewSelector()
            .withMatchLabels(plan.selector())
            .endSelector()
            .withStrategy(
                user.getSpec().getStrategy() != null
                        && user.getSpec().getStrategy().getType() != null
                    ? user.getSpec().getStrategy()
                    : new DeploymentStrategyBuilder()
                        .withType("RollingUpdate")
                        .withNewRollingUpdate()
                        .withMaxUnavailable(new IntOrString(0))
                        .endRollingUpdate()
                        .build())
            .editTemplate()
            .editMetadata()
            .withLabels(podLabels)
            .withAnnotations(podAnnotations)
            .endMetadata()
            .editSpec()
            .withVolumes(volumes)
            .withInitContainers(initContainers)
            .withContainers(containers)
            .withSecurityContext(podSecurity(userPod.getSecurityContext()))
            .withAffinity(userPod.getAffinity() != null ? userPod.getAffinity() : spread(plan))
            .endSpec()
            .endTemplate()
            .endSpec()
            .build();
    String hash = sha256(canonicalJson(data) + canonicalJson(deployment.getSpec().getTemplate()));
    deployment.getSpec().getTemplate().getMetadata().getAnnotations().put(HASH_ANNOTATION, hash);
    return deployment;
  }

  /** The pod template of this plan's Deployment, as it is applied: what the policy judges. */
  public static PodTemplateSpec template(FunctionPlan plan) {
    return build(plan, Optional.empty()).getSpec().getTemplate();
  }

  /** The template hash the Deployment of this plan carries once it is up to date. */
  public static String templateHash(FunctionPlan plan) {
    return templateHash(build(plan, Optional.empty())).orElseThrow();
  }

  /** The template hash a Deployment carries, if any. */
  public static Optional<String> templateHash(Deployment deployment) {
    return Optional.ofNullable(deployment.getSpec())
        .map(s -> s.getTemplate())
        .map(t -> t.getMetadata())
        .map(m -> m.getAnnotations())
        .map(a -> a.get(HASH_ANNOTATION));
  }

  /**
   * The user's replica count; else the current one, so that {@code kubectl scale} and an autoscaler
   * are not fought; else one. With an autoscaler, only the autoscaler sets it.
   */
  private static Integer replicas(FunctionPlan plan, Optional<Deployment> actual) {
    Optional<Integer> current = actual.map(d -> d.getSpec().getReplicas());
    if (plan.autoscaler().isPresent()) {
      return current.orElse(plan.autoscaler().get().getMinReplicas());
    }
    return Optional.ofNullable(plan.overrides().getSpec().getReplicas())
        .or(() -> current)
        .orElse(1);
  }

  private static Container functionContainer(FunctionPlan plan, Container user) {
    List<EnvVar> env = new ArrayList<>();
    plan.handler()
        .ifPresent(
            h -> {
              env.add(new EnvVar("FUNC_HANDLER", h.function(), null));
              env.add(new EnvVar("MOD_NAME", h.module(), null));
            });
    env.add(new EnvVar("FUNC_TIMEOUT", String.valueOf(plan.timeoutSeconds()), null));
    env.add(new EnvVar("FUNC_RUNTIME", plan.runtime().map(Runtime::id).orElse(""), null));
    env.add(new EnvVar("FUNC_MEMORY_LIMIT", FunctionPlanner.memoryLimit(user), null));
    env.add(new EnvVar("FUNC_PORT", String.valueOf(plan.port()), null));
    if (plan.preparesCode()) {
      env.add(new EnvVar("KUBELESS_INSTALL_VOLUME", PrepareScript.INSTALL_DIR, null));
    }
    List<VolumeMount> mounts = new ArrayList<>(user.getVolumeMounts());
    if (plan.preparesCode()
        && mounts.stream().noneMatch(m -> PrepareScript.INSTALL_DIR.equals(m.getMountPath()))) {
      mounts.add(0, mount(plan.name(), PrepareScript.INSTALL_DIR));
    }
    var container =
        new ContainerBuilder(user)
            .withName(plan.name())
            .withImage(plan.image())
            .withEnv(overlay(env, user.getEnv()))
            .withVolumeMounts(mounts)
            .withLivenessProbe(
                user.getLivenessProbe() != null
                    ? user.getLivenessProbe()
                    : healthz(plan.port(), 3, 30, 3))
            .withReadinessProbe(
                user.getReadinessProbe() != null
                    ? user.getReadinessProbe()
                    : healthz(plan.port(), 1, 5, 1))
            .withSecurityContext(hardened(user.getSecurityContext()))
            .withImagePullPolicy(
                user.getImagePullPolicy() != null ? user.getImagePullPolicy() : "IfNotPresent");
    if (user.getPorts().stream().noneMatch(p -> p.getContainerPort().equals(plan.port()))) {
      container.addToPorts(
          new ContainerPortBuilder()
              .withName("http")
              .withContainerPort(plan.port())
              .withProtocol("TCP")
              .build());
    }
    return container.build();
  }

  private static Container prepare(
      FunctionPlan plan, Container user, String codeDigest, String depsDigest) {
    var prepare =
        new ContainerBuilder()
            .withName("prepare")
            .withImage(plan.provisionImage())
            .withImagePullPolicy("IfNotPresent")
            .withCommand("sh", "-c", PrepareScript.build(plan, codeDigest, depsDigest))
            .withVolumeMounts(
                mount(plan.name(), PrepareScript.INSTALL_DIR),
                new VolumeMountBuilder()
                    .withName(plan.name() + "-deps")
                    .withMountPath(PrepareScript.SOURCE_DIR)
                    .withReadOnly(true)
                    .build())
            .withResources(plan.initResources().orElse(user.getResources()))
            .withSecurityContext(restricted());
    if (PrepareScript.downloads(plan.contentType())) {
      prepare.addNewEnv().withName(PrepareScript.URL_ENV).withValue(plan.code().trim()).endEnv();
    }
    return prepare.build();
  }

  private static Container install(FunctionPlan plan, Container user) {
    Runtime runtime = plan.runtime().orElseThrow();
    List<EnvVar> env = new ArrayList<>(user.getEnv());
    env.add(new EnvVar("KUBELESS_INSTALL_VOLUME", PrepareScript.INSTALL_DIR, null));
    env.add(
        new EnvVar(
            "KUBELESS_DEPS_FILE",
            PrepareScript.INSTALL_DIR + "/" + runtime.depsFile().orElseThrow(),
            null));
    return new ContainerBuilder()
        .withName("install")
        .withImage(plan.image())
        .withImagePullPolicy("IfNotPresent")
        .withCommand("sh", "-c", runtime.installCommand().orElseThrow())
        .withWorkingDir(PrepareScript.INSTALL_DIR)
        .withEnv(env)
        .withVolumeMounts(mount(plan.name(), PrepareScript.INSTALL_DIR))
        .withResources(plan.initResources().orElse(user.getResources()))
        .withSecurityContext(restricted())
        .build();
  }

  private static Probe healthz(int port, int initialDelay, int period, int failures) {
    return new ProbeBuilder()
        .withNewHttpGet()
        .withPath("/healthz")
        .withPort(new IntOrString(port))
        .endHttpGet()
        .withInitialDelaySeconds(initialDelay)
        .withPeriodSeconds(period)
        .withFailureThreshold(failures)
        .build();
  }

  /**
   * The pod's security context: the user's, its unset fields given the runtime's defaults (the
   * runtime user, non-root, {@code RuntimeDefault} seccomp), so that setting one field does not
   * silently drop the others.
   */
  private static PodSecurityContext podSecurity(PodSecurityContext user) {
    PodSecurityContextBuilder context =
        user == null ? new PodSecurityContextBuilder() : new PodSecurityContextBuilder(user);
    boolean root = Boolean.FALSE.equals(context.getRunAsNonRoot());
    if (context.getRunAsUser() == null && !root) {
      context.withRunAsUser(RUNTIME_USER);
    }
    if (context.getRunAsGroup() == null && !root) {
      context.withRunAsGroup(RUNTIME_USER);
    }
    if (context.getFsGroup() == null) {
      context.withFsGroup(RUNTIME_USER);
    }
    if (context.getRunAsNonRoot() == null && !Long.valueOf(0).equals(context.getRunAsUser())) {
      context.withRunAsNonRoot(true);
    }
    if (!context.hasSeccompProfile()) {
      context.withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile();
    }
    return context.build();
  }

  /**
   * The function container's security context: the user's, its unset fields given the restricted
   * defaults. Values that the API server would reject together (no escalation for a privileged
   * container) are left for the policy to report.
   */
  private static SecurityContext hardened(SecurityContext user) {
    if (user == null) {
      return restricted();
    }
    SecurityContextBuilder context = new SecurityContextBuilder(user);
    boolean privileged = Boolean.TRUE.equals(user.getPrivileged());
    if (user.getAllowPrivilegeEscalation() == null
        && !privileged
        && (user.getCapabilities() == null
            || !user.getCapabilities().getAdd().contains("SYS_ADMIN"))) {
      context.withAllowPrivilegeEscalation(false);
    }
    if (user.getRunAsNonRoot() == null && !Long.valueOf(0).equals(user.getRunAsUser())) {
      context.withRunAsNonRoot(true);
    }
    if (user.getCapabilities() == null) {
      context.withNewCapabilities().withDrop("ALL").endCapabilities();
    } else if (user.getCapabilities().getDrop().isEmpty()) {
      context.editCapabilities().withDrop("ALL").endCapabilities();
    }
    return context.build();
  }

  private static SecurityContext restricted() {
    return new SecurityContextBuilder()
        .withAllowPrivilegeEscalation(false)
        .withRunAsNonRoot(true)
        .withNewCapabilities()
        .withDrop("ALL")
        .endCapabilities()
        .build();
  }

  /** Prefer spreading a function's replicas over nodes, as Kubeless did. */
  private static Affinity spread(FunctionPlan plan) {
    return new AffinityBuilder()
        .withNewPodAntiAffinity()
        .addNewPreferredDuringSchedulingIgnoredDuringExecution()
        .withWeight(100)
        .withNewPodAffinityTerm()
        .withNewLabelSelector()
        .withMatchLabels(plan.selector())
        .endLabelSelector()
        .withTopologyKey("kubernetes.io/hostname")
        .endPodAffinityTerm()
        .endPreferredDuringSchedulingIgnoredDuringExecution()
        .endPodAntiAffinity()
        .build();
  }

  private static VolumeMount mount(String volume, String path) {
    return new VolumeMountBuilder().withName(volume).withMountPath(path).build();
  }

  /** The controller's variables, each replaced by the user's of the same name, then the user's. */
  private static List<EnvVar> overlay(List<EnvVar> ours, List<EnvVar> users) {
    Map<String, EnvVar> merged = new LinkedHashMap<>();
    ours.forEach(e -> merged.put(e.getName(), e));
    users.forEach(e -> merged.put(e.getName(), e));
    return new ArrayList<>(merged.values());
  }

  private static Map<String, String> merge(Map<String, String> base, Map<String, String> over) {
    Map<String, String> merged = new LinkedHashMap<>(nullToEmpty(base));
    merged.putAll(nullToEmpty(over));
    return merged;
  }

  private static Map<String, String> nullToEmpty(Map<String, String> map) {
    return map == null ? Map.of() : map;
  }

  /**
   * JSON with every object's keys sorted, so that the hash depends on content only, never on the
   * iteration order of a map (which may differ from one controller start to the next).
   */
  static String canonicalJson(Object value) {
    try {
      return CANONICAL.writeValueAsString(CANONICAL.readValue(JSON.asJson(value), Object.class));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static String sha256(String value) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
