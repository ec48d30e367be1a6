package io.kubeless.runtime.java;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kubeless.runtime.testing.RuntimeContractTest;
import io.kubeless.runtime.testing.RuntimeProcess;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The runtime contract against {@code runtimes/java/run}, plus what only Java needs. */
class JavaRuntimeTest extends RuntimeContractTest {

  @Override
  protected String suffix() {
    return ".java";
  }

  @Override
  protected String depsFile() {
    return "pom.xml";
  }

  /** Java's classes are capitalised; {@code Event} would clash with {@code io.kubeless.Event}. */
  @Override
  protected String moduleName(String function) {
    String name = Character.toUpperCase(function.charAt(0)) + function.substring(1);
    return name.equals("Event") ? "EventInfo" : name;
  }

  @Override
  protected boolean returnsObjects() {
    return false;
  }

  @Override
  protected Map<String, String> runtimeEnv() {
    return Map.of("JAVA_HOME", System.getProperty("java.home"));
  }

  /**
   * The Maven running this build installs; the build's local repository is a read-only tail, so the
   * compatibility artifacts the install step adds land in a repository of the test's own.
   */
  @Override
  protected Map<String, String> installEnv() {
    Path home = Path.of(System.getProperty("maven.home"));
    return Map.of(
        "JAVA_HOME", System.getProperty("java.home"),
        "MVN", home.resolve("bin/mvn").toString(),
        "MAVEN_REPO_LOCAL", tmp.resolve("m2").toString(),
        "MAVEN_ARGS",
            "-Dmaven.repo.local.tail="
                + Path.of(System.getProperty("user.home"), ".m2", "repository"));
  }

  /**
   * A pom.xml as Kubeless's Java functions have it: Kubeless's parent and params, plus a library.
   */
  @Override
  protected void writeDependencies(Path volume) throws IOException {
    Files.writeString(
        volume.resolve(depsFile()),
        """
        <project xmlns="http://maven.apache.org/POM/4.0.0">
          <modelVersion>4.0.0</modelVersion>
          <artifactId>function</artifactId>
          <name>function</name>
          <version>1.0-SNAPSHOT</version>
          <parent>
            <groupId>io.kubeless</groupId>
            <artifactId>kubeless</artifactId>
            <version>1.0-SNAPSHOT</version>
          </parent>
          <dependencies>
            <dependency>
              <groupId>org.apache.commons</groupId>
              <artifactId>commons-lang3</artifactId>
              <version>3.20.0</version>
            </dependency>
            <dependency>
              <groupId>io.kubeless</groupId>
              <artifactId>params</artifactId>
              <version>1.0-SNAPSHOT</version>
            </dependency>
          </dependencies>
        </project>
        """);
  }

  @Test
  void stopsAHandlerThatBlocksAndSwallowsEverythingThrownAtIt() throws Exception {
    RuntimeProcess runtime = start("stubborn", Map.of("FUNC_TIMEOUT", "1"));

    CompletableFuture<HttpResponse<String>> stubborn = runtime.postAsync("/", "x");

    assertThat(stubborn.get().statusCode()).isEqualTo(408);
    assertStopsTicking(volume().resolve("ticks"));
    assertThat(Files.readString(volume().resolve("ticks")))
        .as("the interrupt woke it, it swallowed that, and the next loop check stopped it")
        .isEqualTo("swallowed InterruptedException");
  }

  @Test
  void reportsCompilationErrorsWithFileAndLine() throws Exception {
    Path volume = volume();
    Files.writeString(
        volume.resolve("Typo.java"), "package io.kubeless;\npublic class Typo {\n  int x = ;\n}\n");
    RuntimeProcess runtime =
        RuntimeProcess.start(runtimeDir(), volume, "Typo", "handler", runtimeEnv());
    try {
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> runtime.get("/healthz").statusCode() == 500);
      assertThat(runtime.get("/healthz").body()).contains("Typo.java:3: error:");
    } finally {
      runtime.close();
    }
  }
}
