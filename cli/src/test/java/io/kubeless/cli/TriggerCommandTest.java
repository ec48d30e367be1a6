package io.kubeless.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.kubeless.api.v1beta1.CronJobTrigger;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.HTTPTrigger;
import io.kubeless.api.v1beta1.KafkaTrigger;
import io.kubeless.api.v1beta1.KinesisTrigger;
import io.kubeless.api.v1beta1.NATSTrigger;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@EnableKubernetesMockClient(crud = true)
class TriggerCommandTest {

  KubernetesClient client;

  @TempDir Path dir;

  private KafkaTrigger stored(String name) {
    return client.resources(KafkaTrigger.class).inNamespace("triggers").withName(name).get();
  }

  @Test
  void kafkaCreateWritesTopicAndSelector() {
    CliRun run =
        CliRun.run(
            client,
            "trigger",
            "kafka",
            "create",
            "orders",
            "-n",
            "triggers",
            "--trigger-topic",
            "orders",
            "--function-selector",
            "app=shop,tier=backend");

    assertThat(run.code()).as(run.err()).isZero();
    KafkaTrigger trigger = stored("orders");
    assertThat(trigger.getSpec().getTopic()).isEqualTo("orders");
    assertThat(trigger.getSpec().getFunctionSelector().getMatchLabels())
        .containsExactlyInAnyOrderEntriesOf(Map.of("app", "shop", "tier", "backend"));
    assertThat(trigger.getMetadata().getLabels()).containsEntry("created-by", "kubeless");
  }

  @Test
  void kafkaUpdateChangesOnlyTheGivenFlags() {
    CliRun.run(
        client,
        "trigger",
        "kafka",
        "create",
        "upd",
        "-n",
        "triggers",
        "--trigger-topic",
        "a",
        "--function-selector",
        "app=x");

    CliRun run =
        CliRun.run(
            client, "trigger", "kafka", "update", "upd", "-n", "triggers", "--trigger-topic", "b");

    assertThat(run.code()).as(run.err()).isZero();
    assertThat(stored("upd").getSpec().getTopic()).isEqualTo("b");
    assertThat(stored("upd").getSpec().getFunctionSelector().getMatchLabels())
        .containsEntry("app", "x");
  }

