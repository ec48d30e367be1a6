package io.kubeless.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web console end to end, as a user drives it: local mode with nothing to run, and a real
 * headless Chromium ({@code /usr/bin/chromium}, driven by playwright-core from the console module's
 * {@code src/test/e2e/console.e2e.mjs}) that creates, calls, watches, edits and deletes a Python
 * function (reviewing a dry run's diff before each apply, its metrics, saved requests, a body from
 * a file, logs per replica), creates a KafkaTrigger, publishes to its topic and peeks at it, and
 * edits a multi-file function as a tree of files. axe-core checks each page; the screenshots are
 * kept in {@code target/console-e2e/}.
 */
@Tag("broker")
class ConsoleBrowserIT {

  private static final Path CONSOLE = Path.of("..", "console").toAbsolutePath().normalize();
  private static final Path OUT = Path.of("target", "console-e2e").toAbsolutePath();

  @TempDir Path dir;

  private final ByteArrayOutputStream log = new ByteArrayOutputStream();
  private LocalPlatform platform;

  @AfterEach
  void stop() {
    if (platform != null) {
      platform.close();
    }
    System.out.print(log.toString(StandardCharsets.UTF_8));
  }

  @Test
  void aUserWritesCallsWatchesEditsAndTriggersAFunctionInTheConsole() throws Exception {
    platform =
        LocalPlatform.start(
            Manifests.load(List.of(dir)),
            new LocalPlatform.Options(
                dir.resolve(".kubeless"),
                Path.of("..", "runtimes"),
                null,
                0,
                new PrintStream(log, true, StandardCharsets.UTF_8)));
    platform.watch(List.of(dir));
    URI console = platform.adminUrl();
    assertThat(log.toString(StandardCharsets.UTF_8)).contains("console at " + console);

    Path output = dir.resolve("e2e.log");
    Process node =
        new ProcessBuilder(
                "node",
                CONSOLE.resolve("src/test/e2e/console.e2e.mjs").toString(),
                console.toString(),
                OUT.toString(),
                Files.createDirectories(dir.resolve("chromium-profile")).toString())
            .directory(CONSOLE.toFile())
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .start();
    boolean done = node.waitFor(5, TimeUnit.MINUTES);
    if (!done) {
      node.descendants().forEach(ProcessHandle::destroyForcibly);
      node.destroyForcibly().waitFor();
    }
    String said = Files.readString(output);
    System.out.println(said);
    assertThat(done).as("the browser run ends within 5 minutes").isTrue();
    assertThat(node.exitValue()).as(said).isZero();
    assertThat(said).contains("console end to end: passed");

    // what the user did in the browser happened here: created, then deleted after confirming
    assertThat(platform.functionUrls()).isEmpty();
    assertThat(dir.resolve(".kubeless/applied/functions/default/greet.yaml")).doesNotExist();
    assertThat(dir.resolve(".kubeless/applied/functions/default/multi.yaml")).doesNotExist();
    assertThat(dir.resolve(".kubeless/applied/kafkatriggers/default/greet-orders.yaml"))
        .doesNotExist();
    assertThat(log.toString(StandardCharsets.UTF_8))
        .contains("[greet] greeting v1 console", "[greet] greeting v2 kafka");
    for (String page :
        List.of(
            "functions-empty",
            "function-new",
            "function-yaml",
            "function-review",
            "functions",
            "call",
            "call-metrics",
            "call-file",
            "logs",
            "logs-replica",
            "function-edit-review",
            "function-edit",
            "triggers-empty",
            "trigger-new",
            "trigger-review",
            "triggers",
            "trigger-publish",
            "trigger-peek",
            "function-files",
            "logs-kafka",
            "trigger-delete")) {
      assertThat(OUT.resolve(page + ".png")).isNotEmptyFile();
    }
    assertThat(OUT.resolve("axe.json")).isNotEmptyFile();
  }
}
