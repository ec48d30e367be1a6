package io.kubeless.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kubeless.api.function.FunctionFields;
import io.kubeless.api.function.InvalidFunctionException;
import io.kubeless.api.function.RuntimeNames;
import io.kubeless.api.v1beta1.Function;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Functions and triggers as stored in the Kubernetes API, read and written as the user who has the
 * console's ServiceAccount.
 *
 * <pre>
 * GET    /api/resources/{plural}                      [{kind, namespace, name, resource}]
 * GET    /api/resources/{plural}/{ns}/{name}          one of them (404 when none)
 * PUT    /api/resources/{plural}/{ns}/{name}          JSON or YAML; 201 created, 200 replaced
 * PUT    /api/resources/{plural}/{ns}/{name}?dryRun=true   {dryRun, current, resource}: nothing stored
 * DELETE /api/resources/{plural}/{ns}/{name}          200 {deleted}, 404 when none
 * </pre>
 *
 * A body carrying {@code metadata.resourceVersion} is written only over that version (409
 * otherwise); without one, it replaces whatever is stored.
 */
final class ResourcesApi {

  private static final YAMLMapper YAML = new YAMLMapper();
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
  private static final List<String> SERVER_FIELDS =
      List.of("uid", "generation", "selfLink", "managedFields", "creationTimestamp");

  private final KubernetesClient client;

  ResourcesApi(KubernetesClient client) {
    this.client = client;
  }

  List<Map<String, Object>> list(String plural) {
    return client.resources(kind(plural)).inAnyNamespace().list().getItems().stream()
        .map(ResourcesApi::describe)
        .toList();
  }

  Map<String, Object> get(String plural, String ns, String name) {
    HasMetadata r = find(kind(plural), ns, name);
    if (r == null) {
      throw notFound(plural, ns, name);
    }
    return describe(r);
  }

  /** The answer's status and body. */
  record Written(int status, Object body) {}

  Written put(String plural, String ns, String name, byte[] body, boolean dryRun) {
    Class<? extends HasMetadata> kind = kind(plural);
    checkNames(ns, name);
    JsonNode tree;
    try {
      tree = YAML.readTree(body);
    } catch (IOException e) {
      throw new ApiError(400, "the body is not JSON or YAML: " + firstLine(e.getMessage()));
    }
    String kindName = HasMetadata.getKind(kind);
    if (tree == null || !tree.isObject()) {
      throw new ApiError(400, "the body is not a %s: expected one object".formatted(kindName));
    }
    ObjectNode r = (ObjectNode) tree;
    normalize(kindName, HasMetadata.getApiVersion(kind), ns, name, r);
    HasMetadata typed;
    try {
      typed = Serialization.jsonMapper().treeToValue(r, kind);
    } catch (IOException | IllegalArgumentException e) {
      throw new ApiError(
          400, "the body is not a valid %s: %s".formatted(kindName, firstLine(e.getMessage())));
    }
    if (typed instanceof Function f) {
      try {
        FunctionFields.timeout(f.getSpec());
        if (f.getSpec() == null || f.getSpec().getRuntime() == null) {
          throw new InvalidFunctionException("MissingRuntime", "spec.runtime is required");
        }
        RuntimeNames.resolve(f.getSpec().getRuntime());
      } catch (InvalidFunctionException e) {
        throw new ApiError(400, "function %s: %s: %s".formatted(name, e.reason(), e.getMessage()));
      }
    }
    HasMetadata current = find(kind, ns, name);
    if (current == null) {
      typed.getMetadata().setResourceVersion(null);
    }
    try {
      var resource = client.resource(typed);
      var write = dryRun ? resource.dryRun() : resource;
      HasMetadata stored = current == null ? write.create() : write.update();
      if (dryRun) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dryRun", true);
        m.put("current", current);
        m.put("resource", stored);
        return new Written(200, m);
      }
      return new Written(current == null ? 201 : 200, describe(stored));
    } catch (KubernetesClientException e) {
      throw Routes.fromKubernetes(e);
    }
  }

  Map<String, Object> delete(String plural, String ns, String name) {
    Class<? extends HasMetadata> kind = kind(plural);
    HasMetadata before = find(kind, ns, name);
    if (before == null) {
      throw notFound(plural, ns, name);
    }
    var deleted = client.resources(kind).inNamespace(ns).withName(name).delete();
    if (deleted.isEmpty()) {
      throw notFound(plural, ns, name);
    }
    return Map.of("deleted", describe(before));
  }

  private HasMetadata find(Class<? extends HasMetadata> kind, String ns, String name) {
    checkNames(ns, name);
    return client.resources(kind).inNamespace(ns).withName(name).get();
  }

  private static Map<String, Object> describe(HasMetadata r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", r.getKind());
    m.put("namespace", r.getMetadata().getNamespace());
    m.put("name", r.getMetadata().getName());
    // in local mode's shape: there, only what the console applied may change; here, everything
    m.put("applied", true);
    m.put("source", "cluster");
    m.put("resource", r);
    return m;
  }

  private static Class<? extends HasMetadata> kind(String plural) {
    return Kinds.ofPlural(plural)
        .orElseThrow(
            () ->
                new ApiError(
                    404, "no such kind \"%s\": one of %s".formatted(plural, Kinds.plurals())));
  }

  private static void checkNames(String ns, String name) {
    for (String segment : List.of(ns, name)) {
      if (!NAME.matcher(segment).matches()) {
        throw new ApiError(
            400,
            "\"%s\" is not a valid name: lower case letters, digits, '-' and '.'"
                .formatted(segment));
      }
    }
  }

  /** Fills in what the path says and drops what only the API server writes. */
  private static void normalize(
      String kind, String apiVersion, String ns, String name, ObjectNode r) {
    String bodyKind = r.path("kind").asText("");
    if (!bodyKind.equals(kind)) {
      throw new ApiError(
          400,
          bodyKind.isEmpty()
              ? "the body is not a %s: it has no kind".formatted(kind)
              : "the body is a %s, not a %s".formatted(bodyKind, kind));
    }
    String bodyVersion = r.path("apiVersion").asText("");
    if (bodyVersion.isEmpty()) {
      r.put("apiVersion", apiVersion);
    } else if (!bodyVersion.equals(apiVersion)) {
      throw new ApiError(
          400, "the body's apiVersion \"%s\" is not %s".formatted(bodyVersion, apiVersion));
    }
    JsonNode meta = r.path("metadata");
    if (!meta.isMissingNode() && !meta.isObject()) {
      throw new ApiError(400, "the body's metadata is not an object");
    }
    ObjectNode metadata = meta.isObject() ? (ObjectNode) meta : r.putObject("metadata");
    String bodyName = metadata.path("name").asText("");
    if (!bodyName.isEmpty() && !bodyName.equals(name)) {
      throw new ApiError(
          400, "metadata.name \"%s\" is not the path's \"%s\"".formatted(bodyName, name));
    }
    String bodyNs = metadata.path("namespace").asText("");
    if (!bodyNs.isEmpty() && !bodyNs.equals(ns)) {
      throw new ApiError(
          400, "metadata.namespace \"%s\" is not the path's \"%s\"".formatted(bodyNs, ns));
    }
    metadata.put("name", name);
    metadata.put("namespace", ns);
    SERVER_FIELDS.forEach(metadata::remove);
    r.remove("status");
  }

  private static ApiError notFound(String plural, String ns, String name) {
    return ApiError.notFound(HasMetadata.getKind(kind(plural)), ns, name);
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
