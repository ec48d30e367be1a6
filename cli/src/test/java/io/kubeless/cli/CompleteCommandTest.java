package io.kubeless.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.HTTPTrigger;
import io.kubeless.api.v1beta1.KafkaTrigger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kubeless __complete} and the bash completion that calls it. */
@EnableKubernetesMockClient(crud = true)
class CompleteCommandTest {

  KubernetesClient client;

  @TempDir Path dir;

  @BeforeEach
  void store() {
    for (String name : List.of("hello", "greet", "echo")) {
      Function f = new Function();
      f.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("test").build());
      client.resources(Function.class).inNamespace("test").resource(f).create();
    }
    Function other = new Function();
    other.setMetadata(new ObjectMetaBuilder().withName("elsewhere").withNamespace("other").build());
    client.resources(Function.class).inNamespace("other").resource(other).create();
    KafkaTrigger kafka = new KafkaTrigger();
    kafka.setMetadata(new ObjectMetaBuilder().withName("orders").withNamespace("test").build());
    client.resources(KafkaTrigger.class).inNamespace("test").resource(kafka).create();
    HTTPTrigger http = new HTTPTrigger();
    http.setMetadata(new ObjectMetaBuilder().withName("web").withNamespace("test").build());
    client.resources(HTTPTrigger.class).inNamespace("test").resource(http).create();
  }

  @Test
  void functionsOfTheContextNamespaceOrOfDashN() {
    CliRun run = CliRun.run(client, "__complete", "functions");

    assertThat(run.code()).isZero();
    assertThat(run.out()).isEqualTo("echo\ngreet\nhello\n");
    assertThat(CliRun.run(client, "__complete", "functions", "-n", "other").out())
        .isEqualTo("elsewhere\n");
  }

  @Test
  void triggersOfAKind() {
    assertThat(CliRun.run(client, "__complete", "triggers", "kafka").out()).isEqualTo("orders\n");
    assertThat(CliRun.run(client, "__complete", "triggers", "http").out()).isEqualTo("web\n");
    assertThat(CliRun.run(client, "__complete", "triggers", "nats").out()).isEmpty();
  }

  @Test
  void anyErrorPrintsNothingAndExitsZero() {
    for (String[] args :
        List.of(
            new String[] {"__complete"},
            new String[] {"__complete", "triggers"},
            new String[] {"__complete", "triggers", "nope"},
            new String[] {"__complete", "nope", "--unknown-flag"})) {
      CliRun run = CliRun.run(client, args);
      assertThat(run.code()).as(String.join(" ", args)).isZero();
      assertThat(run.out() + run.err()).as(String.join(" ", args)).isEmpty();
    }
  }

  @Test
  void noBrokerPrintsNoTopicsWithinSeconds() {
    long start = System.nanoTime();
    CliRun run = CliRun.offline("__complete", "topics", "--kafka-bootstrap", "127.0.0.1:1");

    assertThat(run.code()).isZero();
    assertThat(run.out() + run.err()).isEmpty();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void unreachableApiServerPrintsNothing() {
    var config =
        new io.fabric8.kubernetes.client.ConfigBuilder(io.fabric8.kubernetes.client.Config.empty())
            .withMasterUrl("http://127.0.0.1:1/")
            .withNamespace("default")
            .build();
    try (KubernetesClient down =
        new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(config).build()) {
      CliRun run = CliRun.run(down, "__complete", "functions");

      assertThat(run.code()).isZero();
      assertThat(run.out() + run.err()).isEmpty();
    }
  }

  @Test
  void completionScriptHidesTheCommand() {
    assertThat(CliRun.offline("--help").out()).doesNotContain("__complete");
    assertThat(CliRun.offline("completion", "bash").out())
        .contains("function _kubeless_complete()")
        .contains("complete -F _kubeless_complete -o default kubeless");
  }

  /**
   * The real thing: bash sources {@code kubeless completion bash} and completes, with {@code
   * kubeless} on the PATH a script running this JVM's classpath against the mock server through a
   * kubeconfig.
   */
  @Test
  void bashCompletesNamesFromTheCluster() throws Exception {
    Path bash = Path.of("/bin/bash");
    assertThat(bash).as("bash runs the completion script").isExecutable();
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Path launcher = bin.resolve("kubeless");
    Files.writeString(
        launcher,
        "#!/bin/sh\nexec '%s' -cp '%s' io.kubeless.cli.Kubeless \"$@\"\n"
            .formatted(java, System.getProperty("java.class.path")));
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(
        kubeconfig,
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: mock
          cluster:
            server: %s
            insecure-skip-tls-verify: true
        contexts:
        - name: mock
          context:
            cluster: mock
            namespace: test
            user: mock
        current-context: mock
        users:
        - name: mock
          user:
            token: secret
        """
            .formatted(client.getMasterUrl()));

    String script =
        """
        source <(kubeless completion bash) 2>/dev/null || exit 3
        t() {
          COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
          COMPREPLY=()
          _kubeless_complete 2>/dev/null
          echo "${COMPREPLY[*]}"
        }
        t kubeless function describe ""
        t kubeless function delete -n other ""
        t kubeless trigger kafka update o
        t kubeless function de
        """;
    ProcessBuilder pb =
        new ProcessBuilder(bash.toString(), "-c", script)
            .directory(dir.toFile())
            .redirectErrorStream(true);
    pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
    pb.environment().put("KUBECONFIG", kubeconfig.toString());
    pb.environment().remove("KUBERNETES_MASTER");
    Process p = pb.start();
    boolean done = p.waitFor(90, TimeUnit.SECONDS);
    if (!done) {
      p.destroyForcibly();
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertThat(done).as(out).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out.lines().toList())
        .containsExactly("echo greet hello", "elsewhere", "orders", "deploy delete describe");
  }
}
