package io.kubeless.function.policy;

import io.fabric8.kubernetes.api.model.AppArmorProfile;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.SELinuxOptions;
import io.fabric8.kubernetes.api.model.SeccompProfile;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.WindowsSecurityContextOptions;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.kubeless.function.config.FunctionControllerConfig.PodSecurityLevel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The Pod Security Standards (baseline and restricted, as of Kubernetes 1.33) checked on the pod
 * the controller would create, that is the generated pod with {@code spec.deployment} merged in.
 * Checking the result rather than the input means the controller's own containers are held to the
 * same rules, and a field the user leaves unset is judged by the default it gets.
 */
final class PodPolicy {

  /** Where the pod's fields come from, for messages a user can map onto their Function. */
  static final String PREFIX = "spec.deployment.spec.template.";

  private static final Set<String> BASELINE_CAPABILITIES =
      Set.of(
          "AUDIT_WRITE",
          "CHOWN",
          "DAC_OVERRIDE",
          "FOWNER",
          "FSETID",
          "KILL",
          "MKNOD",
          "NET_BIND_SERVICE",
          "SETFCAP",
          "SETGID",
          "SETPCAP",
          "SETUID",
          "SYS_CHROOT");
  private static final Set<String> RESTRICTED_CAPABILITIES = Set.of("NET_BIND_SERVICE");
  private static final Set<String> SELINUX_TYPES =
      Set.of("container_t", "container_init_t", "container_kvm_t", "container_engine_t");
  private static final Set<String> SAFE_SYSCTLS =
      Set.of(
          "kernel.shm_rmid_forced",
          "net.ipv4.ip_local_port_range",
          "net.ipv4.ip_unprivileged_port_start",
          "net.ipv4.tcp_syncookies",
          "net.ipv4.ping_group_range",
          "net.ipv4.ip_local_reserved_ports",
          "net.ipv4.tcp_keepalive_time",
          "net.ipv4.tcp_fin_timeout",
          "net.ipv4.tcp_keepalive_intvl",
          "net.ipv4.tcp_keepalive_probes");
  private static final Set<String> RESTRICTED_VOLUMES =
      Set.of(
          "configMap",
          "csi",
          "downwardAPI",
          "emptyDir",
          "ephemeral",
          "persistentVolumeClaim",
          "projected",
          "secret");
  private static final String APPARMOR_ANNOTATION =
      "container.apparmor.security.beta.kubernetes.io/";
  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  private PodPolicy() {}

