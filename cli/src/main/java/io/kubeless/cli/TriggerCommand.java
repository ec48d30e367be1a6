package io.kubeless.cli;

import io.kubeless.api.v1beta1.KafkaTrigger;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code kubeless trigger}: the trigger kinds, one subcommand group each. */
@Command(
    name = "trigger",
    description = "trigger specific operations",
    mixinStandardHelpOptions = true,
    subcommands = {
      TriggerCommand.Kafka.class,
      HttpTriggerCommand.class,
      CronJobTriggerCommand.class,
      NatsTriggerCommand.class,
      KinesisTriggerCommand.class
    })
final class TriggerCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return CommandLine.ExitCode.USAGE;
  }

  /** {@code trigger kafka create|update|delete|list}. */
  @Command(
      name = "kafka",
      description = "kafka trigger specific operations",
      mixinStandardHelpOptions = true,
      subcommands = {
        Kafka.Create.class,
        Kafka.Update.class,
        Kafka.Delete.class,
        Kafka.ListKafka.class
      })
  static final class Kafka implements Callable<Integer> {

    static final Triggers.Kind<KafkaTrigger> KIND =
        new Triggers.Kind<>(
            KafkaTrigger.class,
            "Kafka trigger",
            KafkaTrigger::new,
            List.of("NAME", "NAMESPACE", "TOPIC", "FUNCTION SELECTOR"),
            t ->
                Triggers.row(
                    t, t.getSpec().getTopic(), Triggers.format(t.getSpec().getFunctionSelector())));

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      spec.commandLine().usage(spec.commandLine().getErr());
      return CommandLine.ExitCode.USAGE;
    }

    /** The flags create and update share. */
    abstract static class Write extends Triggers.TopicWrite<KafkaTrigger> {
      Write(Cli cli, boolean create) {
        super(
            cli,
            KIND,
            create,
            (t, topic) -> t.getSpec().setTopic(topic),
            (t, selector) -> t.getSpec().setFunctionSelector(selector));
      }
    }

    /** {@code trigger kafka create <name>}. */
    @Command(
        name = "create",
        description = "Create a Kafka trigger",
        mixinStandardHelpOptions = true)
    static final class Create extends Write {
      Create(Cli cli) {
        super(cli, true);
      }
    }

    /** {@code trigger kafka update <name>}: changes only the given flags. */
    @Command(
        name = "update",
        description = "Update a Kafka trigger",
        mixinStandardHelpOptions = true)
    static final class Update extends Write {
      Update(Cli cli) {
        super(cli, false);
      }
    }

    /** {@code trigger kafka delete <name>}. */
    @Command(
        name = "delete",
        description = "Delete a Kafka trigger",
        mixinStandardHelpOptions = true)
    static final class Delete extends Triggers.Delete<KafkaTrigger> {
      Delete(Cli cli) {
        super(cli, KIND);
      }
    }

    /** {@code trigger kafka list|ls}. */
    @Command(
        name = "list",
        aliases = "ls",
        description = "list all Kafka triggers deployed to Kubeless",
        mixinStandardHelpOptions = true)
    static final class ListKafka extends Triggers.ListTriggers<KafkaTrigger> {
      ListKafka(Cli cli) {
        super(cli, KIND);
      }
    }
  }
}
