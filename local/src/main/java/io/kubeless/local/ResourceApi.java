package io.kubeless.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kubeless.api.function.InvalidFunctionException;
import io.kubeless.api.v1beta1.Function;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The admin API's writes: resources applied as files under {@code .kubeless/applied/} (see {@link
 * AppliedResources}), which local mode then runs as it runs the user's files.
 *
 * <pre>
 * GET    /api/resources/{plural}               [{kind, namespace, name, file, applied, runs, resource}]
 * GET    /api/resources/{plural}/{ns}/{name}   one of them (404 when none)
 * PUT    /api/resources/{plural}/{ns}/{name}   body: the resource, JSON or YAML; 201 created, 200 replaced
 *        ?dryRun=true                          validated as a PUT, nothing written: 200 {dryRun, current, resource}
 * DELETE /api/resources/{plural}/{ns}/{name}   200 removed, 404 when not applied
 * </pre>
 *
 * {@code plural} is {@code functions}, {@code kafkatriggers}, {@code httptriggers}, {@code
 * cronjobtriggers}, {@code natstriggers} or {@code kinesistriggers}. A body that is not a resource
 * of the path's kind, or a Function local mode would refuse in a file, is a 400 with the reason; a
 * resource one of the user's own files defines is a 409 naming the file (local mode never edits the
 * user's files).
 */
final class ResourceApi {

  /** An answer: the HTTP status and the JSON body. */
  record Reply(int status, Object body) {
    static Reply error(int status, String message) {
      return new Reply(status, Map.of("error", message));
    }
  }

  private static final YAMLMapper YAML = new YAMLMapper();
  // a DNS-1123 subdomain, as Kubernetes names are: also keeps a name from leaving its folder
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
  private static final List<String> SERVER_FIELDS =
      List.of("uid", "resourceVersion", "generation", "selfLink", "managedFields");

  private final LocalPlatform platform;

  ResourceApi(LocalPlatform platform) {
    this.platform = platform;
  }

  /** Answers {@code method} on {@code /api/resources/<parts...>}. */
  Reply handle(String method, List<String> parts, byte[] body) throws Exception {
    return handle(method, parts, body, false);
  }

  /**
   * Answers {@code method} on {@code /api/resources/<parts...>}; a {@code dryRun} PUT answers what
   * it would store, and the resource stored now, without writing.
   */
  Reply handle(String method, List<String> parts, byte[] body, boolean dryRun) throws Exception {
    if (parts.isEmpty()) {
      return Reply.error(404, "name a kind: /api/resources/{" + plurals() + "}");
    }
    Optional<ResourceKind> found = ResourceKind.ofPlural(parts.get(0));
    if (found.isEmpty()) {
      return Reply.error(404, "no such kind \"%s\": one of %s".formatted(parts.get(0), plurals()));
    }
    ResourceKind kind = found.get();
    if (parts.size() == 1) {
      return method.equals("GET")
          ? new Reply(200, list(kind))
          : Reply.error(405, "method " + method + " not allowed");
    }
    if (parts.size() != 3) {
      return Reply.error(404, "no such endpoint: /api/resources/" + String.join("/", parts));
    }
    String ns = parts.get(1);
    String name = parts.get(2);
    for (String segment : List.of(ns, name)) {
      if (!NAME.matcher(segment).matches()) {
        return Reply.error(
            400,
            "\"%s\" is not a valid name: lower case letters, digits, '-' and '.'"
                .formatted(segment));
      }
    }
    return switch (method) {
      case "GET" ->
          find(kind, ns, name)
              .map(d -> new Reply(200, describe(d)))
              .orElseGet(() -> Reply.error(404, notFound(kind, ns, name)));
      case "PUT" -> put(kind, ns, name, body, dryRun);
      case "DELETE" -> delete(kind, ns, name);
      default -> Reply.error(405, "method " + method + " not allowed");
    };
  }

