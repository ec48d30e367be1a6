package io.kubeless.function.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Configuration of the function controller ({@code kubeless.function.*}). */
@ConfigMapping(prefix = "kubeless.function")
public interface FunctionControllerConfig {

  /**
   * Built-in runtime catalogue, keyed by runtime id as written in {@code spec.runtime} (e.g. {@code
   * python3.12}). Entries of the catalogue ConfigMap are merged over these.
   */
  Map<String, RuntimeEntry> runtimes();

  /**
   * Registry and organisation of the default runtime images, {@code <registry>/runtime-<lang>:<v>};
   * the built-in catalogue entries are named from it.
   */
  @WithDefault("ghcr.io/kubeless-java")
  String imageRegistry();

  /** Where the controller reads catalogue overrides at run time. */
  Catalogue catalogue();

  /**
   * Image of the init container that unpacks the code. Unset: the function's runtime image, which
   * carries sh, base64, sha256sum, unzip, tar and curl.
   */
  Optional<String> provisionImage();

  /** DNS suffix of the cluster, used for {@code status.url}. */
  @WithDefault("cluster.local")
  String clusterDomain();

  /** Largest code plus dependencies a ConfigMap may carry; larger functions must use a URL. */
  @WithDefault("1000000")
  int maxConfigMapBytes();

  /**
   * How often a Function whose children's names are taken by objects kubeless does not manage
   * checks whether they are gone (nothing else tells the controller).
   */
  @WithDefault("30s")
  Duration conflictRecheck();

  /**
   * Field managers whose client-side writes ({@code Update} operations) to a Function's children
   * the controller takes over before applying them: Kubeless's controller (the manager named after
   * its binary), objects written before the cluster tracked managed fields, and plain updates by a
   * Kubernetes client, as this controller's earlier versions wrote ConfigMaps. Their fields become
   * the controller's, so that server-side apply removes those it no longer sets.
   */
  @WithDefault("kubeless-function-controller,before-first-apply,fabric8-kubernetes-client")
  Set<String> adoptedFieldManagers();

  /**
   * What a Function may ask for through {@code spec.service} and {@code spec.deployment}: a
   * Function is untrusted input, turned into objects with the controller's rights.
   */
  Policy policy();

  /** One runtime of the catalogue. */
  interface RuntimeEntry {

    /** Image of the function container (and, by default, of its init containers). */
    String image();

    /** Name of the dependency file the runtime installs, e.g. {@code requirements.txt}. */
    Optional<String> depsFile();

    /** Suffix of the code file, e.g. {@code .py}; the file is {@code <module><suffix>}. */
    @WithDefault("")
    String fileSuffix();

    /** Command that installs the dependency file into the install volume. */
    Optional<String> installCommand();
  }

  /** Location of the runtime catalogue ConfigMap. */
  interface Catalogue {

    /** Namespace of the catalogue ConfigMap; defaults to the controller's own namespace. */
    @WithDefault("kubeless")
    String namespace();

    /** Name of the catalogue ConfigMap. */
    @WithDefault("kubeless-runtimes")
    String name();

    /** Key of the ConfigMap holding the catalogue as YAML. */
    @WithName("key")
    @WithDefault("runtimes.yaml")
    String key();
  }

  /**
   * Pod Security Standards levels (kubernetes.io/docs/concepts/security/pod-security-standards).
   */
  enum PodSecurityLevel {
    /** No pod check: anything {@code spec.deployment} says is applied. */
    PRIVILEGED,
    /** No known privilege escalation: no host namespaces, host paths, privileged containers. */
    BASELINE,
    /** Baseline, plus non-root, no privilege escalation, capabilities dropped, safe volumes. */
    RESTRICTED
  }

  /** The policy applied to every Function, and its relaxations for named namespaces. */
  interface Policy {

    /** Service types {@code spec.service.type} may name (an unset type is {@code ClusterIP}). */
    @WithDefault("ClusterIP")
    List<String> serviceTypes();

    /** Whether {@code spec.service.externalIPs} may be set (CVE-2020-8554). */
    @WithDefault("false")
    boolean externalIps();

    /** The Pod Security Standards level the function's pod must meet. */
    @WithDefault("restricted")
    PodSecurityLevel podSecurity();

    /**
     * ServiceAccounts a function's pod may run as ({@code serviceAccountName} in {@code
     * spec.deployment}; unset is {@code default}); {@code *} allows any.
     */
    @WithDefault("default")
    List<String> serviceAccounts();

    /**
     * Whether a function's pod may read the namespace's Secrets (secret volumes, projected secrets,
     * env and envFrom from Secrets), as Kubeless's {@code --secrets} does.
     */
    @WithDefault("true")
    boolean secrets();

    /**
     * Per-namespace relaxations (or restrictions), keyed by namespace name: each setting given
     * replaces the cluster-wide one for the Functions of that namespace.
     */
    Map<String, NamespacePolicy> namespaces();
  }

  /** A namespace's settings; those left unset are the cluster-wide ones of {@link Policy}. */
  interface NamespacePolicy {

    /** Allowed Service types. */
    Optional<List<String>> serviceTypes();

    /** Whether externalIPs are allowed. */
    Optional<Boolean> externalIps();

    /** Pod Security Standards level. */
    Optional<PodSecurityLevel> podSecurity();

    /** Allowed ServiceAccounts. */
    Optional<List<String>> serviceAccounts();

    /** Whether Secrets may be read. */
    Optional<Boolean> secrets();
  }
}
