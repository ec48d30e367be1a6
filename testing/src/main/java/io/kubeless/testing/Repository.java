package io.kubeless.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the repository's files are, seen from a module's tests. */
public final class Repository {

  private Repository() {}

  /** The repository root: Maven's multi-module directory, else the first parent with k8s/. */
  public static Path root() {
    String property = System.getProperty("maven.multiModuleProjectDirectory");
    if (property != null) {
      return Path.of(property);
    }
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isDirectory(dir.resolve("k8s/crds"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException("no k8s/crds above " + Path.of("").toAbsolutePath());
    }
    return dir;
  }

  /** The committed CRD of a kind, by its plural: {@code k8s/crds/<plural>/...}. */
  public static Path crd(String plural) {
    return root().resolve("k8s/crds").resolve(plural).resolve(plural + ".kubeless.io-v1.yml");
  }
}
