package io.kubeless.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kubeless.api.v1beta1.Function;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * What the trigger kinds' commands share: {@code create|update <name>} (flags onto a new or the
 * stored trigger, {@code --dryrun -o yaml|json}), {@code delete <name>} and {@code list|ls}. A kind
 * subclasses these with its flags; the flow, messages and errors are the same for every kind.
 */
final class Triggers {

  private Triggers() {}

  /**
   * One trigger kind: its class, the title Kubeless printed in its messages ("HTTP trigger"), and
   * the columns of its list.
   */
  record Kind<T extends CustomResource<?, ?>>(
      Class<T> type,
      String title,
      Supplier<T> factory,
      List<String> header,
      java.util.function.Function<T, List<String>> row) {

    /** A new trigger with Kubeless's metadata: name, namespace, label created-by=kubeless. */
    T create(String name, String namespace) {
      T trigger = factory.get();
      Map<String, String> labels = new LinkedHashMap<>();
      labels.put("created-by", "kubeless");
      trigger.setMetadata(
          new ObjectMetaBuilder()
              .withName(name)
              .withNamespace(namespace)
              .withLabels(labels)
              .build());
      return trigger;
    }

    /** The kind's plural, as the Kubernetes API and local mode's admin API name it. */
    String plural() {
      return io.fabric8.kubernetes.api.model.HasMetadata.getPlural(type);
    }

    /** A trigger as local mode's admin API describes it ({@code resource}), typed. */
    T fromLocal(Cli cli, JsonNode described) {
      return cli.serialization().convertValue(described.get("resource"), type);
    }

    Cli.CliException notFound(String name, String namespace) {
      return new Cli.CliException(
          "%s \"%s\" not found in namespace \"%s\""
              .formatted(title.toLowerCase(Locale.ROOT), name, namespace));
    }
  }

  /** {@code create|update <name>}: the flags every kind has, and the flow. */
  abstract static class Write<T extends CustomResource<?, ?>> implements Callable<Integer> {
    final Cli cli;
    final Kind<T> kind;
    final boolean create;

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "TRIGGER_NAME")
    String name;

    @Option(
        names = {"-n", "--namespace"},
        description = "Specify namespace for the trigger")
    String namespace;

    @Option(
        names = "--dryrun",
        description = "Output the trigger object that would be sent, without sending it")
    boolean dryrun;

    @Option(
        names = {"-o", "--output"},
        defaultValue = "yaml",
        description = "Output format of --dryrun: yaml or json (default: ${DEFAULT-VALUE})")
    String output;

    @Mixin TargetOption target;

    /** The running local mode when the command targets it (set by {@link #call()}). */
    Optional<LocalAdmin> local = Optional.empty();

    Write(Cli cli, Kind<T> kind, boolean create) {
      this.cli = cli;
      this.kind = kind;
      this.create = create;
    }

    /** Checks the flags alone, before any API call; throws {@link #usage} errors. */
    void validate() {}

    /** Writes the given flags onto the trigger: a new one on create, the stored one on update. */
    abstract void apply(T trigger);

    /** Checks that what the trigger names exists (not on {@code --dryrun}). */
    void checkReferences(T trigger, String namespace) {}

    @Override
    public final Integer call() {
      FunctionCommand.checkOutput(spec, output);
      validate();
      // a dry run of create needs no target; the kube context's namespace, as before
      local = dryrun && create ? Optional.empty() : cli.local(target);
      String ns =
          local.isPresent() ? FunctionCommand.localNamespace(namespace) : cli.namespace(namespace);
      T trigger;
      if (create) {
        trigger = kind.create(name, ns);
      } else if (local.isPresent()) {
        trigger =
            local
                .get()
                .resource(kind.plural(), ns, name)
                .map(r -> kind.fromLocal(cli, r))
                .orElseThrow(() -> kind.notFound(name, ns));
      } else {
        trigger = cli.client().resources(kind.type()).inNamespace(ns).withName(name).get();
        if (trigger == null) {
          throw kind.notFound(name, ns);
        }
      }
      apply(trigger);
      if (dryrun) {
        cli.print(trigger, output);
        return 0;
      }
      checkReferences(trigger, ns);
      if (local.isPresent()) {
        if (create && local.get().resource(kind.plural(), ns, name).isPresent()) {
          throw alreadyExists(ns);
        }
        local.get().apply(kind.plural(), ns, name, cli.serialization().asJson(trigger));
        cli.out()
            .printf(
                "%s %s %s in namespace %s successfully!%n",
                kind.title(), name, create ? "created" : "updated", ns);
        return 0;
      }
      var resource = cli.client().resources(kind.type()).inNamespace(ns).resource(trigger);
      if (create) {
        try {
          resource.create();
        } catch (KubernetesClientException e) {
          if (e.getCode() == 409) {
            throw alreadyExists(ns);
          }
          throw e;
        }
      } else {
        resource.update();
      }
      cli.out()
          .printf(
              "%s %s %s in namespace %s successfully!%n",
              kind.title(), name, create ? "created" : "updated", ns);
      return 0;
    }

