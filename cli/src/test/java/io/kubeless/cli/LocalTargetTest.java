package io.kubeless.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kubeless.local.LocalPlatform;
import io.kubeless.local.Manifests;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The function and trigger commands against a running local mode (in this JVM, a Python function),
 * found through its {@code local.json}; none of them may touch an API server.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
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
                data = event["data"]
                print("got", data.decode() if isinstance(data, bytes) else data, flush=True)
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
    platform.watch(List.of(dir));
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
  void deploysCallsUpdatesAndDeletesALocalFunction() throws Exception {
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
            "--schedule",
            "*/5 * * * *",
            "--target",
            "local",
            "--wait");
    assertThat(deploy.code()).as(deploy.err()).isZero();
    assertThat(deploy.out())
        .contains("Function other submitted for deployment")
        .contains("CronJobTrigger other scheduled at */5 * * * *");
    assertThat(deploy.err())
        .containsPattern("other: ready \\(\\d+\\.\\d s\\)")
        .doesNotContain("note:");
    assertThat(CliRun.offline("trigger", "cronjob", "list", "--target", "local").out())
        .containsPattern("other\\s+default\\s+\\*/5 \\* \\* \\* \\*\\s+other");
    assertThat(dir.resolve(".kubeless/applied/functions/default/other.yaml")).isRegularFile();

    CliRun call = CliRun.offline("function", "call", "other", "--target", "local");
    assertThat(call.code()).as(call.err()).isZero();
    assertThat(call.out().strip()).isEqualTo("x");

    CliRun cron = CliRun.offline("trigger", "cronjob", "list", "--target", "local");
    assertThat(cron.code()).as(cron.err()).isZero();
    assertThat(cron.out()).containsPattern("other\\s+default\\s+\\*/5 \\* \\* \\* \\*");

    CliRun again =
        CliRun.offline(
            "function",
            "deploy",
            "other",
            "--runtime",
            "python3.12",
            "--handler",
            "other.handler",
            "--from-file",
            code.toString());
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err()).contains("function \"other\" already exists");

    Files.writeString(code, "def handler(event, context):\n    return 'y'\n");
    CliRun update =
        CliRun.offline(
            "function",
            "update",
            "other",
            "--from-file",
            code.toString(),
            "--memory",
            "128Mi",
            "--runtime-image",
            "registry.example/custom:1",
            "--wait");
    assertThat(update.code()).as(update.err()).isZero();
    assertThat(update.err())
        .contains("other: ready (")
        .contains(
            "note: spec.deployment applies only on Kubernetes, apart from the function"
                + " container's env; ignored here: containers[0].image,"
                + " containers[0].resources\n");
    CliRun called = CliRun.offline("function", "call", "other");
    assertThat(called.out().strip()).isEqualTo("y");

    ProcessHandle process = platform.process("default/other").orElseThrow();
    CliRun delete = CliRun.offline("function", "delete", "other", "--target", "local");
    assertThat(delete.code()).as(delete.err()).isZero();
    await().atMost(Duration.ofSeconds(10)).until(() -> !process.isAlive());
    CliRun gone = CliRun.offline("function", "ls", "other", "--target", "local");
    assertThat(gone.code()).isEqualTo(1);
    assertThat(gone.err()).contains("function \"other\" not found in namespace \"default\"");
    assertThat(CliRun.offline("trigger", "cronjob", "delete", "other").code()).isZero();
  }

  @Test
  void codeThatCannotLoadFailsTheWaitWithTheRuntimesReasonUntilAnUpdateFixesIt() throws Exception {
    Path code = dir.resolve("broken.py");
    Files.writeString(code, "def handler(event, context)\n    return 'x'\n");
    CliRun deploy =
        CliRun.offline(
            "function",
            "deploy",
            "broken",
            "--runtime",
            "python3.12",
            "--handler",
            "broken.handler",
            "--from-file",
            code.toString(),
            "--wait=2m");
    assertThat(deploy.code()).isEqualTo(1);
    assertThat(deploy.err())
        .contains("broken: failed (LoadFailed: cannot load broken.handler: SyntaxError in ")
        .contains("broken.py line 1: expected ':'; fix the code and `kubeless function update")
        .doesNotContain("after 2m");
    CliRun described = CliRun.offline("function", "describe", "broken", "-o", "json");
    assertThat(described.out()).contains("\"health\" : \"cannot load broken.handler: SyntaxError");
    assertThat(CliRun.offline("function", "describe", "broken").out())
        .containsPattern("(?m)^Health: +cannot load broken.handler: SyntaxError in .*line 1");

    Files.writeString(code, "def handler(event, context):\n    return 'fixed'\n");
    CliRun update =
        CliRun.offline("function", "update", "broken", "--from-file", code.toString(), "--wait");
    assertThat(update.code()).as(update.err()).isZero();
    assertThat(CliRun.offline("function", "call", "broken").out().strip()).isEqualTo("fixed");
    assertThat(CliRun.offline("function", "describe", "broken", "-o", "json").out())
        .contains("\"health\" : null");
    assertThat(CliRun.offline("function", "delete", "broken").code()).isZero();
  }

  @Test
  void getServerConfigListsLocalModesRuntimes() {
    CliRun run = CliRun.offline("get-server-config");

    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out())
        .startsWith("Current Server Config: local mode (")
        .containsPattern(
            "(?m)^Supported Runtimes are: go1.13, .*, java21, .*, nodejs20, .*, python3.12, .*$")
        .containsPattern("(?m)^  nodejs8 +-> nodejs20$")
        .containsPattern("(?m)^  python3.4 +-> python3.12$");
  }

  @Test
  void aKinesisTriggerNeedsNoSecretInLocalMode() {
    String[] create = {
      "trigger",
      "kinesis",
      "create",
      "kin",
      "--function-name",
      "echo",
      "--stream",
      "s1",
      "--aws-region",
      "us-east-1",
      "--shard-id",
      "shardId-000000000000",
      "--endpoint",
      "http://127.0.0.1:1"
    };
    CliRun local = CliRun.offline(create);
    assertThat(local.code()).as(local.err()).isZero();
    assertThat(CliRun.offline("trigger", "kinesis", "list").out())
        .containsPattern("kin\\s+default\\s+us-east-1\\s+s1");
    assertThat(CliRun.offline("trigger", "kinesis", "delete", "kin").code()).isZero();

    // a dry run writes YAML for a cluster: Kubeless's rule holds
    String[] dry = java.util.Arrays.copyOf(create, create.length + 1);
    dry[create.length] = "--dryrun";
    CliRun dryrun = CliRun.offline(dry);
    assertThat(dryrun.code()).isEqualTo(2);
    assertThat(dryrun.err()).contains("You must specify a secret holding the AWS keys (--secret)");
  }

  @Test
  void autoscaleSaysItWorksOnKubernetesOnly() {
    for (String[] args :
        List.of(
            new String[] {"autoscale", "create", "echo", "--max", "3", "--value", "50"},
            new String[] {"autoscale", "list"},
            new String[] {"autoscale", "delete", "echo"})) {
      CliRun run = CliRun.offline(args);

      assertThat(run.code()).as(String.join(" ", args)).isEqualTo(1);
      assertThat(run.err())
          .as(String.join(" ", args))
          .contains("autoscale works on Kubernetes only")
          .contains("--target kubernetes")
          .doesNotContain("cannot reach the Kubernetes API server");
    }
  }

  @Test
  void leavesTheFunctionsOfTheUsersFilesToTheFiles() throws Exception {
    String defined = dir.resolve("echo.yaml").toAbsolutePath().normalize().toString();
    String before = Files.readString(dir.resolve("echo.yaml"));

    CliRun update = CliRun.offline("function", "update", "echo", "--memory", "128Mi");
    assertThat(update.code()).isEqualTo(1);
    assertThat(update.err()).contains("defined in " + defined).contains("edit or remove it there");

    CliRun delete = CliRun.offline("function", "delete", "echo", "--target", "local");
    assertThat(delete.code()).isEqualTo(1);
    assertThat(delete.err()).contains("defined in " + defined).contains("edit or remove it there");
    assertThat(Files.readString(dir.resolve("echo.yaml"))).isEqualTo(before);
    assertThat(platform.ready("default/echo")).isTrue();

    CliRun invalid =
        CliRun.offline(
            "function", "deploy", "bad", "--runtime", "python3.12", "--handler", "nodot");
    assertThat(invalid.code()).isEqualTo(1);
    assertThat(invalid.err()).contains("function bad: InvalidHandler");
  }

  @Test
  @Order(Integer.MAX_VALUE - 1) // late: its HTTP trigger invokes echo, which the counts above see
  void createsListsAndDeletesAKafkaTrigger() throws Exception {
    // no KafkaTrigger yet: local mode runs no broker, which the topic commands say
    CliRun early = CliRun.offline("topic", "list");
    assertThat(early.code()).isEqualTo(1);
    assertThat(early.err()).contains("the local mode running here runs no Kafka yet");

    CliRun create =
        CliRun.offline(
            "trigger",
            "kafka",
            "create",
            "orders",
            "--trigger-topic",
            "orders",
            "--function-selector",
            "team=demo",
            "--target",
            "local");
    assertThat(create.code()).as(create.err()).isZero();
    assertThat(create.out()).contains("Kafka trigger orders created in namespace default");
    assertThat(create.err()).doesNotContain("note:");

    // the topic commands without --kafka-bootstrap: the local mode's broker, wherever it listens
    var admin = java.net.http.HttpClient.newHttpClient();
    await("the KafkaTrigger consuming for echo")
        .atMost(Duration.ofSeconds(60))
        .until(() -> triggers(admin).contains("\"reason\" : \"Consuming\""));
    assertThat(CliRun.offline("topic", "list").out()).contains("orders");
    CliRun published = CliRun.offline("topic", "publish", "--topic", "orders", "--data", "k-hi");
    assertThat(published.code()).as(published.err()).isZero();
    await("echo invoked through the KafkaTrigger")
        .atMost(Duration.ofSeconds(60))
        .until(() -> CliRun.offline("function", "logs", "echo").out().contains("got k-hi"));

    CliRun list = CliRun.offline("trigger", "kafka", "list", "--target", "local");
    assertThat(list.code()).as(list.err()).isZero();
    assertThat(list.out())
        .containsPattern("NAME\\s+NAMESPACE\\s+TOPIC\\s+FUNCTION SELECTOR")
        .containsPattern("orders\\s+default\\s+orders\\s+team=demo");

    CliRun update =
        CliRun.offline("trigger", "kafka", "update", "orders", "--trigger-topic", "payments");
    assertThat(update.code()).as(update.err()).isZero();
    assertThat(CliRun.offline("trigger", "kafka", "ls").out())
        .containsPattern("orders\\s+default\\s+payments\\s+team=demo");

    CliRun http =
        CliRun.offline(
            "trigger", "http", "create", "web", "--function-name", "echo", "--path", "echo");
    assertThat(http.code()).as(http.err()).isZero();
    assertThat(http.err()).doesNotContain("note:");
    assertThat(CliRun.offline("trigger", "http", "list").out()).contains("web");
    // served at once by local mode's built-in gateway
    HttpClient client = HttpClient.newHttpClient();
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              HttpResponse<String> through =
                  client.send(
                      HttpRequest.newBuilder(URI.create(platform.httpUrl().orElseThrow() + "echo"))
                          .POST(HttpRequest.BodyPublishers.ofString("via the gateway"))
                          .build(),
                      HttpResponse.BodyHandlers.ofString());
              assertThat(through.statusCode()).isEqualTo(200);
              assertThat(through.body()).isEqualTo("via the gateway");
            });
    CliRun missing = CliRun.offline("trigger", "http", "create", "web2", "--function-name", "nope");
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.err()).contains("Unable to find Function nope in namespace default");

    assertThat(CliRun.offline("trigger", "kafka", "delete", "orders").code()).isZero();
    assertThat(CliRun.offline("trigger", "http", "delete", "web").code()).isZero();
    assertThat(CliRun.offline("trigger", "kafka", "list").out()).doesNotContain("orders");
    CliRun again = CliRun.offline("trigger", "kafka", "delete", "orders");
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err()).contains("kafka trigger \"orders\" not found in namespace \"default\"");
  }

  @Test
  @Order(Integer.MAX_VALUE) // last: it invokes echo once more, which the call counts above see
  void createsListsPublishesToAndDeletesANatsTrigger() throws Exception {
    // no NATSTrigger yet: local mode runs no NATS server, which create-stream says
    CliRun early = CliRun.offline("trigger", "nats", "create-stream", "JOBS", "--subjects", "jobs");
    assertThat(early.code()).isEqualTo(1);
    assertThat(early.err()).contains("runs no NATS server yet");

    CliRun create =
        CliRun.offline(
            "trigger",
            "nats",
            "create",
            "orders-nats",
            "--trigger-topic",
            "orders.>",
            "--function-selector",
            "team=demo",
            "--target",
            "local");
    assertThat(create.code()).as(create.err()).isZero();
    assertThat(create.err()).doesNotContain("note:");

    CliRun list = CliRun.offline("trigger", "nats", "list", "--target", "local");
    assertThat(list.code()).as(list.err()).isZero();
    assertThat(list.out()).containsPattern("orders-nats\\s+default\\s+orders\\.>\\s+team=demo");

    // local mode started a nats-server for it and records its URL; the admin API has its state
    String url = platform.natsUrl().orElseThrow();
    assertThat(Files.readString(dir.resolve(".kubeless/local.json"))).contains(url);
    var http = java.net.http.HttpClient.newHttpClient();
    await("the NATSTrigger subscribed for echo")
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              String triggers = triggers(http);
              return triggers.contains("\"kind\" : \"NATSTrigger\"")
                  && triggers.contains("\"reason\" : \"Subscribed\"");
            });

    // no --url: the local mode's server
    CliRun publish =
        CliRun.offline(
            "trigger", "nats", "publish", "--topic", "orders.new", "--message", "nats-hello");
    assertThat(publish.code()).as(publish.err()).isZero();
    await("echo invoked through the NATSTrigger")
        .atMost(Duration.ofSeconds(60))
        .until(() -> CliRun.offline("function", "logs", "echo").out().contains("got nats-hello"));

    // a JetStream trigger waits for its stream, which the CLI creates on local mode's server
    CliRun jobs =
        CliRun.offline(
            "trigger",
            "nats",
            "create",
            "jobs",
            "--trigger-topic",
            "jobs.>",
            "--stream",
            "JOBS",
            "--function-selector",
            "team=demo");
    assertThat(jobs.code()).as(jobs.err()).isZero();
    await("the JetStream trigger waiting for its stream")
        .atMost(Duration.ofSeconds(60))
        .until(() -> triggers(http).contains("\"reason\" : \"StreamNotFound\""));
    CliRun stream =
        CliRun.offline("trigger", "nats", "create-stream", "JOBS", "--subjects", "jobs.>");
    assertThat(stream.code()).as(stream.err()).isZero();
    assertThat(stream.out()).startsWith("JetStream stream JOBS created at " + url + ": ");
    await("the JetStream trigger consuming")
        .atMost(Duration.ofSeconds(60))
        .until(() -> triggers(http).contains("\"reason\" : \"Consuming\""));
    assertThat(
            CliRun.offline(
                    "trigger", "nats", "publish", "--topic", "jobs.one", "--message", "js-hello")
                .code())
        .isZero();
    await("echo invoked through the JetStream trigger")
        .atMost(Duration.ofSeconds(60))
        .until(() -> CliRun.offline("function", "logs", "echo").out().contains("got js-hello"));

    assertThat(CliRun.offline("trigger", "nats", "delete", "jobs").code()).isZero();
    CliRun dropped = CliRun.offline("trigger", "nats", "delete-stream", "JOBS");
    assertThat(dropped.code()).as(dropped.err()).isZero();
    assertThat(dropped.out()).contains("JetStream stream JOBS deleted at " + url + " (1 message)");
    assertThat(CliRun.offline("trigger", "nats", "delete", "orders-nats").code()).isZero();
    assertThat(CliRun.offline("trigger", "nats", "list").out()).doesNotContain("orders-nats");
  }

  private String triggers(java.net.http.HttpClient http) throws Exception {
    return http.send(
            java.net.http.HttpRequest.newBuilder(platform.adminUrl().resolve("/api/triggers"))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString())
        .body();
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
