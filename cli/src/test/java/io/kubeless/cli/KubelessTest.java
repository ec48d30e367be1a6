package io.kubeless.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command tree, usage errors and what runs without an API server. */
class KubelessTest {

  @TempDir Path dir;

  @Test
  void versionPrintsTheProjectVersion() {
    CliRun run = CliRun.offline("version");

    assertThat(run.code()).isZero();
    assertThat(run.out().strip()).matches("Kubeless version: \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
  }

  @Test
  void helpListsKubelessRootCommandsAndLocalMode() {
    CliRun run = CliRun.offline("--help");

    assertThat(run.code()).isZero();
    assertThat(run.out())
        .contains("function", "trigger", "topic", "version", "local", "completion");
  }

  @Test
  void completionPrintsABashScript() {
    CliRun run = CliRun.offline("completion", "bash");

    assertThat(run.code()).isZero();
    assertThat(run.out()).contains("complete -F").contains("kubeless");
    assertThat(CliRun.offline("completion", "fish").code()).isEqualTo(2);
  }

  @Test
  void deployWithoutRuntimeOrImageIsAUsageError() {
    CliRun run = CliRun.offline("function", "deploy", "f", "--handler", "h.f", "--dryrun");

    assertThat(run.code()).isEqualTo(2);
    assertThat(run.err())
        .contains("You must specify a runtime (--runtime) or a --runtime-image")
        .contains("Run 'kubeless function deploy --help' for usage.");
  }

  @Test
  void runtimeWithoutHandlerIsAUsageError() {
    CliRun run = CliRun.offline("function", "deploy", "f", "-r", "python3.12", "--dryrun");

    assertThat(run.code()).isEqualTo(2);
    assertThat(run.err()).contains("You must specify a handler (--handler)");
  }

  @Test
  void unknownFlagsAndMissingNamesAreUsageErrors() {
    assertThat(CliRun.offline("function", "deploy", "f", "--dry-run").code()).isEqualTo(2);
    assertThat(CliRun.offline("function", "delete").code()).isEqualTo(2);
    assertThat(CliRun.offline("function", "list", "-o", "table").code()).isEqualTo(2);
    assertThat(CliRun.offline("function").code()).isEqualTo(2);
    assertThat(CliRun.offline("nope").err()).contains("Unmatched argument");
  }

  @Test
  void dryrunYamlMatchesTheGoldenFileWithoutCallingTheApiServer() throws IOException {
    Path code = dir.resolve("hello.py");
    Files.writeString(code, "def handler(event, context):\n    return 'hello'\n");
    Path deps = dir.resolve("requirements.txt");
    Files.writeString(deps, "requests==2.32.3\n");

    CliRun run =
        CliRun.offline(
            "function",
            "deploy",
            "hello",
            "-n",
            "default",
            "--runtime",
            "python3.12",
            "--handler",
            "hello.handler",
            "--from-file",
            code.toString(),
            "--dependencies",
            deps.toString(),
            "--env",
            "GREETING=hi",
            "--label",
            "team=demo",
            "--memory",
            "128Mi",
            "--dryrun");

    assertThat(run.code()).as(run.err()).isZero();
    GoldenFiles.assertMatches("function-deploy-dryrun.yaml", run.out());
  }

  @Test
  void dryrunJsonIsIndentedJson() throws IOException {
    Path code = dir.resolve("hello.js");
    Files.writeString(code, "module.exports = {}\n");

    CliRun run =
        CliRun.offline(
            "function",
            "deploy",
            "js",
            "-n",
            "default",
            "--runtime-image",
            "example/node:1",
            "-f",
            code.toString(),
            "--dryrun",
            "-o",
            "json");

    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out()).startsWith("{\n  \"apiVersion\" : \"kubeless.io/v1beta1\"");
    assertThat(run.out()).contains("\"image\" : \"example/node:1\"");
  }

  @Test
  void unreachableApiServerNamesItsUrl() {
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl("http://127.0.0.1:1/")
            .withNamespace("default")
            .withRequestRetryBackoffLimit(0)
            .build();
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
      CliRun run = CliRun.run(client, "function", "ls");

      assertThat(run.code()).isEqualTo(1);
      assertThat(run.err())
          .contains("cannot reach the Kubernetes API server at http://127.0.0.1:1/");
    }
  }
}
