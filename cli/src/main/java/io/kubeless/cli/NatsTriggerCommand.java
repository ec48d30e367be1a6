package io.kubeless.cli;

import io.kubeless.api.v1beta1.NATSTrigger;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code kubeless trigger nats create|update|delete|list}, and {@code
 * publish|create-stream|delete-stream} ({@link NatsStreamCommands}).
 */
@Command(
    name = "nats",
    description = "nats trigger specific operations",
    mixinStandardHelpOptions = true,
    subcommands = {
      NatsTriggerCommand.Create.class,
      NatsTriggerCommand.Update.class,
      NatsTriggerCommand.Delete.class,
      NatsTriggerCommand.ListNats.class,
      NatsStreamCommands.Publish.class,
      NatsStreamCommands.CreateStream.class,
      NatsStreamCommands.DeleteStream.class
    })
final class NatsTriggerCommand implements Callable<Integer> {

  static final Triggers.Kind<NATSTrigger> KIND =
      new Triggers.Kind<>(
          NATSTrigger.class,
          "NATS trigger",
          NATSTrigger::new,
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

  /** Kubeless's flags, and (beyond Kubeless) JetStream and the engine's delivery settings. */
  abstract static class Write extends Triggers.TopicWrite<NATSTrigger> {

    // beyond Kubeless; on update an empty value clears the field
    @Option(
        names = "--stream",
        description =
            "JetStream stream holding the topic: each function reads through a durable consumer"
                + " (nothing lost while it is down); without it, core NATS as Kubeless")
    String stream;

    @Option(
        names = "--durable",
        description = "JetStream consumer name prefix (default <namespace>_<trigger>)")
    String durable;

    @Option(
        names = "--deliver-policy",
        description = "Where a new JetStream consumer starts: new (default) or all")
    String deliverPolicy;

    @Option(
        names = "--ordering",
        description = "key (default: per subject), partition (all in order) or none (in parallel)")
    String ordering;

    @Option(
        names = "--max-in-flight",
        description = "Most requests at once per function with key or none ordering (default 64)")
    Integer maxInFlight;

    Write(Cli cli, boolean create) {
      super(
          cli,
          KIND,
          create,
          (t, topic) -> t.getSpec().setTopic(topic),
          (t, selector) -> t.getSpec().setFunctionSelector(selector));
    }

    @Override
    void validate() {
      super.validate();
      if (given(deliverPolicy) && !deliverPolicy.equals("new") && !deliverPolicy.equals("all")) {
        throw usage("invalid --deliver-policy \"" + deliverPolicy + "\": use new or all");
      }
      if (given(ordering) && !List.of("key", "partition", "none").contains(ordering)) {
        throw usage("invalid --ordering \"" + ordering + "\": use key, partition or none");
      }
      if (maxInFlight != null && maxInFlight < 1) {
        throw usage("--max-in-flight must be at least 1");
      }
    }

    @Override
    void apply(NATSTrigger trigger) {
      super.apply(trigger);
      var spec = trigger.getSpec();
      if (stream != null) {
        spec.setStream(stream.isEmpty() ? null : stream);
      }
      if (durable != null) {
        spec.setDurable(durable.isEmpty() ? null : durable);
      }
      if (deliverPolicy != null) {
        spec.setDeliverPolicy(deliverPolicy.isEmpty() ? null : deliverPolicy);
      }
      if (ordering != null) {
        spec.setOrdering(ordering.isEmpty() ? null : ordering);
      }
      if (maxInFlight != null) {
        spec.setMaxInFlight(maxInFlight);
      }
    }
  }

  @Command(name = "create", description = "Create a NATS trigger", mixinStandardHelpOptions = true)
  static final class Create extends Write {
    Create(Cli cli) {
      super(cli, true);
    }
  }

  @Command(name = "update", description = "Update a NATS trigger", mixinStandardHelpOptions = true)
  static final class Update extends Write {
    Update(Cli cli) {
      super(cli, false);
    }
  }

  @Command(name = "delete", description = "Delete a NATS trigger", mixinStandardHelpOptions = true)
  static final class Delete extends Triggers.Delete<NATSTrigger> {
    Delete(Cli cli) {
      super(cli, KIND);
    }
  }

  @Command(
      name = "list",
      aliases = "ls",
      description = "list all NATS triggers deployed to Kubeless",
      mixinStandardHelpOptions = true)
  static final class ListNats extends Triggers.ListTriggers<NATSTrigger> {
    ListNats(Cli cli) {
      super(cli, KIND);
    }
  }
}
