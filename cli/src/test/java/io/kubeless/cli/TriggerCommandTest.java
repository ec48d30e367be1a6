package io.kubeless.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.kubeless.api.v1beta1.KafkaTrigger;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class TriggerCommandTest {

  KubernetesClient client;

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
}