  /** The fields of the pod these rules refuse, as field paths with the offending value. */
  static List<String> violations(PodTemplateSpec template, PolicyRules rules) {
    List<String> found = new ArrayList<>();
    PodSpec pod = template.getSpec();
    String account =
        pod.getServiceAccountName() != null ? pod.getServiceAccountName() : pod.getServiceAccount();
    if (account != null && !account.isBlank() && !rules.allowsServiceAccount(account)) {
      found.add("spec.serviceAccountName: " + account);
    }
    if (!rules.secrets()) {
      secrets(pod, found);
    }
    PodSecurityLevel level = rules.podSecurity();
    if (level == PodSecurityLevel.PRIVILEGED) {
      return prefixed(found);
    }
    boolean restricted = level == PodSecurityLevel.RESTRICTED;
    if (Boolean.TRUE.equals(pod.getHostNetwork())) {
      found.add("spec.hostNetwork: true");
    }
    if (Boolean.TRUE.equals(pod.getHostPID())) {
      found.add("spec.hostPID: true");
    }
    if (Boolean.TRUE.equals(pod.getHostIPC())) {
      found.add("spec.hostIPC: true");
    }
    if (!pod.getEphemeralContainers().isEmpty()) {
      found.add("spec.ephemeralContainers");
    }
    PodSecurityContext podContext = pod.getSecurityContext();
    if (podContext != null) {
      String path = "spec.securityContext";
      hostProcess(podContext.getWindowsOptions(), path, found);
      seLinux(podContext.getSeLinuxOptions(), path, found);
      seccomp(podContext.getSeccompProfile(), path, found);
      appArmor(podContext.getAppArmorProfile(), path, found);
      podContext.getSysctls().stream()
          .filter(s -> !SAFE_SYSCTLS.contains(s.getName()))
          .forEach(s -> found.add(path + ".sysctls: " + s.getName()));
      if (restricted && Boolean.FALSE.equals(podContext.getRunAsNonRoot())) {
        found.add(path + ".runAsNonRoot: false");
      }
      if (restricted && Long.valueOf(0).equals(podContext.getRunAsUser())) {
        found.add(path + ".runAsUser: 0");
      }
    }
    nullToEmpty(template.getMetadata() == null ? null : template.getMetadata().getAnnotations())
        .forEach(
            (key, value) -> {
              if (key.startsWith(APPARMOR_ANNOTATION)
                  && !value.equals("runtime/default")
                  && !value.startsWith("localhost/")) {
                found.add("metadata.annotations." + key + ": " + value);
              }
            });
    for (int i = 0; i < pod.getVolumes().size(); i++) {
      Volume volume = pod.getVolumes().get(i);
      String path = "spec.volumes[" + volume.getName() + "]";
      if (volume.getHostPath() != null) {
        found.add(path + ".hostPath");
      } else if (restricted) {
        Map<?, ?> fields = JSON.convertValue(volume, Map.class);
        fields.keySet().stream()
            .map(String::valueOf)
            .filter(k -> !k.equals("name") && !RESTRICTED_VOLUMES.contains(k))
            .forEach(k -> found.add(path + "." + k));
      }
    }
    boolean podNonRoot = podContext != null && Boolean.TRUE.equals(podContext.getRunAsNonRoot());
    boolean podSeccomp = podContext != null && confined(podContext.getSeccompProfile());
    for (var group : containers(pod).entrySet()) {
      for (Container c : group.getValue()) {
        String path = "spec." + group.getKey() + "[" + c.getName() + "]";
        c.getPorts().stream()
            .filter(p -> p.getHostPort() != null && p.getHostPort() != 0)
            .forEach(p -> found.add(path + ".ports.hostPort: " + p.getHostPort()));
        SecurityContext sc = c.getSecurityContext();
        String scPath = path + ".securityContext";
        if (sc == null) {
          sc = new SecurityContext();
        }
        if (Boolean.TRUE.equals(sc.getPrivileged())) {
          found.add(scPath + ".privileged: true");
        }
        hostProcess(sc.getWindowsOptions(), scPath, found);
        seLinux(sc.getSeLinuxOptions(), scPath, found);
        seccomp(sc.getSeccompProfile(), scPath, found);
        appArmor(sc.getAppArmorProfile(), scPath, found);
        if (sc.getProcMount() != null && !"Default".equals(sc.getProcMount())) {
          found.add(scPath + ".procMount: " + sc.getProcMount());
        }
        Set<String> allowedCaps = restricted ? RESTRICTED_CAPABILITIES : BASELINE_CAPABILITIES;
        List<String> added =
            sc.getCapabilities() == null ? List.of() : sc.getCapabilities().getAdd();
        added.stream()
            .filter(cap -> !allowedCaps.contains(cap))
            .forEach(cap -> found.add(scPath + ".capabilities.add: " + cap));
        if (!restricted) {
          continue;
        }
        if (!Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation())) {
          found.add(scPath + ".allowPrivilegeEscalation must be false");
        }
        if (Boolean.FALSE.equals(sc.getRunAsNonRoot())
            || (!podNonRoot && !Boolean.TRUE.equals(sc.getRunAsNonRoot()))) {
          found.add(scPath + ".runAsNonRoot must be true (here or in spec.securityContext)");
        }
        if (Long.valueOf(0).equals(sc.getRunAsUser())) {
          found.add(scPath + ".runAsUser: 0");
        }
        if (!podSeccomp && !confined(sc.getSeccompProfile())) {
          found.add(
              scPath
                  + ".seccompProfile must be RuntimeDefault or Localhost (here or in the pod's)");
        }
        if (sc.getCapabilities() == null || !sc.getCapabilities().getDrop().contains("ALL")) {
          found.add(scPath + ".capabilities.drop must include ALL");
        }
      }
    }
    return prefixed(found);
  }

  private static Map<String, List<Container>> containers(PodSpec pod) {
    Map<String, List<Container>> groups = new LinkedHashMap<>();
    groups.put("initContainers", pod.getInitContainers());
    groups.put("containers", pod.getContainers());
    return groups;
  }

  private static void secrets(PodSpec pod, List<String> found) {
    for (Volume volume : pod.getVolumes()) {
      if (volume.getSecret() != null) {
        found.add("spec.volumes[" + volume.getName() + "].secret");
      }
      if (volume.getProjected() != null
          && volume.getProjected().getSources().stream().anyMatch(s -> s.getSecret() != null)) {
        found.add("spec.volumes[" + volume.getName() + "].projected.sources.secret");
      }
    }
    for (var group : containers(pod).entrySet()) {
      for (Container c : group.getValue()) {
        String path = "spec." + group.getKey() + "[" + c.getName() + "]";
        c.getEnv().stream()
            .filter(e -> e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null)
            .forEach(e -> found.add(path + ".env[" + e.getName() + "].valueFrom.secretKeyRef"));
        if (c.getEnvFrom().stream().anyMatch(e -> e.getSecretRef() != null)) {
          found.add(path + ".envFrom.secretRef");
        }
      }
    }
  }

  private static void hostProcess(
      WindowsSecurityContextOptions options, String path, List<String> found) {
    if (options != null && Boolean.TRUE.equals(options.getHostProcess())) {
      found.add(path + ".windowsOptions.hostProcess: true");
    }
  }

  private static void seLinux(SELinuxOptions options, String path, List<String> found) {
    if (options == null) {
      return;
    }
    if (options.getType() != null
        && !options.getType().isEmpty()
        && !SELINUX_TYPES.contains(options.getType())) {
      found.add(path + ".seLinuxOptions.type: " + options.getType());
    }
    if (options.getUser() != null && !options.getUser().isEmpty()) {
      found.add(path + ".seLinuxOptions.user");
    }
    if (options.getRole() != null && !options.getRole().isEmpty()) {
      found.add(path + ".seLinuxOptions.role");
    }
  }

  private static void seccomp(SeccompProfile profile, String path, List<String> found) {
    if (profile != null && "Unconfined".equals(profile.getType())) {
      found.add(path + ".seccompProfile.type: Unconfined");
    }
  }

  private static boolean confined(SeccompProfile profile) {
    return profile != null
        && ("RuntimeDefault".equals(profile.getType()) || "Localhost".equals(profile.getType()));
  }

  private static void appArmor(AppArmorProfile profile, String path, List<String> found) {
    if (profile != null && "Unconfined".equals(profile.getType())) {
      found.add(path + ".appArmorProfile.type: Unconfined");
    }
  }

  private static List<String> prefixed(List<String> found) {
    return found.stream().map(f -> PREFIX + f).toList();
  }

  private static Map<String, String> nullToEmpty(Map<String, String> map) {
    return Objects.requireNonNullElse(map, Map.of());
  }
}