    private Cli.CliException alreadyExists(String ns) {
      return new Cli.CliException(
          "%s \"%s\" already exists in namespace \"%s\""
              .formatted(kind.title().toLowerCase(Locale.ROOT), name, ns));
    }

    CommandLine.ParameterException usage(String message) {
      return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /** A flag given with a value: as Kubeless, an empty value counts as not given. */
    static boolean given(String value) {
      return value != null && !value.isEmpty();
    }

    /** On create, a usage error naming {@code flag} when it was not given. */
    void require(String value, String message) {
      if (create && !given(value)) {
        throw usage(message);
      }
    }

    /** Fails when the function the trigger names does not exist in {@code namespace}. */
    void checkFunction(String function, String namespace) {
      boolean exists =
          local.isPresent()
              ? local.get().resource(FunctionCommand.PLURAL, namespace, function).isPresent()
              : cli.client()
                      .resources(Function.class)
                      .inNamespace(namespace)
                      .withName(function)
                      .get()
                  != null;
      if (!exists) {
        throw new Cli.CliException(
            "Unable to find Function %s in namespace %s".formatted(function, namespace));
      }
    }

    /** {@code --function-selector k=v[,k=v]} as a LabelSelector with matchLabels. */
    LabelSelector selector(String functionSelector) {
      try {
        return Triggers.selector(functionSelector);
      } catch (IllegalArgumentException e) {
        throw usage(e.getMessage());
      }
    }
  }

  /** {@code create|update} of the kinds bound by topic and label selector (Kafka, NATS). */
  abstract static class TopicWrite<T extends CustomResource<?, ?>> extends Write<T> {
    private final BiConsumer<T, String> setTopic;
    private final BiConsumer<T, LabelSelector> setSelector;

    @Option(names = "--trigger-topic", description = "Specify topic to listen to")
    String topic;

    @Option(
        names = "--function-selector",
        description =
            "Selector (label query) to select function on (e.g. --function-selector"
                + " key1=value1,key2=value2)")
    String functionSelector;

    TopicWrite(
        Cli cli,
        Kind<T> kind,
        boolean create,
        BiConsumer<T, String> setTopic,
        BiConsumer<T, LabelSelector> setSelector) {
      super(cli, kind, create);
      this.setTopic = setTopic;
      this.setSelector = setSelector;
    }

    @Override
    void validate() {
      require(topic, "You must specify the topic (--trigger-topic)");
      require(functionSelector, "You must specify a function selector (--function-selector)");
      if (given(functionSelector)) {
        selector(functionSelector);
      }
    }

    @Override
    void apply(T trigger) {
      if (given(topic)) {
        setTopic.accept(trigger, topic);
      }
      if (given(functionSelector)) {
        setSelector.accept(trigger, selector(functionSelector));
      }
    }
  }

  /**
   * {@code k=v[,k=v]} (also {@code k==v}) as matchLabels. Set-based expressions are refused:
   * Kubeless parsed them and then silently kept only the equalities.
   */
  static LabelSelector selector(String functionSelector) {
    Map<String, String> labels = new LinkedHashMap<>();
    for (String pair : functionSelector.split(",")) {
      int eq = pair.indexOf('=');
      String value = eq < 0 ? "" : pair.substring(pair.startsWith("==", eq) ? eq + 2 : eq + 1);
      if (eq <= 0 || value.contains("=") || pair.substring(0, eq).endsWith("!")) {
        throw new IllegalArgumentException(
            "invalid --function-selector \"" + functionSelector + "\": expected k=v[,k=v]");
      }
      labels.put(pair.substring(0, eq).trim(), value.trim());
    }
    return new LabelSelectorBuilder().withMatchLabels(labels).build();
  }