  private List<Map<String, Object>> list(ResourceKind kind) {
    List<Map<String, Object>> all = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Definition d : platform.definitions()) {
      if (d.kind() == kind && seen.add(d.namespace() + "/" + d.name())) {
        all.add(describe(d));
      }
    }
    return all;
  }

  /** The definition that counts: the first one, as local mode runs it. */
  private Optional<Definition> find(ResourceKind kind, String ns, String name) {
    return platform.definitions().stream().filter(d -> d.is(kind, ns, name)).findFirst();
  }

  private Map<String, Object> describe(Definition d) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", d.kind().kind());
    m.put("namespace", d.namespace());
    m.put("name", d.name());
    m.put("file", display(d.file()));
    m.put("applied", platform.applied().holds(d.file()));
    if (d.kind() == ResourceKind.FUNCTION) {
      m.put("ready", platform.ready(d.namespace() + "/" + d.name()));
    }
    m.put("resource", d.resource());
    return m;
  }

  private Reply put(ResourceKind kind, String ns, String name, byte[] body, boolean dryRun)
      throws Exception {
    if (!platform.tracking()) {
      return notTracking();
    }
    JsonNode tree;
    try {
      tree = YAML.readTree(body);
    } catch (IOException e) {
      return Reply.error(400, "the body is not JSON or YAML: " + firstLine(e.getMessage()));
    }
    if (tree == null || !tree.isObject()) {
      return Reply.error(400, "the body is not a %s: expected one object".formatted(kind.kind()));
    }
    ObjectNode resource = (ObjectNode) tree;
    String problem = normalize(kind, ns, name, resource);
    if (problem != null) {
      return Reply.error(400, problem);
    }
    Object typed;
    try {
      typed = Serialization.jsonMapper().treeToValue(resource, kind.type());
    } catch (IOException | IllegalArgumentException e) {
      return Reply.error(
          400, "the body is not a valid %s: %s".formatted(kind.kind(), firstLine(e.getMessage())));
    }
    if (typed instanceof Function f) {
      try {
        LocalFunction.of(f);
      } catch (InvalidFunctionException e) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("error", "function %s: %s: %s".formatted(name, e.reason(), e.getMessage()));
        error.put("reason", e.reason());
        return new Reply(400, error);
      }
    }
    Optional<Definition> own = userDefinition(kind, ns, name);
    if (own.isPresent()) {
      return conflict(own.get(), "it cannot be changed here");
    }
    if (dryRun) {
      keepCreationTimestamp(resource, platform.applied().file(kind, ns, name));
      Map<String, Object> answer = new LinkedHashMap<>();
      answer.put("dryRun", true);
      answer.put("current", find(kind, ns, name).map(Definition::resource).orElse(null));
      answer.put("resource", AppliedResources.asStored(resource));
      return new Reply(200, answer);
    }
    boolean created =
        platform.change(
            () -> {
              Path file = platform.applied().file(kind, ns, name);
              boolean existed = Files.exists(file);
              keepCreationTimestamp(resource, file);
              platform.applied().write(kind, ns, name, resource);
              return !existed;
            });
    List<String> notes = typed instanceof Function f ? LocalPlatform.notes(f) : List.<String>of();
    return find(kind, ns, name)
        .map(
            d -> {
              Map<String, Object> answer = describe(d);
              if (!notes.isEmpty()) {
                answer.put("notes", notes); // what local mode ignores of it
              }
              return new Reply(created ? 201 : 200, answer);
            })
        .orElseGet(
            () -> Reply.error(500, "written but not read back: " + notFound(kind, ns, name)));
  }

  private Reply delete(ResourceKind kind, String ns, String name) throws Exception {
    if (!platform.tracking()) {
      return notTracking();
    }
    Optional<Definition> own = userDefinition(kind, ns, name);
    if (own.isPresent()) {
      return conflict(own.get(), "it cannot be deleted here");
    }
    Optional<Definition> before = find(kind, ns, name);
    boolean deleted = platform.change(() -> platform.applied().delete(kind, ns, name));
    if (!deleted || before.isEmpty()) {
      return Reply.error(404, notFound(kind, ns, name));
    }
    return new Reply(200, Map.of("deleted", describe(before.get())));
  }

  /**
   * Fills in what the path says and drops what only an API server writes; the problem when the body
   * is not a resource of the path's kind, namespace and name.
   */
  private static String normalize(ResourceKind kind, String ns, String name, ObjectNode r) {
    String bodyKind = r.path("kind").asText("");
    if (!bodyKind.equals(kind.kind())) {
      return bodyKind.isEmpty()
          ? "the body is not a %s: it has no kind".formatted(kind.kind())
          : "the body is a %s, not a %s".formatted(bodyKind, kind.kind());
    }
    String apiVersion = r.path("apiVersion").asText("");
    if (apiVersion.isEmpty()) {
      r.put("apiVersion", "kubeless.io/v1beta1");
    } else if (!apiVersion.startsWith("kubeless.io/")) {
      return "the body's apiVersion \"%s\" is not kubeless.io's".formatted(apiVersion);
    }
    JsonNode meta = r.path("metadata");
    if (!meta.isMissingNode() && !meta.isObject()) {
      return "the body's metadata is not an object";
    }
    ObjectNode metadata = meta.isObject() ? (ObjectNode) meta : r.putObject("metadata");
    String bodyName = metadata.path("name").asText("");
    if (!bodyName.isEmpty() && !bodyName.equals(name)) {
      return "metadata.name \"%s\" is not the path's \"%s\"".formatted(bodyName, name);
    }
    String bodyNs = metadata.path("namespace").asText("");
    if (!bodyNs.isEmpty() && !bodyNs.equals(ns)) {
      return "metadata.namespace \"%s\" is not the path's \"%s\"".formatted(bodyNs, ns);
    }
    metadata.put("name", name);
    metadata.put("namespace", ns);
    SERVER_FIELDS.forEach(metadata::remove);
    r.remove("status");
    return null;
  }

  /** A replaced resource keeps its creation time (it orders triggers); a new one gets now. */
  private static void keepCreationTimestamp(ObjectNode resource, Path file) {
    ObjectNode metadata = (ObjectNode) resource.get("metadata");
    if (metadata.hasNonNull("creationTimestamp")) {
      return;
    }
    String before = null;
    if (Files.isRegularFile(file)) {
      try {
        before = YAML.readTree(file.toFile()).at("/metadata/creationTimestamp").asText(null);
      } catch (IOException e) {
        // a new time, then
      }
    }
    metadata.put(
        "creationTimestamp",
        before != null ? before : Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
  }

  private Optional<Definition> userDefinition(ResourceKind kind, String ns, String name) {
    return Definition.scan(platform.userFiles()).stream()
        .filter(d -> d.is(kind, ns, name))
        .findFirst();
  }

  private static Reply conflict(Definition d, String consequence) {
    return Reply.error(
        409,
        "%s %s/%s is defined in %s; %s: edit or remove it there"
            .formatted(d.kind().kind(), d.namespace(), d.name(), display(d.file()), consequence));
  }

  private static Reply notTracking() {
    return Reply.error(
        503, "this local mode does not follow its files, so it cannot apply resources");
  }

  private static String notFound(ResourceKind kind, String ns, String name) {
    return "%s \"%s\" not found in namespace \"%s\"".formatted(kind.kind(), name, ns);
  }

  /** A file as the user would name it: relative to the working directory when under it. */
  static String display(Path file) {
    Path here = Path.of("").toAbsolutePath();
    return file.startsWith(here) ? here.relativize(file).toString() : file.toString();
  }

  private static String plurals() {
    return String.join(
        ", ", Arrays.stream(ResourceKind.values()).map(ResourceKind::plural).toList());
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
