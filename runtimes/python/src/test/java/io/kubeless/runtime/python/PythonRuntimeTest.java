package io.kubeless.runtime.python;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kubeless.runtime.testing.RuntimeContractTest;
import io.kubeless.runtime.testing.RuntimeProcess;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;

/** The runtime contract against {@code runtimes/python/run}. */
class PythonRuntimeTest extends RuntimeContractTest {

  private static final String WHEEL = "kubeless_dep-1.0-py3-none-any.whl";

  @Override
  protected String suffix() {
    return ".py";
  }

  @Override
  protected String depsFile() {
    return "requirements.txt";
  }

  @Override
  protected Map<String, String> installEnv() {
    // PyPI is out of reach of the build machines: the test's wheel is all pip may use.
    return Map.of("PIP_NO_INDEX", "1");
  }

  /** A local wheel, built here as pip would, named by a relative path in requirements.txt. */
  @Override
  protected void writeDependencies(Path volume) throws IOException {
    try (OutputStream file = Files.newOutputStream(volume.resolve(WHEEL));
        ZipOutputStream wheel = new ZipOutputStream(file)) {
      add(wheel, "kubeless_dep/__init__.py", "def shout(text):\n    return text.upper() + '!'\n");
      add(
          wheel,
          "kubeless_dep-1.0.dist-info/METADATA",
          "Metadata-Version: 2.1\nName: kubeless-dep\nVersion: 1.0\n");
      add(
          wheel,
          "kubeless_dep-1.0.dist-info/WHEEL",
          "Wheel-Version: 1.0\nGenerator: kubeless-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n");
      add(
          wheel,
          "kubeless_dep-1.0.dist-info/RECORD",
          "kubeless_dep/__init__.py,,\nkubeless_dep-1.0.dist-info/METADATA,,\n"
              + "kubeless_dep-1.0.dist-info/WHEEL,,\nkubeless_dep-1.0.dist-info/RECORD,,\n");
    }
    Files.writeString(volume.resolve(depsFile()), "./" + WHEEL + "\n");
  }

  /** Coroutines run together on a worker's event loop: one worker runs all 20. */
  @Test
  void runsAsyncHandlersConcurrentlyOnOneWorker() throws Exception {
    RuntimeProcess runtime =
        start("overlap_async", Map.of("FUNC_TIMEOUT", "3", "FUNC_WORKERS", "1"));

    assertRunTogether(runtime, 20);
  }

  /** Plain functions run in a worker's thread pool, as large as FUNC_CONCURRENCY says. */
  @Test
  void runsSyncHandlersInFuncConcurrencyThreadsPerWorker() throws Exception {
    RuntimeProcess runtime =
        start(
            "overlap", Map.of("FUNC_TIMEOUT", "3", "FUNC_WORKERS", "1", "FUNC_CONCURRENCY", "20"));

    assertRunTogether(runtime, 20);
  }

  /** An async handler that never awaits blocks its worker's loop: the worker is killed. */
  @Test
  void stopsARunawayAsyncHandlerAndKeepsServing() throws Exception {
    RuntimeProcess runtime = start("loop_async", Map.of("FUNC_TIMEOUT", "2"));
    Path ticks = volume().resolve("ticks");

    CompletableFuture<HttpResponse<String>> runaway = runtime.postAsync("/", "spin");
    await("the runaway handler is running")
        .atMost(Duration.ofSeconds(10))
        .until(() -> Files.exists(ticks));

    assertThat(runtime.post("/", "quick").body()).isEqualTo("ok");
    assertThat(runaway.get().statusCode()).isEqualTo(408);
    assertStopsTicking(ticks);
    assertThat(runtime.post("/", "quick").body()).isEqualTo("ok");
    assertThat(runtime.isAlive()).as("the server was not restarted").isTrue();
  }

  private static void add(ZipOutputStream zip, String name, String content) throws IOException {
    zip.putNextEntry(new ZipEntry(name));
    zip.write(content.getBytes(StandardCharsets.UTF_8));
    zip.closeEntry();
  }
}
