package io.kubeless.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.kubeless.api.function.RuntimeNames;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code kubeless get-server-config}: the runtimes the function controller accepts, read as it
 * reads them: its built-in catalogue with the entries of the ConfigMap {@code kubeless-runtimes}
 * (key {@code runtimes.yaml}) in namespace {@code $KUBELESS_NAMESPACE}, else {@code kubeless},
 * merged over it; and Kubeless's runtime names ({@link RuntimeNames}): what each runs on, or why it
 * is refused and what to use instead.
 */
@Command(
    name = "get-server-config",
    description = "Print the current configuration of the controller",
    mixinStandardHelpOptions = true)
final class GetServerConfigCommand implements Callable<Integer> {

  /** The controller's built-in runtime ids (function-controller application.properties). */
  static final List<String> BUILT_IN_RUNTIMES =
      List.of("go1.26", "java21", "nodejs20", "php8.4", "python3.12", "ruby3.4");

  static final String CONFIG_MAP = "kubeless-runtimes";
  static final String KEY = "runtimes.yaml";
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final Cli cli;

  @Mixin TargetOption target;

  GetServerConfigCommand(Cli cli) {
    this.cli = cli;
  }

  @Override
  public Integer call() {
    var local = cli.local(target);
    if (local.isPresent()) {
      return local(local.get().runtimes());
    }
    String namespace = System.getenv("KUBELESS_NAMESPACE");
    if (namespace == null || namespace.isBlank()) {
      namespace = "kubeless";
    }
    ConfigMap configMap =
        cli.client().configMaps().inNamespace(namespace).withName(CONFIG_MAP).get();
    Set<String> declared = new TreeSet<>(BUILT_IN_RUNTIMES);
    if (configMap != null && configMap.getData() != null) {
      declared.addAll(catalogue(configMap.getData().get(KEY), namespace));
    }
    // resolved as the controller does: a catalogue entry wins over the table
    Map<String, String> aliases = new TreeMap<>();
    RuntimeNames.aliases()
        .forEach(
            (name, runtime) -> {
              if (!declared.contains(name) && declared.contains(runtime)) {
                aliases.put(name, runtime);
              }
            });
    Set<String> supported = new TreeSet<>(declared);
    supported.addAll(aliases.keySet());
    var out = cli.out();
    out.println("Current Server Config:");
    out.println("Supported Runtimes are: " + String.join(", ", supported));
    print(declared, aliases);
    return 0;
  }

  /** Kubeless's names and the runtime each runs on, then the refused ones. */
  private void print(Set<String> declared, Map<String, String> aliases) {
    var out = cli.out();
    if (!aliases.isEmpty()) {
      out.println("Kubeless runtime names and the runtime they run on:");
      aliases.forEach((name, runtime) -> out.printf("  %-18s -> %s%n", name, runtime));
    }
    var refused =
        RuntimeNames.refusals().values().stream()
            .filter(r -> !declared.contains(r.name()) && !aliases.containsKey(r.name()))
            .toList();
    if (!refused.isEmpty()) {
      out.println("Kubeless runtime names that are refused, and what to use instead:");
      refused.forEach(
          r -> out.printf("  %-18s -> %s (%s)%n", r.name(), r.replacement(), r.reason()));
    }
  }

  /**
   * Local mode's runtimes, as its admin API names them: its own, and Kubeless's names that run on
   * one of them; the refused names as for a cluster.
   */
  private int local(Map<String, String> runtimes) {
    Set<String> declared = new TreeSet<>();
    Map<String, String> aliases = new TreeMap<>();
    runtimes.forEach(
        (name, runs) -> {
          if (name.equals(runs)) {
            declared.add(name);
          } else {
            aliases.put(name, runs);
          }
        });
    Set<String> supported = new TreeSet<>(declared);
    supported.addAll(aliases.keySet());
    var out = cli.out();
    out.println("Current Server Config: local mode (" + LocalAdmin.stateDir() + ")");
    out.println("Supported Runtimes are: " + String.join(", ", supported));
    print(declared, aliases);
    return 0;
  }

  /** The runtime ids a catalogue document declares; the controller's rules for a valid one. */
  private static Set<String> catalogue(String yaml, String namespace) {
    Set<String> ids = new TreeSet<>();
    if (yaml == null || yaml.isBlank()) {
      return ids;
    }
    String where =
        "runtime catalogue ConfigMap %s/%s (key %s)".formatted(namespace, CONFIG_MAP, KEY);
    JsonNode root;
    try {
      root = YAML.readTree(yaml);
    } catch (JsonProcessingException e) {
      throw new Cli.CliException(where + " is not valid YAML: " + e.getOriginalMessage());
    }
    if (root == null || root.isNull() || root.isMissingNode()) {
      return ids;
    }
    if (!root.isObject()) {
      throw new Cli.CliException(where + " is invalid: expected a map of runtime id to runtime");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      var entry = it.next();
      if (!entry.getValue().isObject()) {
        throw new Cli.CliException(
            where + " is invalid: runtime " + entry.getKey() + " must be a map");
      }
      boolean hasImage = !entry.getValue().path("image").asText("").isBlank();
      // an entry for a Kubeless name starts from the runtime the name runs on
      boolean builtIn =
          BUILT_IN_RUNTIMES.contains(entry.getKey())
              || RuntimeNames.alias(entry.getKey()).filter(BUILT_IN_RUNTIMES::contains).isPresent();
      if (!hasImage && !builtIn) {
        throw new Cli.CliException(
            where + " is invalid: runtime " + entry.getKey() + " has no image");
      }
      ids.add(entry.getKey());
    }
    return ids;
  }
}
