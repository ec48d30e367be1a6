package io.kubeless.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpecBuilder;
import io.kubeless.api.v1beta1.Function;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kubeless autoscale create|delete|list}: writes or removes a Function's {@code
 * spec.horizontalPodAutoscaler}; the function controller creates the HPA from it.
 */
@Command(
    name = "autoscale",
    description = "manage autoscale to function on Kubeless",
    mixinStandardHelpOptions = true,
    subcommands = {
      AutoscaleCommand.Create.class,
      AutoscaleCommand.ListAutoscale.class,
      AutoscaleCommand.Delete.class
    })
final class AutoscaleCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return CommandLine.ExitCode.USAGE;
  }

  static Function function(Cli cli, String name, String namespace) {
    Function function =
        cli.client().resources(Function.class).inNamespace(namespace).withName(name).get();
    if (function == null) {
      throw FunctionCommand.notFound(name, namespace);
    }
    return function;
  }

  /**
   * The autoscaling/v2 HPA Kubeless's {@code autoscale create} described (it wrote v2beta1): cpu as
   * a Resource metric's average utilization, qps as the Object metric {@code function_calls} of the
   * function's Service.
   */
  static HorizontalPodAutoscaler autoscaler(
      Function function, String metric, String value, int min, int max) {
    String name = function.getMetadata().getName();
    MetricSpec spec =
        switch (metric) {
          case "cpu" ->
              new MetricSpecBuilder()
                  .withType("Resource")
                  .withNewResource()
                  .withName("cpu")
                  .withNewTarget()
                  .withType("Utilization")
                  .withAverageUtilization(Integer.parseInt(value))
                  .endTarget()
                  .endResource()
                  .build();
          case "qps" ->
              new MetricSpecBuilder()
                  .withType("Object")
                  .withNewObject()
                  .withNewMetric()
                  .withName("function_calls")
                  .endMetric()
                  .withNewDescribedObject()
                  .withApiVersion("v1")
                  .withKind("Service")
                  .withName(name)
                  .endDescribedObject()
                  .withNewTarget()
                  .withType("Value")
                  .withValue(new Quantity(value))
                  .endTarget()
                  .endObject()
                  .build();
          default -> throw new IllegalArgumentException("metric " + metric);
        };
    return new HorizontalPodAutoscalerBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(function.getMetadata().getNamespace())
        .withLabels(function.getMetadata().getLabels())
        .endMetadata()
        .withNewSpec()
        .withNewScaleTargetRef()
        .withApiVersion("apps/v1")
        .withKind("Deployment")
        .withName(name)
        .endScaleTargetRef()
        .withMinReplicas(min)
        .withMaxReplicas(max)
        .withMetrics(spec)
        .endSpec()
        .build();
  }

  /** Whether the Function asks for an autoscaler (Kubeless wrote a zero-valued one for "none"). */
  static boolean hasAutoscaler(Function function) {
    ObjectNode hpa = function.getSpec().getHorizontalPodAutoscaler();
    return hpa != null && hpa.path("spec").path("maxReplicas").asInt(0) > 0;
  }

  /** {@code autoscale create <function>}. */
  @Command(
      name = "create",
      description = "automatically scale function based on monitored metrics",
      mixinStandardHelpOptions = true)
  static final class Create implements Callable<Integer> {
    private final Cli cli;

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FUNCTION_NAME")
    String name;

    @Option(
        names = {"-n", "--namespace"},
        description = "Specify namespace for the autoscale")
    String namespace;

    @Mixin TargetOption target;

    @Option(
        names = "--min",
        defaultValue = "1",
        description = "minimum number of replicas (default: ${DEFAULT-VALUE})")
    int min;

    @Option(
        names = "--max",
        defaultValue = "1",
        description = "maximum number of replicas (default: ${DEFAULT-VALUE})")
    int max;

    @Option(
        names = "--metric",
        defaultValue = "cpu",
        description =
            "metric to use for calculating the autoscale. Supported metrics: cpu, qps (default:"
                + " ${DEFAULT-VALUE})")
    String metric;

    @Option(
        names = "--value",
        required = true,
        description =
            "value of the average of the metric across all replicas. If metric is cpu, value is a"
                + " number represented as percentage. If metric is qps, value must be in format of"
                + " Quantity")
    String value;

    Create(Cli cli) {
      this.cli = cli;
    }

    private CommandLine.ParameterException usage(String message) {
      return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    @Override
    public Integer call() {
      kubernetesOnly(cli, target);
      if (min <= 0) {
        throw usage("min can't be negative or zero");
      }
      if (max < min) {
        throw usage("max must be greater than or equal to min");
      }
      switch (metric) {
        case "cpu" -> {
          int percent;
          try {
            percent = Integer.parseInt(value);
          } catch (NumberFormatException e) {
            throw usage("--value for cpu must be a whole percentage, got \"" + value + "\"");
          }
          if (percent <= 0) {
            throw usage("--value for cpu must be a positive percentage, got " + percent);
          }
        }
        case "qps" -> {
          try {
            if (Quantity.getAmountInBytes(new Quantity(value)).signum() <= 0) {
              throw usage("--value for qps must be positive, got \"" + value + "\"");
            }
          } catch (IllegalArgumentException e) {
            throw usage(
                "--value for qps must be a Quantity (e.g. 10, 500m), got \"" + value + "\"");
          }
        }
        default -> throw usage("only supported metrics: cpu, qps");
      }
      String ns = cli.namespace(namespace);
      Function function = function(cli, name, ns);
      HorizontalPodAutoscaler hpa = autoscaler(function, metric, value, min, max);
      function
          .getSpec()
          .setHorizontalPodAutoscaler(cli.serialization().convertValue(hpa, ObjectNode.class));
      cli.out().println("Adding autoscaling rule to the function...");
      cli.client().resources(Function.class).inNamespace(ns).resource(function).update();
      cli.out().printf("Autoscaling rule for %s submitted for deployment%n", name);
      return 0;
    }
  }

  /** {@code autoscale delete <function>}. */
  @Command(
      name = "delete",
      description = "delete an autoscale from Kubeless",
      mixinStandardHelpOptions = true)
  static final class Delete implements Callable<Integer> {
    private final Cli cli;

    @Parameters(index = "0", paramLabel = "FUNCTION_NAME")
    String name;

    @Option(
        names = {"-n", "--namespace"},
        description = "Specify namespace for the autoscale")
    String namespace;

    @Mixin TargetOption target;

    Delete(Cli cli) {
      this.cli = cli;
    }

    @Override
    public Integer call() {
      kubernetesOnly(cli, target);
      String ns = cli.namespace(namespace);
      Function function = function(cli, name, ns);
      if (!hasAutoscaler(function)) {
        throw new Cli.CliException("Not found an autoscale definition for " + name);
      }
      function.getSpec().setHorizontalPodAutoscaler(null);
      cli.out().println("Removing autoscaling rule from the function...");
      cli.client().resources(Function.class).inNamespace(ns).resource(function).update();
      cli.out().printf("Remove Autoscaling rule from %s successfully%n", name);
      return 0;
    }
  }

  /** {@code autoscale list|ls}: the Functions that ask for an autoscaler. */
  @Command(
      name = "list",
      aliases = "ls",
      description = "list all autoscales in Kubeless",
      mixinStandardHelpOptions = true)
  static final class ListAutoscale implements Callable<Integer> {
    private final Cli cli;

    @Spec CommandSpec spec;

    @Option(
        names = {"-n", "--namespace"},
        description = "Specify namespace for the autoscale")
    String namespace;

    @Mixin TargetOption target;

    @Option(
        names = {"-o", "--out"},
        defaultValue = "",
        description = "Output format. One of: json|yaml")
    String output;

    ListAutoscale(Cli cli) {
      this.cli = cli;
    }

    @Override
    public Integer call() {
      kubernetesOnly(cli, target);
      if (!output.isEmpty()) {
        FunctionCommand.checkOutput(spec, output);
      }
      String ns = cli.namespace(namespace);
      List<Function> functions =
          new ArrayList<>(
              cli.client().resources(Function.class).inNamespace(ns).list().getItems().stream()
                  .filter(AutoscaleCommand::hasAutoscaler)
                  .toList());
      functions.sort(Comparator.comparing(f -> f.getMetadata().getName()));
      if (!output.isEmpty()) {
        for (Function f : functions) {
          ObjectNode hpa = f.getSpec().getHorizontalPodAutoscaler().deepCopy();
          hpa.putIfAbsent("apiVersion", hpa.textNode("autoscaling/v2"));
          hpa.putIfAbsent("kind", hpa.textNode("HorizontalPodAutoscaler"));
          cli.print(hpa, output);
        }
        return 0;
      }
      List<List<String>> rows = new ArrayList<>();
      for (Function f : functions) {
        JsonNode hpa = f.getSpec().getHorizontalPodAutoscaler();
        JsonNode spec = hpa.path("spec");
        JsonNode metric = spec.path("metrics").path(0);
        String metricName = "";
        String value = "";
        if (metric.has("object")) {
          JsonNode o = metric.path("object");
          metricName = o.path("metric").path("name").asText(o.path("metricName").asText(""));
          value = text(o.path("target").path("value"), o.path("targetValue"));
        } else if (metric.has("resource")) {
          JsonNode r = metric.path("resource");
          metricName = r.path("name").asText("");
          value =
              text(r.path("target").path("averageUtilization"), r.path("targetAverageUtilization"));
        } else if (metric.has("pods")) {
          JsonNode p = metric.path("pods");
          metricName = p.path("metric").path("name").asText(p.path("metricName").asText(""));
          value = text(p.path("target").path("averageValue"), p.path("targetAverageValue"));
        }
        rows.add(
            List.of(
                f.getMetadata().getName(),
                f.getMetadata().getNamespace(),
                spec.path("scaleTargetRef").path("name").asText(f.getMetadata().getName()),
                spec.path("minReplicas").asText("1"),
                spec.path("maxReplicas").asText(""),
                metricName,
                value));
      }
      Tables.print(
          cli.out(), List.of("NAME", "NAMESPACE", "TARGET", "MIN", "MAX", "METRIC", "VALUE"), rows);
      return 0;
    }

    private static String text(JsonNode v2, JsonNode v2beta1) {
      JsonNode value = v2.isMissingNode() || v2.isNull() ? v2beta1 : v2;
      return value.isMissingNode() || value.isNull() ? "" : value.asText();
    }
  }

  /**
   * An autoscaler is a Kubernetes HorizontalPodAutoscaler: local mode runs one process per function
   * and ignores {@code spec.horizontalPodAutoscaler}, so with local mode running here (and no
   * {@code --target kubernetes}) the command says so rather than reach for an API server.
   */
  static void kubernetesOnly(Cli cli, TargetOption target) {
    if (cli.local(target).isPresent()) {
      throw new Cli.CliException(
          "autoscale works on Kubernetes only: local mode runs one process per function and"
              + " ignores spec.horizontalPodAutoscaler; give --target kubernetes for the kube"
              + " context's cluster");
    }
  }
}