  @Test
  void kafkaListAndDelete() {
    CliRun.run(
        client,
        "trigger",
        "kafka",
        "create",
        "listed",
        "-n",
        "triggers",
        "--trigger-topic",
        "events",
        "--function-selector",
        "function=hello");

    CliRun list = CliRun.run(client, "trigger", "kafka", "ls", "-n", "triggers");
    assertThat(list.code()).isZero();
    List<String> lines = list.out().lines().toList();
    assertThat(lines.get(0).split("\\s{3,}"))
        .containsExactly("NAME", "NAMESPACE", "TOPIC", "FUNCTION SELECTOR");
    assertThat(lines)
        .anySatisfy(
            l ->
                assertThat(l.split("\\s{3,}"))
                    .containsExactly("listed", "triggers", "events", "function=hello"));

    assertThat(CliRun.run(client, "trigger", "kafka", "delete", "listed", "-n", "triggers").code())
        .isZero();
    assertThat(stored("listed")).isNull();
    CliRun again = CliRun.run(client, "trigger", "kafka", "delete", "listed", "-n", "triggers");
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err())
        .contains("kafka trigger \"listed\" not found in namespace \"triggers\"");
  }

  @Test
  void kafkaCreateDryrunPrintsWithoutCallingTheApiServer() {
    CliRun run =
        CliRun.offline(
            "trigger",
            "kafka",
            "create",
            "dry",
            "-n",
            "triggers",
            "--trigger-topic",
            "t",
            "--function-selector",
            "app=x",
            "--dryrun",
            "-o",
            "json");

    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out()).contains("\"kind\" : \"KafkaTrigger\"").contains("\"topic\" : \"t\"");
  }

  @Test
  void kafkaCreateNeedsTopicAndAValidSelector() {
    CliRun noTopic =
        CliRun.offline("trigger", "kafka", "create", "x", "-n", "t", "--function-selector", "a=b");
    CliRun badSelector =
        CliRun.offline(
            "trigger",
            "kafka",
            "create",
            "x",
            "-n",
            "t",
            "--trigger-topic",
            "t",
            "--function-selector",
            "a!=b",
            "--dryrun");

    assertThat(noTopic.code()).isEqualTo(2);
    assertThat(noTopic.err()).contains("--trigger-topic");
    assertThat(badSelector.code()).isEqualTo(2);
    assertThat(badSelector.err()).contains("invalid --function-selector");
  }

  // --- helpers for the other kinds ---------------------------------------------------------

  private void function(String name) {
    Function f = new Function();
    f.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("triggers").build());
    f.getSpec().setHandler("h.f");
    f.getSpec().setRuntime("python3.12");
    client.resources(Function.class).inNamespace("triggers").resource(f).create();
  }

  private <T extends io.fabric8.kubernetes.client.CustomResource<?, ?>> T stored(
      Class<T> type, String name) {
    return client.resources(type).inNamespace("triggers").withName(name).get();
  }

  private CliRun cli(String... args) {
    String[] all = new String[args.length + 2];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "-n";
    all[args.length + 1] = "triggers";
    return CliRun.run(client, all);
  }

  private static List<String> row(String out, String name) {
    return out.lines()
        .map(l -> List.of(l.split("\\s{3,}")))
        .filter(r -> r.get(0).equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no row " + name + " in\n" + out));
  }

  private static List<String> header(String out) {
    return List.of(out.lines().findFirst().orElseThrow().split("\\s{3,}"));
  }

  // --- http ----------------------------------------------------------------------------------

  @Test
  void httpCreateWritesTheIngressFields() {
    function("hello");

    CliRun run =
        cli(
            "trigger",
            "http",
            "create",
            "web",
            "--function-name",
            "hello",
            "--hostname",
            "hello.example.com",
            "--path",
            "greet",
            "--gateway",
            "traefik",
            "--tls-secret",
            "hello-tls",
            "--basic-auth-secret",
            "users",
            "--cors-enable");

    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out()).contains("HTTP trigger web created in namespace triggers successfully!");
    HTTPTrigger t = stored(HTTPTrigger.class, "web");
    assertThat(t.getSpec().getFunctionName()).isEqualTo("hello");
    assertThat(t.getSpec().getHostName()).isEqualTo("hello.example.com");
    assertThat(t.getSpec().getPath()).isEqualTo("greet");
    assertThat(t.getSpec().getGateway()).isEqualTo("traefik");
    assertThat(t.getSpec().getTlsSecret()).isEqualTo("hello-tls");
    assertThat(t.getSpec().getTls()).isFalse();
    assertThat(t.getSpec().getBasicAuthSecret()).isEqualTo("users");
    assertThat(t.getSpec().getCorsEnable()).isTrue();
    assertThat(t.getMetadata().getLabels()).containsEntry("created-by", "kubeless");
  }

  @Test
  void httpCreateDefaultsToNginxAndANipIoHostOfTheApiServer() {
    function("hello");

    CliRun run = cli("trigger", "http", "create", "web", "--function-name", "hello");

    assertThat(run.code()).as(run.err()).isZero();
    HTTPTrigger t = stored(HTTPTrigger.class, "web");
    assertThat(t.getSpec().getGateway()).isEqualTo("nginx");
    // the mock API server listens on a loopback address
    assertThat(t.getSpec().getHostName()).matches("hello\\.\\d+\\.\\d+\\.\\d+\\.\\d+\\.nip\\.io");
  }

  @Test
  void httpAcceptsThisProjectsGatewaysAndRefusesOthers() {
    for (String gateway : List.of("gateway-api", "builtin")) {
      CliRun ok =
          CliRun.offline(
              "trigger",
              "http",
              "create",
              "w",
              "-n",
              "t",
              "--function-name",
              "f",
              "--hostname",
              "h",
              "--gateway",
              gateway,
              "--dryrun");
      assertThat(ok.code()).as(ok.err()).isZero();
      assertThat(ok.out()).contains("gateway: \"" + gateway + "\"");
    }
    CliRun bad =
        CliRun.offline(
            "trigger",
            "http",
            "create",
            "w",
            "-n",
            "t",
            "--function-name",
            "f",
            "--hostname",
            "h",
            "--gateway",
            "istio",
            "--dryrun");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("Unsupported gateway istio");
  }

  @Test
  void httpUsageErrors() {
    CliRun noFunction = CliRun.offline("trigger", "http", "create", "w", "-n", "t");
    CliRun both =
        CliRun.offline(
            "trigger",
            "http",
            "create",
            "w",
            "-n",
            "t",
            "--function-name",
            "f",
            "--enableTLSAcme",
            "--tls-secret",
            "s");
    CliRun noHost =
        CliRun.offline(
            "trigger",
            "http",
            "create",
            "w",
            "-n",
            "t",
            "--function-name",
            "f",
            "--gateway",
            "kong",
            "--dryrun");
    CliRun corsOnUpdate =
        CliRun.offline("trigger", "http", "update", "w", "-n", "t", "--cors-enable");

    assertThat(noFunction.code()).isEqualTo(2);
    assertThat(noFunction.err()).contains("--function-name");
    assertThat(both.code()).isEqualTo(2);
    assertThat(both.err()).contains("Cannot specify both --enableTLSAcme and --tls-secret");
    assertThat(noHost.code()).isEqualTo(2);
    assertThat(noHost.err()).contains("The --hostname flag is required");
    assertThat(corsOnUpdate.code()).isEqualTo(2);
  }

  @Test
  void httpCreateNeedsTheFunction() {
    CliRun run =
        cli("trigger", "http", "create", "web", "--function-name", "ghost", "--hostname", "h");

    assertThat(run.code()).isEqualTo(1);
    assertThat(run.err()).contains("Unable to find Function ghost in namespace triggers");
    assertThat(stored(HTTPTrigger.class, "web")).isNull();
  }

  @Test
  void httpUpdateMergesAndKeepsAcmeUnlessGiven() {
    function("hello");
    function("other");
    cli(
        "trigger",
        "http",
        "create",
        "web",
        "--function-name",
        "hello",
        "--hostname",
        "h.io",
        "--path",
        "p",
        "--enableTLSAcme",
        "--cors-enable");

    CliRun run = cli("trigger", "http", "update", "web", "--function-name", "other");

    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out()).contains("HTTP trigger web updated in namespace triggers successfully!");
    HTTPTrigger t = stored(HTTPTrigger.class, "web");
    assertThat(t.getSpec().getFunctionName()).isEqualTo("other");
    assertThat(t.getSpec().getHostName()).isEqualTo("h.io");
    assertThat(t.getSpec().getPath()).isEqualTo("p");
    assertThat(t.getSpec().getTls()).isTrue();
    assertThat(t.getSpec().getCorsEnable()).isTrue();
    assertThat(t.getSpec().getGateway()).isEqualTo("nginx");

    assertThat(cli("trigger", "http", "update", "web", "--tls-secret", "s").code()).isZero();
    assertThat(stored(HTTPTrigger.class, "web").getSpec().getTls()).isFalse();
    assertThat(stored(HTTPTrigger.class, "web").getSpec().getTlsSecret()).isEqualTo("s");
  }

  @Test
  void theBuiltinGatewayNeedsNoHostname() {
    function("hello");

    CliRun run =
        cli("trigger", "http", "create", "web", "--function-name", "hello", "--gateway", "builtin");

    assertThat(run.code()).as(run.err()).isZero();
    HTTPTrigger t = stored(HTTPTrigger.class, "web");
    assertThat(t.getSpec().getGateway()).isEqualTo("builtin");
    assertThat(t.getSpec().getHostName()).as("any host").isNull();
  }

  @Test
  void httpListAndDelete() {
    function("hello");
    cli("trigger", "http", "create", "web", "--function-name", "hello", "--hostname", "h");

    CliRun list = cli("trigger", "http", "ls");

    assertThat(list.code()).isZero();
    assertThat(header(list.out())).containsExactly("NAME", "NAMESPACE", "FUNCTION NAME");
    assertThat(row(list.out(), "web")).containsExactly("web", "triggers", "hello");
    CliRun delete = cli("trigger", "http", "delete", "web");
    assertThat(delete.code()).isZero();
    assertThat(delete.out()).contains("HTTP trigger web deleted from namespace triggers");
    assertThat(stored(HTTPTrigger.class, "web")).isNull();
    CliRun again = cli("trigger", "http", "delete", "web");
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err()).contains("http trigger \"web\" not found in namespace \"triggers\"");
  }

  // --- cronjob -------------------------------------------------------------------------------

  @Test
  void cronjobCreateWritesScheduleAndJsonPayload() {
    function("hello");

    CliRun run =
        cli(
            "trigger",
            "cronjob",
            "create",
            "tick",
            "--function",
            "hello",
            "--schedule",
            "*/5 * * * *",
            "-p",
            "{\"a\": [1, 2]}");

    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out()).contains("Cronjob trigger tick created in namespace triggers");
    CronJobTrigger t = stored(CronJobTrigger.class, "tick");
    assertThat(t.getSpec().getSchedule()).isEqualTo("*/5 * * * *");
    assertThat(t.getSpec().getFunctionName()).isEqualTo("hello");
    assertThat(t.getSpec().getPayload().path("a").path(1).asInt()).isEqualTo(2);
  }

  @Test
  void cronjobPayloadFromFileAndMacros() throws IOException {
    function("hello");
    Path payload = dir.resolve("payload.json");
    Files.writeString(payload, "[\"x\", 3]");

    CliRun run =
        cli(
            "trigger",
            "cronjob",
            "create",
            "hourly",
            "--function",
            "hello",
            "--schedule",
            "@hourly",
            "-f",
            payload.toString());

    assertThat(run.code()).as(run.err()).isZero();
    CronJobTrigger t = stored(CronJobTrigger.class, "hourly");
    assertThat(t.getSpec().getSchedule()).isEqualTo("@hourly");
    assertThat(t.getSpec().getPayload().isArray()).isTrue();
  }

  @Test
  void cronjobEveryTimeZoneAndConcurrencyPolicy() {
    function("hello");

    CliRun run =
        cli(
            "trigger",
            "cronjob",
            "create",
            "often",
            "--function",
            "hello",
            "--schedule",
            "@every 30s",
            "--timezone",
            "Europe/Paris",
            "--concurrency-policy",
            "Forbid");
    CliRun badZone =
        CliRun.offline(
            "trigger",
            "cronjob",
            "create",
            "c",
            "--function",
            "f",
            "--schedule",
            "@daily",
            "--timezone",
            "Mars/Olympus");
    CliRun badPolicy =
        CliRun.offline(
            "trigger",
            "cronjob",
            "create",
            "c",
            "--function",
            "f",
            "--schedule",
            "@daily",
            "--concurrency-policy",
            "Replace");
    CliRun badEvery =
        CliRun.offline(
            "trigger", "cronjob", "create", "c", "--function", "f", "--schedule", "@every soon");

    assertThat(run.code()).as(run.err()).isZero();
    CronJobTrigger t = stored(CronJobTrigger.class, "often");
    assertThat(t.getSpec().getSchedule()).isEqualTo("@every 30s");
    assertThat(t.getSpec().getTimeZone()).isEqualTo("Europe/Paris");
    assertThat(t.getSpec().getConcurrencyPolicy()).isEqualTo("Forbid");
    assertThat(badZone.code()).isEqualTo(2);
    assertThat(badZone.err()).contains("Invalid value for --timezone \"Mars/Olympus\"");
    assertThat(badPolicy.code()).isEqualTo(2);
    assertThat(badPolicy.err()).contains("use Allow or Forbid");
    assertThat(badEvery.code()).isEqualTo(2);
    assertThat(badEvery.err()).contains("Invalid value for --schedule \"@every soon\"");
  }

  @Test
  void cronjobUsageErrors() {
    CliRun noSchedule =
        CliRun.offline("trigger", "cronjob", "create", "c", "-n", "t", "--function", "f");
    CliRun noFunction =
        CliRun.offline("trigger", "cronjob", "create", "c", "-n", "t", "--schedule", "@daily");
    CliRun sixFields =
        CliRun.offline(
            "trigger",
            "cronjob",
            "create",
            "c",
            "-n",
            "t",
            "--function",
            "f",
            "--schedule",
            "0 * * * * *");
    CliRun badMacro =
        CliRun.offline(
            "trigger",
            "cronjob",
            "create",
            "c",
            "-n",
            "t",
            "--function",
            "f",
            "--schedule",
            "@often");
    CliRun badJson =
        CliRun.offline(
            "trigger",
            "cronjob",
            "create",
            "c",
            "-n",
            "t",
            "--function",
            "f",
            "--schedule",
            "@daily",
            "-p",
            "{nope");
    CliRun both =
        CliRun.offline(
            "trigger",
            "cronjob",
            "create",
            "c",
            "-n",
            "t",
            "--function",
            "f",
            "--schedule",
            "@daily",
            "-p",
            "{}",
            "-f",
            "x.json");

    assertThat(noSchedule.code()).isEqualTo(2);
    assertThat(noSchedule.err()).contains("--schedule");
    assertThat(noFunction.code()).isEqualTo(2);
    assertThat(noFunction.err()).contains("--function");
    assertThat(sixFields.code()).isEqualTo(2);
    assertThat(sixFields.err())
        .contains("Invalid value for --schedule \"0 * * * * *\": has 6 field(s)");
    assertThat(badMacro.code()).isEqualTo(2);
    assertThat(badMacro.err()).contains("\"@often\": is not a known macro");
    assertThat(badJson.code()).isEqualTo(2);
    assertThat(badJson.err()).contains("Invalid JSON in --payload");
    assertThat(both.code()).isEqualTo(2);
    assertThat(both.err()).contains("You can't provide both raw payload and a payload file");
  }

  @Test
  void cronjobUpdateMergesAndListAndDelete() {
    function("hello");
    cli(
        "trigger",
        "cronjob",
        "create",
        "tick",
        "--function",
        "hello",
        "--schedule",
        "0 * * * *",
        "-p",
        "{\"k\":1}");

    CliRun update = cli("trigger", "cronjob", "update", "tick", "--schedule", "30 2 * * 1-5");

    assertThat(update.code()).as(update.err()).isZero();
    CronJobTrigger t = stored(CronJobTrigger.class, "tick");
    assertThat(t.getSpec().getSchedule()).isEqualTo("30 2 * * 1-5");
    assertThat(t.getSpec().getFunctionName()).isEqualTo("hello");
    assertThat(t.getSpec().getPayload().path("k").asInt()).isEqualTo(1);

    CliRun list = cli("trigger", "cronjob", "list");
    assertThat(header(list.out()))
        .containsExactly("NAME", "NAMESPACE", "SCHEDULE", "FUNCTION NAME");
    assertThat(row(list.out(), "tick"))
        .containsExactly("tick", "triggers", "30 2 * * 1-5", "hello");
    assertThat(cli("trigger", "cronjob", "delete", "tick").code()).isZero();
    assertThat(stored(CronJobTrigger.class, "tick")).isNull();
    assertThat(cli("trigger", "cronjob", "update", "tick", "--schedule", "@daily").err())
        .contains("cronjob trigger \"tick\" not found in namespace \"triggers\"");
  }

  // --- nats ----------------------------------------------------------------------------------

  @Test
  void natsCreateUpdateListDelete() {
    CliRun create =
        cli(
            "trigger",
            "nats",
            "create",
            "bus",
            "--trigger-topic",
            "events",
            "--function-selector",
            "app=shop");

    assertThat(create.code()).as(create.err()).isZero();
    assertThat(create.out()).contains("NATS trigger bus created in namespace triggers");
    NATSTrigger t = stored(NATSTrigger.class, "bus");
    assertThat(t.getSpec().getTopic()).isEqualTo("events");
    assertThat(t.getSpec().getFunctionSelector().getMatchLabels()).containsEntry("app", "shop");

    CliRun update =
        cli("trigger", "nats", "update", "bus", "--function-selector", "app=shop,tier=web");
    assertThat(update.code()).as(update.err()).isZero();
    t = stored(NATSTrigger.class, "bus");
    assertThat(t.getSpec().getTopic()).isEqualTo("events");
    assertThat(t.getSpec().getFunctionSelector().getMatchLabels())
        .containsExactlyInAnyOrderEntriesOf(Map.of("app", "shop", "tier", "web"));

    CliRun list = cli("trigger", "nats", "ls");
    assertThat(header(list.out()))
        .containsExactly("NAME", "NAMESPACE", "TOPIC", "FUNCTION SELECTOR");
    assertThat(row(list.out(), "bus"))
        .containsExactly("bus", "triggers", "events", "app=shop,tier=web");
    assertThat(cli("trigger", "nats", "delete", "bus").code()).isZero();
    assertThat(stored(NATSTrigger.class, "bus")).isNull();
  }

  @Test
  void natsJetStreamAndDeliveryFlagsBeyondKubeless() {
    CliRun create =
        cli(
            "trigger",
            "nats",
            "create",
            "jobs",
            "--trigger-topic",
            "jobs.>",
            "--function-selector",
            "app=worker",
            "--stream",
            "JOBS",
            "--durable",
            "jobs",
            "--deliver-policy",
            "all",
            "--ordering",
            "none",
            "--max-in-flight",
            "8");

    assertThat(create.code()).as(create.err()).isZero();
    NATSTrigger t = stored(NATSTrigger.class, "jobs");
    assertThat(t.getSpec().getStream()).isEqualTo("JOBS");
    assertThat(t.getSpec().getDurable()).isEqualTo("jobs");
    assertThat(t.getSpec().getDeliverPolicy()).isEqualTo("all");
    assertThat(t.getSpec().getOrdering()).isEqualTo("none");
    assertThat(t.getSpec().getMaxInFlight()).isEqualTo(8);

    // back to core NATS: an empty --stream clears it
    CliRun update =
        cli(
            "trigger",
            "nats",
            "update",
            "jobs",
            "--stream",
            "",
            "--durable",
            "",
            "--deliver-policy",
            "");
    assertThat(update.code()).as(update.err()).isZero();
    t = stored(NATSTrigger.class, "jobs");
    assertThat(t.getSpec().getStream()).isNull();
    assertThat(t.getSpec().getDurable()).isNull();
    assertThat(t.getSpec().getDeliverPolicy()).isNull();
    assertThat(t.getSpec().getTopic()).isEqualTo("jobs.>");

    CliRun badPolicy =
        cli(
            "trigger",
            "nats",
            "create",
            "bad",
            "--trigger-topic",
            "a",
            "--function-selector",
            "a=b",
            "--deliver-policy",
            "latest");
    assertThat(badPolicy.code()).isEqualTo(2);
    assertThat(badPolicy.err()).contains("invalid --deliver-policy \"latest\": use new or all");
    assertThat(stored(NATSTrigger.class, "bad")).isNull();
  }

  @Test
  void natsUsageErrors() {
    CliRun noTopic =
        CliRun.offline("trigger", "nats", "create", "x", "-n", "t", "--function-selector", "a=b");
    CliRun setBased =
        CliRun.offline(
            "trigger",
            "nats",
            "create",
            "x",
            "-n",
            "t",
            "--trigger-topic",
            "t",
            "--function-selector",
            "app in (a,b)");
    // no --url and no local mode: Kubeless's default server (not reachable here), named
    CliRun publishNoUrl =
        CliRun.offline("trigger", "nats", "publish", "--message", "m", "--target", "kubernetes");

    assertThat(noTopic.code()).isEqualTo(2);
    assertThat(noTopic.err()).contains("--trigger-topic");
    assertThat(setBased.code()).isEqualTo(2);
    assertThat(setBased.err()).contains("invalid --function-selector");
    assertThat(publishNoUrl.code()).isEqualTo(1);
    assertThat(publishNoUrl.err()).contains("nats://nats.nats-io.svc.cluster.local:4222");
  }

  // --- kinesis -------------------------------------------------------------------------------

  private static final String[] KINESIS_FLAGS = {
    "--function-name",
    "hello",
    "--stream",
    "orders",
    "--aws-region",
    "eu-west-1",
    "--shard-id",
    "shardId-000000000000",
    "--secret",
    "aws-keys"
  };

  private CliRun kinesis(String verb, String name, String... flags) {
    String[] args = new String[flags.length + 4];
    args[0] = "trigger";
    args[1] = "kinesis";
    args[2] = verb;
    args[3] = name;
    System.arraycopy(flags, 0, args, 4, flags.length);
    return cli(args);
  }

  @Test
  void kinesisCreateNeedsFunctionAndSecretThenWritesTheFields() {
    function("hello");
    CliRun noSecret = kinesis("create", "k", KINESIS_FLAGS);
    assertThat(noSecret.code()).isEqualTo(1);
    assertThat(noSecret.err()).contains("Unable to find Secret aws-keys in namespace triggers");

    client
        .secrets()
        .inNamespace("triggers")
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("aws-keys")
                .endMetadata()
                .addToStringData("aws_access_key_id", "a")
                .build())
        .create();
    CliRun run = kinesis("create", "k", KINESIS_FLAGS);

    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out()).contains("Kinesis trigger k created in namespace triggers");
    KinesisTrigger t = stored(KinesisTrigger.class, "k");
    assertThat(t.getSpec().getFunctionName()).isEqualTo("hello");
    assertThat(t.getSpec().getStream()).isEqualTo("orders");
    assertThat(t.getSpec().getRegion()).isEqualTo("eu-west-1");
    assertThat(t.getSpec().getShard()).isEqualTo("shardId-000000000000");
    assertThat(t.getSpec().getSecret()).isEqualTo("aws-keys");
    assertThat(t.getSpec().getEndpoint()).isNull();
  }

  @Test
  void kinesisUpdateMergesIncludingTheFunctionNameListAndDelete() {
    KinesisTrigger k = new KinesisTrigger();
    k.setMetadata(new ObjectMetaBuilder().withName("k").withNamespace("triggers").build());
    k.getSpec().setFunctionName("hello");
    k.getSpec().setStream("orders");
    k.getSpec().setRegion("eu-west-1");
    k.getSpec().setShard("s0");
    k.getSpec().setSecret("aws");
    client.resources(KinesisTrigger.class).inNamespace("triggers").resource(k).create();
    function("other");

    CliRun run =
        kinesis("update", "k", "--function-name", "other", "--endpoint", "http://localstack:4566");

    assertThat(run.code()).as(run.err()).isZero();
    KinesisTrigger t = stored(KinesisTrigger.class, "k");
    assertThat(t.getSpec().getFunctionName()).isEqualTo("other");
    assertThat(t.getSpec().getEndpoint()).isEqualTo("http://localstack:4566");
    assertThat(t.getSpec().getStream()).isEqualTo("orders");

    CliRun list = cli("trigger", "kinesis", "list");
    assertThat(header(list.out()))
        .containsExactly("NAME", "NAMESPACE", "REGION", "STREAM", "SHARD", "FUNCTION NAME");
    assertThat(row(list.out(), "k"))
        .containsExactly("k", "triggers", "eu-west-1", "orders", "s0", "other");
    assertThat(cli("trigger", "kinesis", "delete", "k").code()).isZero();
    assertThat(stored(KinesisTrigger.class, "k")).isNull();
  }

  @Test
  void kinesisUsageErrors() {
    CliRun noStream =
        CliRun.offline(
            "trigger",
            "kinesis",
            "create",
            "k",
            "-n",
            "t",
            "--function-name",
            "f",
            "--aws-region",
            "r",
            "--shard-id",
            "s",
            "--secret",
            "x");
    CliRun badEndpoint =
        CliRun.offline("trigger", "kinesis", "update", "k", "-n", "t", "--endpoint", "not a url");
    CliRun noPublish = CliRun.offline("trigger", "kinesis", "publish");

    assertThat(noStream.code()).isEqualTo(2);
    assertThat(noStream.err()).contains("--stream");
    assertThat(badEndpoint.code()).isEqualTo(2);
    assertThat(badEndpoint.err()).contains("Invalid --endpoint");
    assertThat(noPublish.code()).isEqualTo(2);
  }

  @Test
  void createOfAnExistingTriggerFails() {
    cli("trigger", "nats", "create", "dup", "--trigger-topic", "a", "--function-selector", "a=b");

    CliRun again =
        cli(
            "trigger",
            "nats",
            "create",
            "dup",
            "--trigger-topic",
            "a",
            "--function-selector",
            "a=b");

    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err())
        .contains("nats trigger \"dup\" already exists in namespace \"triggers\"");
  }
}
