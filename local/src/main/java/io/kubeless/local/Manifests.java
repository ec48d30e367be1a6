package io.kubeless.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kubeless.api.v1beta1.CronJobTrigger;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.HTTPTrigger;
import io.kubeless.api.v1beta1.KafkaTrigger;
import io.kubeless.api.v1beta1.KinesisTrigger;
import io.kubeless.api.v1beta1.NATSTrigger;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The resources of YAML and JSON files, read as {@code kubectl apply -f} reads them: directories
 * (not recursively), multi-document files, {@code kind: List}. Functions, the triggers local mode
 * runs, Secrets (for HTTPTriggers' basic auth and functions' environment) and ConfigMaps (for
 * functions' environment) are kept; other kinds are listed as skipped, and a document that cannot
 * be read is a problem.
 *
 * @param functions the Functions, in file order
 * @param kafkaTriggers the KafkaTriggers, in file order
 * @param natsTriggers the NATSTriggers, in file order
 * @param kinesisTriggers the KinesisTriggers, in file order
 * @param httpTriggers the HTTPTriggers, in file order
 * @param cronJobTriggers the CronJobTriggers, in file order
 * @param secrets the Secrets ({@code v1}), in file order: an HTTPTrigger's {@code
 *     basic-auth-secret}, a function's {@code secretKeyRef} and {@code envFrom}, a KinesisTrigger's
 *     {@code secret}
 * @param configMaps the ConfigMaps ({@code v1}), in file order: a function's {@code
 *     configMapKeyRef} and {@code envFrom}
 * @param skipped one line per resource of another kind
 * @param problems one line per document or file that could not be read
 */
