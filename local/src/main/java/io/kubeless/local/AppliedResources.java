package io.kubeless.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * The resources applied through the admin API, one YAML file each under {@code
 * .kubeless/applied/<plural>/<namespace>/<name>.yaml}. Local mode reads and watches them as it does
 * the user's files (after them: a name a user's file defines is the file's), so an applied resource
 * runs through the same path and survives a restart.
 */
final class AppliedResources {

  private static final YAMLMapper YAML =
      YAMLMapper.builder()
          .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
          .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
          // a string such as a Function's timeout "30" stays a string when read back
          .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
          .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE) // code stays readable
          .build();

  private final Path root;

  AppliedResources(Path home) {
    this.root = home.resolve("applied").toAbsolutePath().normalize();
  }

  /** {@code .kubeless/applied}. */
  Path root() {
    return root;
  }

  /** Where a resource of that kind, namespace and name is (or would be) stored. */
  Path file(ResourceKind kind, String namespace, String name) {
    return root.resolve(kind.plural()).resolve(namespace).resolve(name + ".yaml");
  }

  /** Whether {@code file} is one of the applied files. */
  boolean holds(Path file) {
    return file.toAbsolutePath().normalize().startsWith(root);
  }

  /** Every applied file, by kind, namespace and name; editor files left out. */
  List<Path> files() {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    try (Stream<Path> all = Files.walk(root, 3)) {
      return all.filter(p -> root.relativize(p).getNameCount() == 3)
          .filter(Manifests::manifest)
          .filter(p -> !ManifestWatcher.editorFile(p.getFileName().toString()))
          .sorted()
          .toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  /** Writes the resource's file, replacing it whole (readers never see half a file). */
  void write(ResourceKind kind, String namespace, String name, JsonNode resource)
      throws IOException {
    Path file = file(kind, namespace, name);
    Files.createDirectories(file.getParent());
    // a dot name: the watcher takes it for an editor's temporary file
    Path tmp = file.resolveSibling("." + name + ".yaml.tmp");
    Files.writeString(tmp, YAML.writeValueAsString(resource));
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** The resource as its file gives it back once written (what a dry run answers). */
  static JsonNode asStored(JsonNode resource) throws IOException {
    return YAML.readTree(YAML.writeValueAsString(resource));
  }

  /** Removes the resource's file; whether there was one. */
  boolean delete(ResourceKind kind, String namespace, String name) throws IOException {
    return Files.deleteIfExists(file(kind, namespace, name));
  }
}
