package io.kubeless.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionStatus;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code function deploy|update --wait} on the mock API server: the test plays the function
 * controller, writing the Ready condition while the command waits.
 */
@EnableKubernetesMockClient(crud = true)
class FunctionWaitTest {

  KubernetesClient client;

  @TempDir Path dir;

  /** A command running in the background, its stderr readable while it runs. */
  private record Running(CompletableFuture<Integer> code, StringWriter out, StringWriter err) {}

  private Running start(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CompletableFuture<Integer> code =
        CompletableFuture.supplyAsync(
            () ->
                Kubeless.run(client, new PrintWriter(out, true), new PrintWriter(err, true), args));
    return new Running(code, out, err);
  }

  private Running deploy(String name, String namespace, String... more) throws Exception {
    Path code = dir.resolve("hello.py");
    Files.writeString(code, "def handler(event, context):\n    return 'hello'\n");
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "function",
                "deploy",
                name,
                "-n",
                namespace,
                "--runtime",
                "python3.12",
                "--handler",
                "hello.handler",
                "--from-file",
                code.toString()));
    args.addAll(List.of(more));
    Running run = start(args.toArray(String[]::new));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> stored(namespace, name) != null || run.code().isDone());
    return run;
  }

  private Function stored(String namespace, String name) {
    return client.resources(Function.class).inNamespace(namespace).withName(name).get();
  }

  /** What the function controller writes: the Ready condition. */
  private void ready(String namespace, String name, boolean ready, String reason, String message) {
    Function f = stored(namespace, name);
    FunctionStatus status = new FunctionStatus();
    status.setConditions(
        List.of(
            new ConditionBuilder()
                .withType("Ready")
                .withStatus(ready ? "True" : "False")
                .withReason(reason)
                .withMessage(message)
                .build()));
    f.setStatus(status);
    client.resources(Function.class).inNamespace(namespace).resource(f).updateStatus();
  }

  @Test
  void printsProgressAndSucceedsOnceTheFunctionIsReady() throws Exception {
    Running run = deploy("hello", "wait1", "--wait", "30s");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> run.err().toString().contains("hello: waiting (no status yet"));
    assertThat(run.code()).isNotDone();

    ready("wait1", "hello", false, "DeploymentNotAvailable", "0/1 replicas ready");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                run.err()
                    .toString()
                    .contains("wait1/hello: waiting (DeploymentNotAvailable: 0/1 replicas ready)"));
    assertThat(run.code()).isNotDone();

    ready("wait1", "hello", true, "DeploymentAvailable", "1/1 replicas ready");
    assertThat(run.code().get(10, TimeUnit.SECONDS)).as(run.err().toString()).isZero();
    assertThat(run.err().toString()).containsPattern("hello: ready \\(\\d+\\.\\d s\\)");
    assertThat(run.out().toString()).contains("Function hello submitted for deployment");
  }

  @Test
  void failsWithTheReasonOfATerminalReadyFalse() throws Exception {
    Running run = deploy("broken", "wait2", "--wait");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> run.err().toString().contains("broken: waiting"));

    ready(
        "wait2", "broken", false, "InvalidHandler", "spec.handler 'x' must be <module>.<function>");
    assertThat(run.code().get(10, TimeUnit.SECONDS)).isEqualTo(1);
    assertThat(run.err().toString())
        .contains(
            "wait2/broken: failed (InvalidHandler: spec.handler 'x' must be <module>.<function>)")
        .contains("function \"broken\" cannot become ready: InvalidHandler");
  }

  @Test
  void failsWithTheLastReasonWhenTheTimeIsUp() throws Exception {
    Running run = deploy("slow", "wait3", "--wait=1s");
    assertThat(run.code().get(20, TimeUnit.SECONDS)).isEqualTo(1);
    assertThat(run.err().toString())
        .contains("function \"slow\" is not ready after 1s: no status yet");
  }

  @Test
  void updateWaitsToo() throws Exception {
    Running deployed = deploy("again", "wait4");
    assertThat(deployed.code().get(10, TimeUnit.SECONDS)).isZero();
    assertThat(deployed.err().toString()).doesNotContain("waiting"); // no --wait: no waiting

    Running update =
        start("function", "update", "again", "-n", "wait4", "--memory", "128Mi", "--wait");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> update.err().toString().contains("again: waiting"));
    ready("wait4", "again", true, "DeploymentAvailable", "1/1 replicas ready");
    assertThat(update.code().get(10, TimeUnit.SECONDS)).as(update.err().toString()).isZero();
    assertThat(update.err().toString()).contains("again: ready (");
  }

  @Test
  void refusesAMalformedTimeout() {
    CliRun run = CliRun.run(client, "function", "update", "x", "--wait", "soon");
    assertThat(run.code()).isEqualTo(2);
    assertThat(run.err()).contains("Invalid value for --wait \"soon\"");
  }
}
