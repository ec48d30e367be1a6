package io.kubeless.function.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

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
}
