package io.kubeless.runtime.nodejs;

import io.kubeless.runtime.testing.RuntimeContractTest;
import io.kubeless.runtime.testing.RuntimeProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

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

  /** A handler returning a promise does not hold its worker: one worker runs hundreds at once. */
  @Test
  void runsHundredsOfAsyncHandlersConcurrentlyOnOneWorker() throws Exception {
    RuntimeProcess runtime =
        start(
            "overlap", Map.of("FUNC_TIMEOUT", "3", "FUNC_WORKERS", "1", "FUNC_CONCURRENCY", "200"));

    assertRunTogether(runtime, 200);
  }
}
