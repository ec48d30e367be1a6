package io.kubeless.cli;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kubeless.api.function.FunctionFields;
import io.kubeless.api.v1beta1.Function;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code function top [-f NAME]}: calls, failures and p50/p95 durations of each function, from its
 * runtime's {@code /metrics} ({@link RuntimeMetrics}): locally through the admin API, on Kubernetes
 * through the API server's service proxy (so from the one replica the Service picks).
 */
@Command(
    name = "top",
    description = "show calls, failures and p50/p95 durations of the functions",
    mixinStandardHelpOptions = true)
final class FunctionTop implements Callable<Integer> {
  private final Cli cli;

  @Spec CommandSpec spec;

  @Option(
      names = {"-f", "--function"},
      paramLabel = "FUNCTION_NAME",
      description = "Only this function")
  String function;

  @Option(
      names = {"-n", "--namespace"},
      description = "Specify namespace for the function")
  String namespace;

  @Option(
      names = {"-o", "--out"},
      defaultValue = "",
      description = "Output format. One of: json|yaml")
  String out;

  @Mixin TargetOption target;

  FunctionTop(Cli cli) {
    this.cli = cli;
  }

  @Override
  public Integer call() {
    if (!List.of("", "json", "yaml").contains(out)) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "Wrong output format \"" + out + "\": use json or yaml");
    }
    List<Map<String, Object>> rows = new ArrayList<>();
    var local = cli.local(target);
    if (local.isPresent()) {
      String ns = FunctionCommand.localNamespace(namespace);
      List<String> names = new ArrayList<>();
      if (function != null) {
        names.add(local.get().function(ns, function).path("name").asText());
      } else {
        local.get().functions().stream()
            .filter(f -> f.path("namespace").asText().equals(ns))
            .map(f -> f.path("name").asText())
            .sorted()
            .forEach(names::add);
      }
      for (String name : names) {
        rows.add(row(name, ns, metrics(() -> local.get().metrics(ns, name))));
      }
    } else {
      String ns = cli.namespace(namespace);
      List<Function> fns = new ArrayList<>();
      if (function != null) {
        fns.add(FunctionCommand.get(cli, ns, function));
      } else {
        fns.addAll(FunctionCommand.functions(cli.client()).inNamespace(ns).list().getItems());
        fns.sort(Comparator.comparing(f -> f.getMetadata().getName()));
      }
      for (Function f : fns) {
        String name = f.getMetadata().getName();
        rows.add(row(name, ns, metrics(() -> proxiedMetrics(ns, f))));
      }
    }
    if (!out.isEmpty()) {
      cli.print(rows, out);
      return 0;
    }
    Tables.print(
        cli.out(),
        List.of("NAME", "NAMESPACE", "CALLS", "FAILURES", "P50", "P95"),
        rows.stream()
            .map(
                r ->
                    List.of(
                        String.valueOf(r.get("name")),
                        String.valueOf(r.get("namespace")),
                        r.get("calls") == null ? "-" : String.valueOf(r.get("calls")),
                        r.get("failures") == null ? "-" : String.valueOf(r.get("failures")),
                        (String) r.get("p50"),
                        (String) r.get("p95")))
            .toList());
    return 0;
  }

  private interface Source {
    String get();
  }

  /** The metrics, or null when the runtime could not be asked (printed as {@code -}). */
  private RuntimeMetrics metrics(Source source) {
    try {
      return RuntimeMetrics.parse(source.get());
    } catch (Cli.CliException | KubernetesClientException e) {
      cli.err().println("warning: " + Kubeless.describe(e, cli));
      return null;
    }
  }

  private static Map<String, Object> row(String name, String ns, RuntimeMetrics m) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("name", name);
    r.put("namespace", ns);
    r.put("calls", m == null ? null : m.calls());
    r.put("failures", m == null ? null : m.failures());
    r.put("p50", m == null ? "-" : RuntimeMetrics.format(m.p50()));
    r.put("p95", m == null ? "-" : RuntimeMetrics.format(m.p95()));
    return r;
  }

  private String proxiedMetrics(String ns, Function f) {
    String name = f.getMetadata().getName();
    Service service = cli.client().services().inNamespace(ns).withName(name).get();
    String port;
    if (service == null || service.getSpec().getPorts().isEmpty()) {
      port = String.valueOf(FunctionFields.servicePort(f.getSpec()));
    } else {
      ServicePort p = service.getSpec().getPorts().get(0);
      port =
          p.getName() == null || p.getName().isBlank() ? String.valueOf(p.getPort()) : p.getName();
    }
    String text =
        cli.client()
            .raw("/api/v1/namespaces/%s/services/%s:%s/proxy/metrics".formatted(ns, name, port));
    if (text == null) {
      throw new Cli.CliException("function \"" + name + "\" has no /metrics (yet)");
    }
    return text;
  }
}