public record Manifests(
    List<Function> functions,
    List<KafkaTrigger> kafkaTriggers,
    List<NATSTrigger> natsTriggers,
    List<KinesisTrigger> kinesisTriggers,
    List<HTTPTrigger> httpTriggers,
    List<CronJobTrigger> cronJobTriggers,
    List<Secret> secrets,
    List<ConfigMap> configMaps,
    List<String> skipped,
    List<String> problems) {

  private static final YAMLMapper YAML = new YAMLMapper(new YAMLFactory());

  /** Reads every path: a file, or a directory's {@code .yaml}, {@code .yml} and {@code .json}. */
  public static Manifests load(List<Path> paths) throws IOException {
    Manifests m =
        new Manifests(
            new ArrayList<>(),
            new ArrayList<>(),
            new ArrayList<>(),
            new ArrayList<>(),
            new ArrayList<>(),
            new ArrayList<>(),
            new ArrayList<>(),
            new ArrayList<>(),
            new ArrayList<>(),
            new ArrayList<>());
    for (Path path : paths) {
      if (Files.isDirectory(path)) {
        try (Stream<Path> files = Files.list(path)) {
          for (Path file : files.filter(Manifests::manifest).sorted().toList()) {
            m.read(file);
          }
        }
      } else if (Files.isRegularFile(path)) {
        m.read(path);
      } else {
        throw new IOException("the path \"" + path + "\" does not exist");
      }
    }
    return m;
  }

  /** These resources, then those of {@code other}. */
  public Manifests plus(Manifests other) {
    return new Manifests(
        concat(functions, other.functions),
        concat(kafkaTriggers, other.kafkaTriggers),
        concat(natsTriggers, other.natsTriggers),
        concat(kinesisTriggers, other.kinesisTriggers),
        concat(httpTriggers, other.httpTriggers),
        concat(cronJobTriggers, other.cronJobTriggers),
        concat(secrets, other.secrets),
        concat(configMaps, other.configMaps),
        concat(skipped, other.skipped),
        concat(problems, other.problems));
  }

  /**
   * The Secrets by {@code <namespace>/<name>} (no namespace: {@code default}); the first counts.
   */
  public Map<String, Secret> secretsByName() {
    return byName(secrets);
  }

  /** The ConfigMaps by {@code <namespace>/<name>}, as {@link #secretsByName}. */
  public Map<String, ConfigMap> configMapsByName() {
    return byName(configMaps);
  }

  /** {@code <namespace>/<name>}, the key of {@link #secretsByName}. */
  static String key(String namespace, String name) {
    return (namespace == null || namespace.isBlank() ? "default" : namespace) + "/" + name;
  }

  private static <T extends HasMetadata> Map<String, T> byName(List<T> resources) {
    Map<String, T> all = new HashMap<>();
    for (T r : resources) {
      if (r.getMetadata() != null && r.getMetadata().getName() != null) {
        all.putIfAbsent(key(r.getMetadata().getNamespace(), r.getMetadata().getName()), r);
      }
    }
    return Map.copyOf(all);
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    List<T> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  /**
   * A regular file named {@code *.yaml}, {@code *.yml} or {@code *.json}: what a directory holds.
   */
  static boolean manifest(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    return Files.isRegularFile(file)
        && (name.endsWith(".yaml") || name.endsWith(".yml") || name.endsWith(".json"));
  }

  /**
   * The object documents of a file, {@code kind: List} items in their place; other documents are
   * left out.
   */
  static List<JsonNode> objects(Path file) throws IOException {
    List<JsonNode> all = new ArrayList<>();
    try (var parser = YAML.getFactory().createParser(file.toFile())) {
      for (JsonNode document : YAML.readValues(parser, JsonNode.class).readAll()) {
        flatten(document, all);
      }
    }
    return all;
  }

  private static void flatten(JsonNode document, List<JsonNode> into) {
    if (document == null || !document.isObject()) {
      return;
    }
    if (document.path("kind").asText("").equals("List") && document.path("items").isArray()) {
      document.path("items").forEach(item -> flatten(item, into));
    } else {
      into.add(document);
    }
  }

  private void read(Path file) throws IOException {
    List<JsonNode> documents;
    try (var parser = YAML.getFactory().createParser(file.toFile())) {
      documents = YAML.readValues(parser, JsonNode.class).readAll();
    } catch (IOException e) {
      problems.add(file + ": not YAML or JSON: " + firstLine(e.getMessage()));
      return;
    }
    for (JsonNode document : documents) {
      add(file, document);
    }
  }

  private void add(Path file, JsonNode document) {
    if (document == null || document instanceof NullNode || document.isMissingNode()) {
      return;
    }
    if (!document.isObject()) {
      problems.add(file + ": a document is not an object");
      return;
    }
    String kind = document.path("kind").asText("");
    String apiVersion = document.path("apiVersion").asText("");
    String name = document.path("metadata").path("name").asText("");
    if (kind.equals("List") && document.path("items").isArray()) {
      document.path("items").forEach(item -> add(file, item));
      return;
    }
    boolean kubeless = apiVersion.startsWith("kubeless.io/");
    ObjectMapper json = Serialization.jsonMapper();
    try {
      if (kubeless && kind.equals("Function")) {
        functions.add(json.treeToValue(document, Function.class));
      } else if (kubeless && kind.equals("KafkaTrigger")) {
        kafkaTriggers.add(json.treeToValue(document, KafkaTrigger.class));
      } else if (kubeless && kind.equals("NATSTrigger")) {
        natsTriggers.add(json.treeToValue(document, NATSTrigger.class));
      } else if (kubeless && kind.equals("KinesisTrigger")) {
        kinesisTriggers.add(json.treeToValue(document, KinesisTrigger.class));
      } else if (kubeless && kind.equals("HTTPTrigger")) {
        httpTriggers.add(json.treeToValue(document, HTTPTrigger.class));
      } else if (kubeless && kind.equals("CronJobTrigger")) {
        cronJobTriggers.add(json.treeToValue(document, CronJobTrigger.class));
      } else if (apiVersion.equals("v1") && kind.equals("Secret")) {
        secrets.add(json.treeToValue(document, Secret.class));
      } else if (apiVersion.equals("v1") && kind.equals("ConfigMap")) {
        configMaps.add(json.treeToValue(document, ConfigMap.class));
      } else {
        skipped.add(
            "%s %s (%s): not run in local mode"
                .formatted(kind.isEmpty() ? "<no kind>" : kind, name, file.getFileName()));
      }
    } catch (IOException | IllegalArgumentException e) {
      problems.add("%s %s (%s): %s".formatted(kind, name, file, firstLine(e.getMessage())));
    }
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
