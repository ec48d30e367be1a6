package io.kubeless.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A Kubeless resource as a file defines it: what the admin API lists, and how it finds the file
 * that owns a name.
 *
 * @param kind its kind
 * @param namespace {@code metadata.namespace}, {@code default} when absent
 * @param name {@code metadata.name}
 * @param file the file holding it
 * @param resource the document, its {@code metadata.namespace} filled in
 */
record Definition(ResourceKind kind, String namespace, String name, Path file, JsonNode resource) {

  /**
   * The Kubeless resources of {@code files}, in file order; unreadable files and documents without
   * a name are left out (loading reports them).
   */
  static List<Definition> scan(List<Path> files) {
    List<Definition> all = new ArrayList<>();
    for (Path file : files) {
      List<JsonNode> objects;
      try {
        objects = Manifests.objects(file);
      } catch (IOException e) {
        continue;
      }
      for (JsonNode o : objects) {
        var kind = ResourceKind.ofKind(o.path("kind").asText(""));
        String name = o.path("metadata").path("name").asText("");
        if (kind.isEmpty()
            || !o.path("apiVersion").asText("").startsWith("kubeless.io/")
            || name.isBlank()) {
          continue;
        }
        String ns = o.path("metadata").path("namespace").asText("");
        ns = ns.isBlank() ? "default" : ns;
        ObjectNode copy = o.deepCopy();
        ((ObjectNode) copy.path("metadata")).put("namespace", ns);
        all.add(new Definition(kind.get(), ns, name, file.toAbsolutePath().normalize(), copy));
      }
    }
    return all;
  }

  /** Whether this is the resource of that kind, namespace and name. */
  boolean is(ResourceKind kind, String namespace, String name) {
    return this.kind == kind && this.namespace.equals(namespace) && this.name.equals(name);
  }
}
