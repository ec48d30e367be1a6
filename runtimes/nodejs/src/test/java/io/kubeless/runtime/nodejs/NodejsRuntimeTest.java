package io.kubeless.runtime.nodejs;

import io.kubeless.runtime.testing.RuntimeContractTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The runtime contract against {@code runtimes/nodejs/run}. */
class NodejsRuntimeTest extends RuntimeContractTest {

  @Override
  protected String suffix() {
    return ".js";
  }

  @Override
  protected String depsFile() {
    return "package.json";
  }

  /** A local package named by a {@code file:} dependency, so no registry is needed. */
  @Override
  protected void writeDependencies(Path volume) throws IOException {
    Path dep = Files.createDirectories(volume.resolve("kubeless-dep"));
    Files.writeString(
        dep.resolve("package.json"),
        "{\"name\": \"kubeless-dep\", \"version\": \"1.0.0\", \"main\": \"index.js\"}\n");
    Files.writeString(
        dep.resolve("index.js"), "exports.shout = (text) => text.toUpperCase() + '!';\n");
    Files.writeString(
        volume.resolve(depsFile()),
        "{\"name\": \"fn\", \"version\": \"1.0.0\","
            + " \"dependencies\": {\"kubeless-dep\": \"file:./kubeless-dep\"}}\n");
  }
}
