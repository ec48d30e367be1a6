package io.kubeless.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kubeless.local.LocalPlatform;
import io.kubeless.local.Manifests;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The function commands against a running local mode (in this JVM, a Python function), found
 * through its {@code local.json}; none of them may touch an API server.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalTargetTest {

  private LocalPlatform platform;
  private Path dir;

  @BeforeAll
  void start(@TempDir Path tmp) throws Exception {
    dir = tmp;
    Files.writeString(
        dir.resolve("echo.yaml"),
        """
        apiVersion: kubeless.io/v1beta1
        kind: Function
        metadata: {name: echo, labels: {team: demo}}
        spec:
          runtime: python3.12
          handler: echo.handler
          deps: ""
          function: |
            def handler(event, context):
                print("got", event["data"], flush=True)
                if event["extensions"]["request"].method == "DELETE":
                    raise Exception("no")
                return event["data"]
        """);
    platform =
        LocalPlatform.start(
            Manifests.load(List.of(dir)),
            new LocalPlatform.Options(
                dir.resolve(".kubeless"),
                Path.of("..", "runtimes"),
                null,
                0,
                new PrintStream(System.out, true, StandardCharsets.UTF_8)));
    System.setProperty(LocalAdmin.STATE_DIR_PROPERTY, dir.resolve(".kubeless").toString());
    await().atMost(Duration.ofSeconds(60)).until(() -> platform.ready("default/echo"));
  }

  @AfterAll
  void stop() {
    System.clearProperty(LocalAdmin.STATE_DIR_PROPERTY);
    if (platform != null) {
      platform.close();
    }
  }

  @Test
  void listsTheLocalFunctions() {
    CliRun run = CliRun.offline("function", "ls", "--target", "local");
    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out())
        .containsPattern("NAME\\s+NAMESPACE\\s+HANDLER\\s+RUNTIME\\s+DEPENDENCIES\\s+STATUS")
        .containsPattern("echo\\s+default\\s+echo.handler\\s+python3.12\\s+1/1 READY");

    // no --target: the local mode running here
    CliRun auto = CliRun.offline("function", "list", "-o", "wide");
    assertThat(auto.code()).as(auto.err()).isZero();
    assertThat(auto.out()).contains("1/1 READY").contains("team:demo");

    CliRun missing = CliRun.offline("function", "ls", "nope", "--target", "local");
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.err()).contains("function \"nope\" not found in namespace \"default\"");
  }

  @Test
  void describesALocalFunction() {
    CliRun run = CliRun.offline("function", "describe", "echo", "--target", "local");
    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out())
        .containsPattern("Name:\\s+echo")
        .containsPattern("Runtime:\\s+python3.12")
        .containsPattern("Status:\\s+1/1 READY")
        .contains(platform.functionUrls().get("default/echo").toString());
  }

  @Test
  void callsLogsAndTops() {
    CliRun call =
        CliRun.offline("function", "call", "echo", "--target", "local", "-d", "{\"a\":1}");
    assertThat(call.code()).as(call.err()).isZero();
    assertThat(call.out().strip()).isEqualTo("{\"a\": 1}");

    CliRun include =
        CliRun.offline(
            "function", "call", "echo", "--target", "local", "-i", "-d", "hi", "-H", "X-A: b");
    assertThat(include.code()).as(include.err()).isZero();
    assertThat(include.out()).startsWith("HTTP 200").contains("hi");

    CliRun failed =
        CliRun.offline("function", "call", "echo", "--target", "local", "-X", "DELETE", "--fail");
    assertThat(failed.code()).isEqualTo(1);

    CliRun logs = CliRun.offline("function", "logs", "echo", "--target", "local");
    assertThat(logs.code()).as(logs.err()).isZero();
    assertThat(logs.out()).contains("got {'a': 1}").contains("got hi");

    CliRun top = CliRun.offline("function", "top", "--target", "local");
    assertThat(top.code()).as(top.err()).isZero();
    assertThat(top.out())
        .containsPattern("NAME\\s+NAMESPACE\\s+CALLS\\s+FAILURES\\s+P50\\s+P95")
        .containsPattern("echo\\s+default\\s+3\\s+1\\s+\\d+\\.\\dms\\s+\\d+\\.\\dms");

    CliRun json =
        CliRun.offline("function", "top", "-f", "echo", "--target", "local", "-o", "json");
    assertThat(json.code()).as(json.err()).isZero();
    assertThat(json.out()).contains("\"calls\" : 3").contains("\"failures\" : 1");
  }

  @Test
  void refusesToDeployUpdateOrDelete() throws Exception {
    Path code = dir.resolve("other.py");
    Files.writeString(code, "def handler(event, context):\n    return 'x'\n");
    CliRun deploy =
        CliRun.offline(
            "function",
            "deploy",
            "other",
            "--runtime",
            "python3.12",
            "--handler",
            "other.handler",
            "--from-file",
            code.toString(),
            "--target",
            "local");
    assertThat(deploy.code()).isEqualTo(1);
    assertThat(deploy.err())
        .contains("local mode")
        .contains("edit")
        .contains("--target kubernetes");

    CliRun update = CliRun.offline("function", "update", "echo", "--memory", "128Mi");
    assertThat(update.code()).isEqualTo(1);
    assertThat(update.err()).contains("local mode");

    CliRun delete = CliRun.offline("function", "delete", "echo", "--target", "local");
    assertThat(delete.code()).isEqualTo(1);
    assertThat(delete.err()).contains("local mode");
  }

  @Test
  void localTargetWithoutLocalModeFails() {
    String before = System.getProperty(LocalAdmin.STATE_DIR_PROPERTY);
    System.setProperty(LocalAdmin.STATE_DIR_PROPERTY, dir.resolve("elsewhere").toString());
    try {
      CliRun run = CliRun.offline("function", "ls", "--target", "local");
      assertThat(run.code()).isEqualTo(1);
      assertThat(run.err()).contains("no running local mode here");
    } finally {
      System.setProperty(LocalAdmin.STATE_DIR_PROPERTY, before);
    }
  }
}
