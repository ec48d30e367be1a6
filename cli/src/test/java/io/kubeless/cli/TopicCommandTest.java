package io.kubeless.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Parsing only: a broker test of these commands comes with the Kafka test broker. */
class TopicCommandTest {

  private static CommandLine commandLine() {
    StringWriter sink = new StringWriter();
    return Kubeless.commandLine(
        new Cli(
            () -> {
              throw new AssertionError("topic commands never need Kubernetes");
            },
            new PrintWriter(sink),
            new PrintWriter(sink)));
  }

  @Test
  void everyTopicCommandHasHelp() {
    for (String command : new String[] {"create", "delete", "list", "ls", "publish"}) {
      CliRun run = CliRun.offline("topic", command, "--help");
      assertThat(run.code()).as(command).isZero();
      assertThat(run.out()).as(command).contains("--kafka-bootstrap").contains("--kafka-namespace");
    }
    assertThat(CliRun.offline("topic", "create", "--help").out())
        .contains("ignored")
        .contains("--partitions")
        .contains("--replication-factor");
  }

  @Test
  void createDefaultsToOnePartitionAndOneReplica() {
    CommandLine.ParseResult parsed =
        commandLine().parseArgs("topic", "create", "orders", "--kafka-namespace", "kafka");
    TopicCommand.Create create =
        (TopicCommand.Create) parsed.subcommand().subcommand().commandSpec().userObject();

    assertThat(create.topic).isEqualTo("orders");
    assertThat(create.partitions).isEqualTo(1);
    assertThat(create.replicationFactor).isEqualTo((short) 1);
    assertThat(create.broker.kafkaNamespace).isEqualTo("kafka");
  }

  @Test
  void bootstrapFlagWinsOverTheDefault() {
    CommandLine.ParseResult parsed =
        commandLine()
            .parseArgs(
                "topic",
                "publish",
                "--topic",
                "t",
                "--data",
                "d",
                "--kafka-bootstrap",
                "broker:9093");
    TopicCommand.Publish publish =
        (TopicCommand.Publish) parsed.subcommand().subcommand().commandSpec().userObject();

    assertThat(publish.broker.bootstrap()).isEqualTo("broker:9093");
    assertThat(new TopicCommand.Broker().bootstrap())
        .isEqualTo(
            System.getenv("KAFKA_BROKERS") == null || System.getenv("KAFKA_BROKERS").isBlank()
                ? "localhost:9092"
                : System.getenv("KAFKA_BROKERS"));
  }

  @Test
  void publishNeedsTopicAndData() {
    CliRun run = CliRun.offline("topic", "publish", "--topic", "t");

    assertThat(run.code()).isEqualTo(2);
    assertThat(run.err()).contains("--data");
  }
}
