package io.kubeless.cli;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kubeless.api.v1beta1.KafkaTrigger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kubeless trigger}: the trigger kinds, one subcommand group each. */
@Command(
    name = "trigger",
    description = "trigger specific operations",
    mixinStandardHelpOptions = true,
    subcommands = {TriggerCommand.Kafka.class})
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

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      spec.commandLine().usage(spec.commandLine().getErr());
      return CommandLine.ExitCode.USAGE;
    }

    /** The flags create and update share. */
    abstract static class Write implements Callable<Integer> {
      final Cli cli;

      @Spec CommandSpec spec;

      @Parameters(index = "0", paramLabel = "TRIGGER_NAME")
      String name;

      @Option(
          names = {"-n", "--namespace"},
          description = "Specify namespace for the Kafka trigger")
      String namespace;

      @Option(names = "--trigger-topic", description = "Specify topic to listen to in Kafka broker")
      String topic;

      @Option(
          names = "--function-selector",
          description =
              "Selector (label query) to select function on (e.g. -function-selector"
                  + " key1=value1,key2=value2)")
      String functionSelector;

      @Option(
          names = "--dryrun",
          description = "Output the KafkaTrigger object that would be sent, without sending it")
      boolean dryrun;

      @Option(
          names = {"-o", "--output"},
          defaultValue = "yaml",
          description = "Output format of --dryrun: yaml or json (default: ${DEFAULT-VALUE})")
      String output;

      Write(Cli cli) {
        this.cli = cli;
      }

      LabelSelector selector() {
        Map<String, String> labels = new LinkedHashMap<>();
        for (String pair : functionSelector.split(",")) {
          int eq = pair.indexOf('=');
          String value = eq < 0 ? "" : pair.substring(pair.startsWith("==", eq) ? eq + 2 : eq + 1);
          if (eq <= 0 || value.contains("=") || pair.substring(0, eq).endsWith("!")) {
            throw new CommandLine.ParameterException(
                spec.commandLine(),
                "invalid --function-selector \"" + functionSelector + "\": expected k=v[,k=v]");
          }
          labels.put(pair.substring(0, eq).trim(), value.trim());
        }
        return new LabelSelectorBuilder().withMatchLabels(labels).build();
      }
    }

    /** {@code trigger kafka create <name>}. */
    @Command(
        name = "create",
        description = "Create a Kafka trigger",
        mixinStandardHelpOptions = true)
    static final class Create extends Write {
      Create(Cli cli) {
        super(cli);
      }

      @Override
      public Integer call() {
        if (topic == null || topic.isBlank()) {
          throw new CommandLine.ParameterException(
              spec.commandLine(), "You must specify the topic (--trigger-topic)");
        }
        if (functionSelector == null || functionSelector.isBlank()) {
          throw new CommandLine.ParameterException(
              spec.commandLine(), "You must specify a function selector (--function-selector)");
        }
        FunctionCommand.checkOutput(spec, output);
        String ns = cli.namespace(namespace);
        KafkaTrigger trigger = new KafkaTrigger();
        trigger.setMetadata(
            new ObjectMetaBuilder()
                .withName(name)
                .withNamespace(ns)
                .withLabels(Map.of("created-by", "kubeless"))
                .build());
        trigger.getSpec().setTopic(topic);
        trigger.getSpec().setFunctionSelector(selector());
        if (dryrun) {
          cli.print(trigger, output);
          return 0;
        }
        try {
          cli.client().resources(KafkaTrigger.class).inNamespace(ns).resource(trigger).create();
        } catch (KubernetesClientException e) {
          if (e.getCode() == 409) {
            throw new Cli.CliException(
                "kafka trigger \"%s\" already exists in namespace \"%s\"".formatted(name, ns));
          }
          throw e;
        }
        cli.out().printf("Kafka trigger %s created in namespace %s successfully!%n", name, ns);
        return 0;
      }
    }

    /** {@code trigger kafka update <name>}: changes only the given flags. */
    @Command(
        name = "update",
        description = "Update a Kafka trigger",
        mixinStandardHelpOptions = true)
    static final class Update extends Write {
      Update(Cli cli) {
        super(cli);
      }

      @Override
      public Integer call() {
        FunctionCommand.checkOutput(spec, output);
        String ns = cli.namespace(namespace);
        KafkaTrigger trigger =
            cli.client().resources(KafkaTrigger.class).inNamespace(ns).withName(name).get();
        if (trigger == null) {
          throw notFound(name, ns);
        }
        if (topic != null) {
          trigger.getSpec().setTopic(topic);
        }
        if (functionSelector != null) {
          trigger.getSpec().setFunctionSelector(selector());
        }
        if (dryrun) {
          cli.print(trigger, output);
          return 0;
        }
        cli.client().resources(KafkaTrigger.class).inNamespace(ns).resource(trigger).update();
        cli.out().printf("Kafka trigger %s updated in namespace %s successfully!%n", name, ns);
        return 0;
      }
    }

    /** {@code trigger kafka delete <name>}. */
    @Command(
        name = "delete",
        description = "Delete a Kafka trigger",
        mixinStandardHelpOptions = true)
    static final class Delete implements Callable<Integer> {
      private final Cli cli;

      @Parameters(index = "0", paramLabel = "TRIGGER_NAME")
      String name;

      @Option(
          names = {"-n", "--namespace"},
          description = "Specify namespace for the Kafka trigger")
      String namespace;

      Delete(Cli cli) {
        this.cli = cli;
      }

      @Override
      public Integer call() {
        String ns = cli.namespace(namespace);
        var deleted =
            cli.client().resources(KafkaTrigger.class).inNamespace(ns).withName(name).delete();
        if (deleted.isEmpty()) {
          throw notFound(name, ns);
        }
        cli.out().printf("Kafka trigger %s deleted from namespace %s successfully!%n", name, ns);
        return 0;
      }
    }

    /** {@code trigger kafka list|ls}. */
    @Command(
        name = "list",
        aliases = "ls",
        description = "list all Kafka triggers deployed to Kubeless",
        mixinStandardHelpOptions = true)
    static final class ListKafka implements Callable<Integer> {
      private final Cli cli;

      @Option(
          names = {"-n", "--namespace"},
          description = "Specify namespace for the Kafka trigger")
      String namespace;

      ListKafka(Cli cli) {
        this.cli = cli;
      }

      @Override
      public Integer call() {
        String ns = cli.namespace(namespace);
        List<KafkaTrigger> triggers =
            new ArrayList<>(
                cli.client().resources(KafkaTrigger.class).inNamespace(ns).list().getItems());
        triggers.sort(Comparator.comparing(t -> t.getMetadata().getName()));
        List<List<String>> rows =
            triggers.stream()
                .map(
                    t ->
                        List.of(
                            t.getMetadata().getName(),
                            t.getMetadata().getNamespace(),
                            FunctionCommand.nullToEmpty(t.getSpec().getTopic()),
                            selector(t.getSpec().getFunctionSelector())))
                .toList();
        Tables.print(cli.out(), List.of("NAME", "NAMESPACE", "TOPIC", "FUNCTION SELECTOR"), rows);
        return 0;
      }

      private static String selector(LabelSelector selector) {
        if (selector == null || selector.getMatchLabels() == null) {
          return "";
        }
        return selector.getMatchLabels().entrySet().stream()
            .map(e -> e.getKey() + "=" + e.getValue())
            .collect(Collectors.joining(","));
      }
    }

    static Cli.CliException notFound(String name, String namespace) {
      return new Cli.CliException(
          "kafka trigger \"%s\" not found in namespace \"%s\"".formatted(name, namespace));
    }
  }
}
