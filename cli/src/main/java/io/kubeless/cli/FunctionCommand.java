package io.kubeless.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.kubeless.api.function.FunctionFields;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.CronJobTrigger;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionSpec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kubeless function}: deploy, update, delete, list, describe and call functions. */
@Command(
    name = "function",
    description = "function specific operations",
    mixinStandardHelpOptions = true,
    subcommands = {
      FunctionCommand.Deploy.class,
      FunctionCommand.Update.class,
      FunctionCommand.Delete.class,
      FunctionCommand.ListFunctions.class,
      FunctionCommand.Describe.class,
      FunctionCommand.Call.class,
      FunctionLogs.class,
      FunctionTop.class
    })
final class FunctionCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return CommandLine.ExitCode.USAGE;
  }

  static MixedOperation<Function, KubernetesResourceList<Function>, Resource<Function>> functions(
      KubernetesClient client) {
    return client.resources(Function.class);
  }

  /** The stored function, or a failure naming it and its namespace. */
  static Function get(Cli cli, String namespace, String name) {
    Function function = functions(cli.client()).inNamespace(namespace).withName(name).get();
    if (function == null) {
      throw notFound(name, namespace);
    }
    return function;
  }

  /** The admin API's name of the Function kind. */
  static final String PLURAL =
      io.fabric8.kubernetes.api.model.HasMetadata.getPlural(Function.class);

  static Cli.CliException alreadyExists(String name, String namespace) {
    return new Cli.CliException(
        "function \"%s\" already exists in namespace \"%s\"; use 'kubeless function update'"
            .formatted(name, namespace));
  }

  static Cli.CliException notFound(String name, String namespace) {
    return new Cli.CliException(
        "function \"%s\" not found in namespace \"%s\"".formatted(name, namespace));
  }

  /** Kubeless's STATUS column, from the Ready condition the function controller writes. */
  static String status(Function function) {
    var ready =
        function.getStatus() == null
            ? java.util.Optional.<io.fabric8.kubernetes.api.model.Condition>empty()
            : Conditions.find(function.getStatus(), Conditions.READY);
    if (ready.isEmpty()) {
      return "MISSING: Check controller logs";
    }
    if (Conditions.TRUE.equals(ready.get().getStatus())) {
      Integer replicas = function.getStatus().getReadyReplicas();
      return replicas == null ? "READY" : replicas + " READY";
    }
    String reason = ready.get().getReason();
    return reason == null || reason.isBlank() ? "NOT READY" : "NOT READY: " + reason;
  }

  /** {@code function deploy <name>}. */
  @Command(
      name = "deploy",
      description = "deploy a function to Kubeless",
      mixinStandardHelpOptions = true)
  static final class Deploy implements Callable<Integer> {
    private final Cli cli;

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FUNCTION_NAME")
    String name;

    @Mixin FunctionFlags flags;

    @Mixin TargetOption target;

    @Mixin WaitOption wait;

    @Option(
        names = "--schedule",
        description =
            "Specify schedule in cron format for scheduled function (also creates the"
                + " CronJobTrigger <name>)")
    String schedule;

    Deploy(Cli cli) {
      this.cli = cli;
    }

    @Override
    public Integer call() {
      if (flags.runtime == null && flags.runtimeImage == null) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "You must specify a runtime (--runtime) or a --runtime-image");
      }
      if (flags.runtime != null && flags.handler == null) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "You must specify a handler (--handler) for the runtime");
      }
      checkOutput(spec, flags.output);
      String scheduleProblem = schedule == null ? null : Triggers.scheduleProblem(schedule);
      if (scheduleProblem != null) {
        throw new CommandLine.ParameterException(
            spec.commandLine(),
            "Invalid value for --schedule \"%s\": %s".formatted(schedule, scheduleProblem));
      }
      var timeout = wait.timeout(spec);
      var local = flags.dryrun ? java.util.Optional.<LocalAdmin>empty() : cli.local(target);
      flags.applyDefaults();
      String namespace =
          local.isPresent() ? localNamespace(flags.namespace) : cli.namespace(flags.namespace);
      Function function = flags.newFunction(name, namespace);
      CronJobTrigger cron = schedule == null ? null : cronJobTrigger(namespace);
      if (flags.dryrun) {
        cli.print(function, flags.output);
        if (cron != null) {
          cli.print(cron, flags.output);
        }
        return 0;
      }
      if (local.isPresent()) {
        LocalAdmin admin = local.get();
        if (admin.resource(PLURAL, namespace, name).isPresent()) {
          throw alreadyExists(name, namespace);
        }
        LocalAdmin.notes(
            cli, admin.apply(PLURAL, namespace, name, cli.serialization().asJson(function)));
        cli.out().println("Deploying function...");
        cli.out().printf("Function %s submitted for deployment%n", name);
        if (cron != null) {
          admin.apply(
              io.fabric8.kubernetes.api.model.HasMetadata.getPlural(CronJobTrigger.class),
              namespace,
              name,
              cli.serialization().asJson(cron));
          cli.out().printf("CronJobTrigger %s scheduled at %s%n", name, schedule);
        }
        cli.out().printf("Check the deployment status executing 'kubeless function ls %s'%n", name);
        timeout.ifPresent(t -> FunctionReadiness.local(cli, admin, namespace, name, t));
        return 0;
      }
      try {
        functions(cli.client()).inNamespace(namespace).resource(function).create();
      } catch (KubernetesClientException e) {
        if (e.getCode() == 409) {
          throw alreadyExists(name, namespace);
        }
        throw e;
      }
      cli.out().println("Deploying function...");
      cli.out().printf("Function %s submitted for deployment%n", name);
      if (cron != null) {
        cli.client()
            .resources(CronJobTrigger.class)
            .inNamespace(namespace)
            .resource(cron)
            .createOr(existing -> existing.update());
        cli.out().printf("CronJobTrigger %s scheduled at %s%n", name, schedule);
      }
      cli.out().printf("Check the deployment status executing 'kubeless function ls %s'%n", name);
      timeout.ifPresent(t -> FunctionReadiness.kubernetes(cli, namespace, name, t));
      return 0;
    }

    private CronJobTrigger cronJobTrigger(String namespace) {
      Map<String, String> labels = new LinkedHashMap<>();
      labels.put("created-by", "kubeless");
      labels.put("function", name);
      CronJobTrigger cron = new CronJobTrigger();
      cron.setMetadata(
          new ObjectMetaBuilder()
              .withName(name)
              .withNamespace(namespace)
              .withLabels(labels)
              .build());
      cron.getSpec().setSchedule(schedule);
      cron.getSpec().setFunctionName(name);
      return cron;
    }
  }

  /** {@code function update <name>}: merges the given flags onto the stored Function. */
  @Command(
      name = "update",
      description = "update a function on Kubeless",
      mixinStandardHelpOptions = true)
  static final class Update implements Callable<Integer> {
    private final Cli cli;

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FUNCTION_NAME")
    String name;

    @Mixin FunctionFlags flags;

    @Mixin TargetOption target;

    @Mixin WaitOption wait;

    Update(Cli cli) {
      this.cli = cli;
    }

    @Override
    public Integer call() {
      checkOutput(spec, flags.output);
      var timeout = wait.timeout(spec);
      var local = cli.local(target);
      String namespace =
          local.isPresent() ? localNamespace(flags.namespace) : cli.namespace(flags.namespace);
      Function function =
          local.isPresent()
              ? local
                  .get()
                  .resource(PLURAL, namespace, name)
                  .map(r -> cli.serialization().convertValue(r.get("resource"), Function.class))
                  .orElseThrow(() -> notFound(name, namespace))
              : get(cli, namespace, name);
      flags.applyTo(function);
      FunctionSpec merged = function.getSpec();
      if (merged.getRuntime() != null && merged.getHandler() == null) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "You must specify a handler (--handler) for the runtime");
      }
      if (flags.dryrun) {
        cli.print(function, flags.output);
        return 0;
      }
      if (local.isPresent()) {
        LocalAdmin.notes(
            cli, local.get().apply(PLURAL, namespace, name, cli.serialization().asJson(function)));
      } else {
        functions(cli.client()).inNamespace(namespace).resource(function).update();
      }
      cli.out().println("Redeploying function...");
      cli.out().printf("Function %s submitted for deployment%n", name);
      cli.out().printf("Check the deployment status executing 'kubeless function ls %s'%n", name);
      if (timeout.isPresent()) {
        if (local.isPresent()) {
          FunctionReadiness.local(cli, local.get(), namespace, name, timeout.get());
        } else {
          FunctionReadiness.kubernetes(cli, namespace, name, timeout.get());
        }
      }
      return 0;
    }
  }

  /** {@code function delete <name>}. */
  @Command(
      name = "delete",
      description = "delete a function from Kubeless",
      mixinStandardHelpOptions = true)
  static final class Delete implements Callable<Integer> {
    private final Cli cli;

    @Parameters(index = "0", paramLabel = "FUNCTION_NAME")
    String name;

    @Option(
        names = {"-n", "--namespace"},
        description = "Specify namespace for the function")
    String namespace;

    @Mixin TargetOption target;

    Delete(Cli cli) {
      this.cli = cli;
    }

    @Override
    public Integer call() {
      var local = cli.local(target);
      if (local.isPresent()) {
        String ns = localNamespace(namespace);
        if (local.get().resource(PLURAL, ns, name).isEmpty()) {
          throw notFound(name, ns);
        }
        local.get().delete(PLURAL, ns, name);
        return 0;
      }
      String ns = cli.namespace(namespace);
      var deleted = functions(cli.client()).inNamespace(ns).withName(name).delete();
      if (deleted.isEmpty()) {
        throw notFound(name, ns);
      }
      return 0;
    }
  }

  /** {@code function list|ls [names...]}. */
  @Command(
      name = "list",
      aliases = "ls",
      description = "list all functions deployed to Kubeless",
      mixinStandardHelpOptions = true)
  static final class ListFunctions implements Callable<Integer> {
    private final Cli cli;

    @Spec CommandSpec spec;

    @Parameters(paramLabel = "FUNCTION_NAME", arity = "0..*")
    List<String> names = new ArrayList<>();

    @Option(
        names = {"-n", "--namespace"},
        description = "Specify namespace for the function")
    String namespace;

    @Option(
        names = {"-o", "--out"},
        defaultValue = "",
        description = "Output format. One of: json|yaml|wide")
    String out;

    @Mixin TargetOption target;

    ListFunctions(Cli cli) {
      this.cli = cli;
    }

    @Override
    public Integer call() {
      if (!List.of("", "wide", "json", "yaml").contains(out)) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "Wrong output format \"" + out + "\": use json, yaml or wide");
      }
      var local = cli.local(target);
      if (local.isPresent()) {
        return listLocal(local.get());
      }
      String ns = cli.namespace(namespace);
      List<Function> found = new ArrayList<>();
      if (names.isEmpty()) {
        found.addAll(functions(cli.client()).inNamespace(ns).list().getItems());
        found.sort(Comparator.comparing(f -> f.getMetadata().getName()));
      } else {
        for (String name : names) {
          found.add(get(cli, ns, name));
        }
      }
      switch (out) {
        case "json", "yaml" -> found.forEach(f -> cli.print(f, out));
        case "wide" ->
            Tables.print(cli.out(), wideHeader(), found.stream().map(ListFunctions::wide).toList());
        default ->
            Tables.print(cli.out(), header(), found.stream().map(ListFunctions::row).toList());
      }
      return 0;
    }

    private int listLocal(LocalAdmin admin) {
      String ns = localNamespace(namespace);
      List<JsonNode> found = new ArrayList<>();
      if (names.isEmpty()) {
        admin.functions().stream()
            .filter(f -> f.path("namespace").asText().equals(ns))
            .sorted(Comparator.comparing(f -> f.path("name").asText()))
            .forEach(found::add);
      } else {
        for (String name : names) {
          found.add(admin.function(ns, name));
        }
      }
      switch (out) {
        case "json", "yaml" -> found.forEach(f -> cli.print(f, out));
        case "wide" ->
            Tables.print(
                cli.out(), wideHeader(), found.stream().map(ListFunctions::localWide).toList());
        default ->
            Tables.print(cli.out(), header(), found.stream().map(ListFunctions::localRow).toList());
      }
      return 0;
    }

    static List<String> localRow(JsonNode f) {
      return List.of(
          f.path("name").asText(),
          f.path("namespace").asText(),
          f.path("handler").asText(""),
          f.path("runtime").asText(""),
          f.path("deps").asText(""),
          localStatus(f));
    }

    static List<String> localWide(JsonNode f) {
      List<String> row = new ArrayList<>(localRow(f));
      List<String> labels = new ArrayList<>();
      f.path("labels")
          .fields()
          .forEachRemaining(e -> labels.add(e.getKey() + ":" + e.getValue().asText()));
      row.add("");
      row.add("");
      row.add(String.join(",", labels));
      return row;
    }

    static List<String> header() {
      return List.of("NAME", "NAMESPACE", "HANDLER", "RUNTIME", "DEPENDENCIES", "STATUS");
    }

    static List<String> wideHeader() {
      List<String> header = new ArrayList<>(header());
      header.addAll(List.of("MEMORY", "ENV", "LABEL"));
      return header;
    }

    static List<String> row(Function f) {
      FunctionSpec spec = f.getSpec();
      return List.of(
          f.getMetadata().getName(),
          f.getMetadata().getNamespace(),
          nullToEmpty(spec.getHandler()),
          nullToEmpty(spec.getRuntime()),
          nullToEmpty(spec.getDeps()),
          status(f));
    }

    static List<String> wide(Function f) {
      List<String> row = new ArrayList<>(row(f));
      var container =
          f.getSpec().getDeployment() == null
              ? null
              : f.getSpec().getDeployment().at("/spec/template/spec/containers/0");
      String memory =
          container == null ? "" : container.at("/resources/requests/memory").asText("");
      List<String> env = new ArrayList<>();
      if (container != null) {
        container
            .path("env")
            .forEach(e -> env.add(e.path("name").asText() + "=" + e.path("value").asText()));
      }
      List<String> labels = new ArrayList<>();
      if (f.getMetadata().getLabels() != null) {
        f.getMetadata().getLabels().forEach((k, v) -> labels.add(k + ":" + v));
      }
      row.add(memory);
      row.add(String.join(",", env));
      row.add(String.join(",", labels));
      return row;
    }
  }

  /** {@code function describe <name>}; unlike Kubeless, it has no {@code ls} alias. */
  @Command(
      name = "describe",
      description = "describe a function deployed to Kubeless",
      mixinStandardHelpOptions = true)
  static final class Describe implements Callable<Integer> {
    private final Cli cli;

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FUNCTION_NAME")
    String name;

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

    Describe(Cli cli) {
      this.cli = cli;
    }

    @Override
    public Integer call() {
      if (!List.of("", "json", "yaml").contains(out)) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "Wrong output format \"" + out + "\": use json or yaml");
      }
      var local = cli.local(target);
      if (local.isPresent()) {
        JsonNode f = local.get().function(localNamespace(namespace), name);
        if (!out.isEmpty()) {
          cli.print(f, out);
          return 0;
        }
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("Name", f.path("name").asText());
        fields.put("Namespace", f.path("namespace").asText());
        fields.put("Handler", f.path("handler").asText(""));
        fields.put("Runtime", f.path("runtime").asText(""));
        fields.put("Label", f.path("labels").toString());
        fields.put("Envvars", "[]");
        fields.put("Memory", "");
        fields.put("Dependencies", f.path("deps").asText(""));
        fields.put("Status", localStatus(f));
        String health = f.path("health").asText("");
        if (!health.isBlank()) {
          fields.put("Health", health); // what the runtime's /healthz says while not ready
        }
        fields.put("URL", f.path("url").asText(""));
        fields.put("PID", f.path("pid").asText(""));
        fields.forEach((k, v) -> cli.out().printf("%-14s%s%n", k + ":", v));
        return 0;
      }
      String ns = cli.namespace(namespace);
      Function f = get(cli, ns, name);
      if (!out.isEmpty()) {
        cli.print(f, out);
        return 0;
      }
      var serialization = cli.serialization();
      var container =
          f.getSpec().getDeployment() == null
              ? null
              : f.getSpec().getDeployment().at("/spec/template/spec/containers/0");
      Map<String, String> fields = new LinkedHashMap<>();
      fields.put("Name", f.getMetadata().getName());
      fields.put("Namespace", f.getMetadata().getNamespace());
      fields.put("Handler", nullToEmpty(f.getSpec().getHandler()));
      fields.put("Runtime", nullToEmpty(f.getSpec().getRuntime()));
      fields.put("Label", serialization.asJson(f.getMetadata().getLabels()));
      fields.put(
          "Envvars",
          container == null || container.path("env").isMissingNode()
              ? "[]"
              : container.path("env").toString());
      fields.put(
          "Memory", container == null ? "" : container.at("/resources/requests/memory").asText(""));
      fields.put("Dependencies", nullToEmpty(f.getSpec().getDeps()));
      fields.put("Status", status(f));
      fields.forEach((k, v) -> cli.out().printf("%-14s%s%n", k + ":", v));
      return 0;
    }
  }

  /** {@code function call <name>}: through the API server's service proxy. */
  @Command(name = "call", description = "call function from cli", mixinStandardHelpOptions = true)
  static final class Call implements Callable<Integer> {
    private final Cli cli;

    @Parameters(index = "0", paramLabel = "FUNCTION_NAME")
    String name;

    @Option(
        names = {"-d", "--data"},
        description = "Specify data for function (@FILE reads it from a file)")
    String data;

    @Option(
        names = {"-n", "--namespace"},
        description = "Specify namespace for the function")
    String namespace;

    @Option(
        names = {"-X", "--request"},
        description = "HTTP method (default: GET without data, POST with it)")
    String method;

    @Option(
        names = {"-H", "--header"},
        description = "Extra header 'Name: value' (repeatable)")
    List<String> headers = new ArrayList<>();

    @Option(names = "--fail", description = "Exit with code 1 when the function answers >= 400")
    boolean fail;

    @Option(
        names = {"-i", "--include"},
        description = "Print the response status line and headers")
    boolean include;

    @Mixin TargetOption target;

    Call(Cli cli) {
      this.cli = cli;
    }

    @Override
    public Integer call() throws IOException {
      var local = cli.local(target);
      if (local.isPresent()) {
        String ns = localNamespace(namespace);
        FunctionCall request =
            FunctionCall.of(ns, name, "", payload(), method, headers, Clock.systemUTC());
        java.net.http.HttpResponse<byte[]> r = local.get().call(ns, name, request);
        if (r.statusCode() == 408) {
          throw new Cli.CliException("Request timeout exceeded");
        }
        if (include) {
          cli.out().println("HTTP " + r.statusCode());
          r.headers()
              .map()
              .forEach(
                  (k, vs) -> {
                    if (!k.startsWith(":")) {
                      vs.forEach(v -> cli.out().println(k + ": " + v));
                    }
                  });
          cli.out().println();
        }
        cli.out().println(new String(r.body(), StandardCharsets.UTF_8));
        return fail && r.statusCode() >= 400 ? 1 : 0;
      }
      String ns = cli.namespace(namespace);
      FunctionCall request =
          FunctionCall.of(ns, name, port(ns), payload(), method, headers, Clock.systemUTC());
      // A function call is not idempotent: no retries on 5xx, and no client-side timeout (the
      // function's own timeout applies), unlike the client's defaults for API requests.
      Config config =
          new ConfigBuilder(cli.client().getConfiguration())
              .withRequestRetryBackoffLimit(0)
              .withRequestTimeout(0)
              .build();
      HttpResponse<byte[]> response;
      try (KubernetesClient callClient = new KubernetesClientBuilder().withConfig(config).build()) {
        var http = callClient.getHttpClient();
        String master = config.getMasterUrl();
        HttpRequest.Builder builder =
            http.newHttpRequestBuilder()
                .uri((master.endsWith("/") ? master : master + "/") + request.path());
        request
            .headers()
            .forEach(
                (k, v) -> {
                  if (!k.equalsIgnoreCase("Content-Type")) {
                    builder.header(k, v);
                  }
                });
        String contentType = request.contentType();
        if (request.body() != null || !request.method().equals("GET")) {
          byte[] body = request.body() == null ? new byte[0] : request.body();
          builder.method(
              request.method(),
              contentType == null ? FunctionCall.FORM : contentType,
              new ByteArrayInputStream(body),
              (long) body.length);
        }
        response = http.sendAsync(builder.build(), byte[].class).get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new Cli.CliException("interrupted", e);
      } catch (ExecutionException e) {
        throw new KubernetesClientException(
            "calling function \"" + name + "\" failed", e.getCause());
      }
      if (response.code() == 408) {
        throw new Cli.CliException("Request timeout exceeded");
      }
      if (include) {
        cli.out().println("HTTP " + response.code() + " " + nullToEmpty(response.message()));
        response.headers().forEach((k, vs) -> vs.forEach(v -> cli.out().println(k + ": " + v)));
        cli.out().println();
      }
      byte[] body = response.body() == null ? new byte[0] : response.body();
      cli.out().println(new String(body, StandardCharsets.UTF_8));
      return fail && response.code() >= 400 ? 1 : 0;
    }

    /** The Service port's name, else its number, as Kubeless addresses the proxy. */
    private String port(String ns) {
      Service service = cli.client().services().inNamespace(ns).withName(name).get();
      if (service == null || service.getSpec().getPorts().isEmpty()) {
        Function function = get(cli, ns, name);
        return String.valueOf(FunctionFields.servicePort(function.getSpec()));
      }
      ServicePort port = service.getSpec().getPorts().get(0);
      return port.getName() == null || port.getName().isBlank()
          ? String.valueOf(port.getPort())
          : port.getName();
    }

    private byte[] payload() throws IOException {
      if (data == null) {
        return null;
      }
      if (data.startsWith("@")) {
        return Files.readAllBytes(Path.of(data.substring(1)));
      }
      return data.getBytes(StandardCharsets.UTF_8);
    }
  }

  /** A local function's namespace: {@code -n}, else {@code default} (no kube context is read). */
  static String localNamespace(String flag) {
    return flag == null || flag.isBlank() ? "default" : flag;
  }

  /** The STATUS of a local function: its one process, ready or not. */
  static String localStatus(JsonNode f) {
    return f.path("ready").asBoolean() ? "1/1 READY" : "0/1 NOT READY";
  }

  static void checkOutput(CommandSpec spec, String output) {
    if (!output.equals("yaml") && !output.equals("json")) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "Wrong output format \"" + output + "\": use yaml or json");
    }
  }

  static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }
}
