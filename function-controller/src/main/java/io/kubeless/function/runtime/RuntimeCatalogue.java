package io.kubeless.function.runtime;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.kubeless.api.function.InvalidFunctionException;
import io.kubeless.api.function.RuntimeNames;
import io.kubeless.function.config.FunctionControllerConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jboss.logging.Logger;

/**
 * The runtimes functions may name: the defaults of the application configuration, with the entries
 * of the catalogue ConfigMap merged over them field by field. The ConfigMap is read from an
 * informer cache, so a change takes effect without a restart; a ConfigMap that does not parse is
 * reported and the last good catalogue stays in force.
 *
 * <p>A name a function gives is resolved by {@link #resolve}: a catalogue entry of that name wins;
 * else Kubeless's runtime names ({@link RuntimeNames}) run on the current runtime of their language
 * or are refused with the replacement named.
 */
@ApplicationScoped
public class RuntimeCatalogue {

  private static final Logger LOG = Logger.getLogger(RuntimeCatalogue.class);
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final FunctionControllerConfig config;
  private final Map<String, Runtime> defaults;
  private volatile Parsed current;

  public RuntimeCatalogue(FunctionControllerConfig config) {
    this.config = config;
    Map<String, Runtime> entries = new TreeMap<>();
    config
        .runtimes()
        .forEach(
            (id, e) ->
                entries.put(
                    id,
                    new Runtime(id, e.image(), e.depsFile(), e.fileSuffix(), e.installCommand())));
    this.defaults = Collections.unmodifiableMap(entries);
    this.current = new Parsed(null, defaults, null);
  }

  /** The catalogue in force with the given ConfigMap (absent: the defaults). */
  public Map<String, Runtime> runtimes(Optional<ConfigMap> configMap) {
    String version = configMap.map(cm -> cm.getMetadata().getResourceVersion()).orElse(null);
    Parsed parsed = current;
    if (version == null) {
      return defaults;
    }
    if (version.equals(parsed.resourceVersion)) {
      return parsed.runtimes;
    }
    String yaml =
        configMap.get().getData() == null
            ? null
            : configMap.get().getData().get(config.catalogue().key());
    try {
      parsed = new Parsed(version, merge(defaults, yaml), null);
    } catch (InvalidCatalogueException e) {
      LOG.errorf(
          "Runtime catalogue ConfigMap %s/%s is invalid, keeping the previous catalogue: %s",
          config.catalogue().namespace(), config.catalogue().name(), e.getMessage());
      parsed = new Parsed(version, current.runtimes, e.getMessage());
    }
    current = parsed;
    return parsed.runtimes;
  }

  /**
   * The runtime a Function's {@code spec.runtime} names in a catalogue: the entry of that name;
   * else, for a Kubeless alias, the entry of the current runtime it runs on (keeping the name as
   * its id, which the function sees as {@code FUNC_RUNTIME}); else empty.
   *
   * @throws InvalidFunctionException with reason {@code UnsupportedRuntime} for a Kubeless name
   *     that cannot run here and that the catalogue does not declare
   */
  public static Optional<Runtime> resolve(Map<String, Runtime> runtimes, String name)
      throws InvalidFunctionException {
    String id = name == null ? "" : name.trim();
    Runtime declared = runtimes.get(id);
    if (declared != null) {
      return Optional.of(declared);
    }
    String target = RuntimeNames.resolve(id);
    return Optional.ofNullable(runtimes.get(target))
        .map(r -> new Runtime(id, r.image(), r.depsFile(), r.fileSuffix(), r.installCommand()));
  }

  /** Every name {@link #resolve} accepts in a catalogue: its entries and the aliases it serves. */
  public static Set<String> names(Map<String, Runtime> runtimes) {
    Set<String> names = new TreeSet<>(runtimes.keySet());
    RuntimeNames.aliases()
        .forEach(
            (alias, target) -> {
              if (runtimes.containsKey(target)) {
                names.add(alias);
              }
            });
    return names;
  }

  /** Merges a catalogue document over a base catalogue; exposed for tests. */
  static Map<String, Runtime> merge(Map<String, Runtime> base, String yaml) {
    if (yaml == null || yaml.isBlank()) {
      return base;
    }
    JsonNode root;
    try {
      root = YAML.readTree(yaml);
    } catch (JsonProcessingException e) {
      throw new InvalidCatalogueException("not valid YAML: " + e.getOriginalMessage());
    }
    if (root == null || root.isNull() || root.isMissingNode()) {
      return base;
    }
    if (!root.isObject()) {
      throw new InvalidCatalogueException("expected a map of runtime id to runtime");
    }
    Map<String, Runtime> merged = new TreeMap<>(base);
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      var field = it.next();
      String id = field.getKey();
      JsonNode entry = field.getValue();
      if (!entry.isObject()) {
        throw new InvalidCatalogueException("runtime " + id + " must be a map");
      }
      // an entry for a Kubeless alias starts from the runtime the alias runs on
      Runtime previous =
          base.containsKey(id) ? base.get(id) : RuntimeNames.alias(id).map(base::get).orElse(null);
      String image = text(entry, "image").orElse(previous == null ? null : previous.image());
      if (image == null || image.isBlank()) {
        throw new InvalidCatalogueException("runtime " + id + " has no image");
      }
      merged.put(
          id,
          new Runtime(
              id,
              image,
              text(entry, "depsFile")
                  .or(() -> previous == null ? Optional.empty() : previous.depsFile()),
              text(entry, "fileSuffix").orElse(previous == null ? "" : previous.fileSuffix()),
              text(entry, "installCommand")
                  .or(() -> previous == null ? Optional.empty() : previous.installCommand())));
    }
    return Collections.unmodifiableMap(merged);
  }

  private static Optional<String> text(JsonNode entry, String field) {
    JsonNode value = entry.get(field);
    return value == null || value.isNull() ? Optional.empty() : Optional.of(value.asText());
  }

  private record Parsed(String resourceVersion, Map<String, Runtime> runtimes, String error) {}

  /** A catalogue document that cannot be used. */
  static final class InvalidCatalogueException extends RuntimeException {
    InvalidCatalogueException(String message) {
      super(message);
    }
  }
}