  /** A selector as {@code k=v,k=v}, as {@code kubectl} prints one. */
  static String format(LabelSelector selector) {
    if (selector == null || selector.getMatchLabels() == null) {
      return "";
    }
    return selector.getMatchLabels().entrySet().stream()
        .map(e -> e.getKey() + "=" + e.getValue())
        .collect(Collectors.joining(","));
  }

  /**
   * Why {@code schedule} is not a schedule the cron trigger runs (five cron fields, a macro such as
   * {@code @hourly}, or {@code @every <duration>}), or null: the cron trigger's own parser says.
   */
  static String scheduleProblem(String schedule) {
    try {
      io.kubeless.cron.source.CronSchedule.parse(schedule, null);
      return null;
    } catch (IllegalArgumentException e) {
      String prefix = "spec.schedule '" + schedule.strip() + "' ";
      String message = e.getMessage();
      return message.startsWith(prefix) ? message.substring(prefix.length()) : message;
    }
  }

  /** {@code delete <name>}. */
  abstract static class Delete<T extends CustomResource<?, ?>> implements Callable<Integer> {
    private final Cli cli;
    private final Kind<T> kind;

    @Parameters(index = "0", paramLabel = "TRIGGER_NAME")
    String name;

    @Option(
        names = {"-n", "--namespace"},
        description = "Specify namespace for the trigger")
    String namespace;

    @Mixin TargetOption target;

    Delete(Cli cli, Kind<T> kind) {
      this.cli = cli;
      this.kind = kind;
    }

    @Override
    public Integer call() {
      var local = cli.local(target);
      if (local.isPresent()) {
        String ns = FunctionCommand.localNamespace(namespace);
        if (local.get().resource(kind.plural(), ns, name).isEmpty()) {
          throw kind.notFound(name, ns);
        }
        local.get().delete(kind.plural(), ns, name);
        cli.out().printf("%s %s deleted from namespace %s successfully!%n", kind.title(), name, ns);
        return 0;
      }
      String ns = cli.namespace(namespace);
      var deleted = cli.client().resources(kind.type()).inNamespace(ns).withName(name).delete();
      if (deleted.isEmpty()) {
        throw kind.notFound(name, ns);
      }
      cli.out().printf("%s %s deleted from namespace %s successfully!%n", kind.title(), name, ns);
      return 0;
    }
  }

  /** {@code list|ls}: the kind's columns, sorted by name. */
  abstract static class ListTriggers<T extends CustomResource<?, ?>> implements Callable<Integer> {
    private final Cli cli;
    private final Kind<T> kind;

    @Option(
        names = {"-n", "--namespace"},
        description = "Specify namespace for the trigger")
    String namespace;

    @Mixin TargetOption target;

    ListTriggers(Cli cli, Kind<T> kind) {
      this.cli = cli;
      this.kind = kind;
    }

    @Override
    public Integer call() {
      var local = cli.local(target);
      String ns =
          local.isPresent() ? FunctionCommand.localNamespace(namespace) : cli.namespace(namespace);
      List<T> triggers = new ArrayList<>();
      if (local.isPresent()) {
        local.get().resources(kind.plural()).stream()
            .filter(r -> r.path("namespace").asText().equals(ns))
            .map(r -> kind.fromLocal(cli, r))
            .forEach(triggers::add);
      } else {
        triggers.addAll(cli.client().resources(kind.type()).inNamespace(ns).list().getItems());
      }
      triggers.sort(Comparator.comparing(t -> t.getMetadata().getName()));
      List<List<String>> rows = triggers.stream().map(kind.row()).toList();
      Tables.print(cli.out(), kind.header(), rows);
      return 0;
    }
  }

  /** The row's first two columns, NAME and NAMESPACE, followed by {@code values}. */
  static List<String> row(CustomResource<?, ?> trigger, String... values) {
    List<String> row = new ArrayList<>();
    row.add(trigger.getMetadata().getName());
    row.add(trigger.getMetadata().getNamespace());
    for (String value : values) {
      row.add(value == null ? "" : value);
    }
    return row;
  }
}
