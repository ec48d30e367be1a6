package io.kubeless.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.kubeless.api.function.FunctionFields;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The flags {@code function deploy} and {@code function update} share, with Kubeless's spellings.
 * Every field is null unless given, so {@code update} changes only what the user typed; {@code
 * deploy} fills Kubeless's defaults with {@link #applyDefaults()}.
 */
final class FunctionFlags {

  static final String DEFAULT_TIMEOUT = "180";
  static final String DEFAULT_PULL_POLICY = "Always";

  @Option(
      names = {"-r", "--runtime"},
      description = "Specify runtime")
  String runtime;

  @Option(names = "--handler", description = "Specify handler")
  String handler;

  @Option(
      names = {"-f", "--from-file"},
      description = "Specify code file, directory (zipped) or a URL to code file")
  String fromFile;

  @Option(
      names = {"-d", "--dependencies"},
      description = "Specify a file containing list of dependencies for the function")
  String dependencies;

  @Option(
      names = {"-l", "--label"},
      split = ",",
      description =
          "Specify labels of the function. Both separator ':' and '=' are allowed."
              + " For example: --label foo1=bar1,foo2:bar2")
  List<String> labels = new ArrayList<>();

  @Option(
      names = {"-e", "--env"},
      split = ",",
      description =
          "Specify environment variable of the function. Both separator ':' and '=' are"
              + " allowed. For example: --env foo1=bar1,foo2:bar2")
  List<String> env = new ArrayList<>();

  @Option(
      names = {"-n", "--namespace"},
      description = "Specify namespace for the function")
  String namespace;

  @Option(
      names = "--secrets",
      split = ",",
      description =
          "Specify Secrets to be mounted to the functions container (at /<secret>)."
              + " For example: --secrets mySecret")
  List<String> secrets = new ArrayList<>();

  @Option(
      names = "--timeout",
      description =
          "Maximum timeout (in seconds) for the function to complete its execution"
              + " (deploy default: 180)")
  String timeout;

  @Option(
      names = "--port",
      description = "Deploy http-based function to a custom port (deploy default: 8080)")
  Integer port;

  @Option(
      names = "--servicePort",
      description = "Deploy http-based function to a custom service port (default: --port)")
  Integer servicePort;

  @Option(
      names = "--memory",
      description =
          "Request amount of memory, which is measured in bytes, for the function."
              + " It is expressed as a plain integer or a fixed-point integer with one of these"
              + " suffixes: E, P, T, G, M, K, Ei, Pi, Ti, Gi, Mi, Ki")
  String memory;

  @Option(
      names = "--cpu",
      description =
          "Request amount of cpu for the function, which is measured in units of"
              + " cores. Please see the following link for more information:"
              + " https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/")
  String cpu;

  @Option(names = "--runtime-image", description = "Custom runtime image")
  String runtimeImage;

  @Option(
      names = "--image-pull-policy",
      description = "Image pull policy: Always, IfNotPresent or Never (deploy default: Always)")
  String imagePullPolicy;

  @Option(
      names = "--dryrun",
      description = "Output the Function object that would be sent, without sending it")
  boolean dryrun;

  @Option(
      names = {"-o", "--output"},
      defaultValue = "yaml",
      description = "Output format of --dryrun: yaml or json (default: ${DEFAULT-VALUE})")
  String output;

  /** Kubeless's defaults for a new function. */
  void applyDefaults() {
    timeout = timeout == null ? DEFAULT_TIMEOUT : timeout;
    port = port == null ? FunctionFields.DEFAULT_PORT : port;
    imagePullPolicy = imagePullPolicy == null ? DEFAULT_PULL_POLICY : imagePullPolicy;
  }

  /** A new Function named {@code name} in {@code namespace}, as {@code deploy} sends it. */
  Function newFunction(String name, String namespace) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("created-by", "kubeless");
    labels.put("function", name);
    Function function = new Function();
    function.setMetadata(
        new ObjectMetaBuilder().withName(name).withNamespace(namespace).withLabels(labels).build());
    function.setSpec(new FunctionSpec());
    applyTo(function);
    return function;
  }

  /** Merges the given flags onto {@code function}: what was not given is left as it is. */
  void applyTo(Function function) {
    FunctionSpec spec = function.getSpec();
    Map<String, String> labels = new LinkedHashMap<>();
    if (function.getMetadata().getLabels() != null) {
      labels.putAll(function.getMetadata().getLabels());
    }
    labels.putAll(parsePairs(this.labels, "label"));
    function.getMetadata().setLabels(labels);

    if (handler != null) {
      spec.setHandler(handler);
    }
    if (runtime != null) {
      spec.setRuntime(runtime);
    }
    if (timeout != null) {
      spec.setTimeout(timeout);
    }
    if (fromFile != null) {
      FunctionSource source = FunctionSource.read(fromFile);
      spec.setFunction(source.content());
      spec.setFunctionContentType(source.contentType());
      spec.setChecksum(source.checksum());
    }
    if (dependencies != null) {
      spec.setDeps(readText(dependencies));
    }
    applyToDeployment(spec);
    applyToService(spec, labels);
  }

  private void applyToDeployment(FunctionSpec spec) {
    boolean changes =
        !env.isEmpty()
            || memory != null
            || cpu != null
            || runtimeImage != null
            || imagePullPolicy != null
            || !secrets.isEmpty();
    if (!changes) {
      return;
    }
    ObjectNode deployment =
        spec.getDeployment() == null ? JsonNodeFactory.instance.objectNode() : spec.getDeployment();
    ObjectNode podSpec = object(object(object(deployment, "spec"), "template"), "spec");
    ArrayNode containers = array(podSpec, "containers");
    if (containers.isEmpty()) {
      containers.addObject();
    }
    ObjectNode container = (ObjectNode) containers.get(0);
    if (runtimeImage != null) {
      container.put("image", runtimeImage);
    }
    if (imagePullPolicy != null) {
      container.put("imagePullPolicy", imagePullPolicy);
    }
    if (!env.isEmpty()) {
      ArrayNode envs = array(container, "env");
      parsePairs(env, "env")
          .forEach(
              (key, value) -> {
                for (JsonNode existing : envs) {
                  if (key.equals(existing.path("name").asText())) {
                    ((ObjectNode) existing).removeAll().put("name", key).put("value", value);
                    return;
                  }
                }
                envs.addObject().put("name", key).put("value", value);
              });
    }
    if (memory != null || cpu != null) {
      ObjectNode resources = object(container, "resources");
      for (String kind : List.of("limits", "requests")) {
        ObjectNode quantities = object(resources, kind);
        if (memory != null) {
          quantities.put("memory", memory);
        }
        if (cpu != null) {
          quantities.put("cpu", cpu);
        }
      }
    }
    for (String secret : secrets) {
      String volume = secret + "-vol";
      ArrayNode volumes = array(podSpec, "volumes");
      if (!contains(volumes, volume)) {
        volumes.addObject().put("name", volume).putObject("secret").put("secretName", secret);
      }
      ArrayNode mounts = array(container, "volumeMounts");
      if (!contains(mounts, volume)) {
        mounts.addObject().put("name", volume).put("mountPath", "/" + secret);
      }
    }
    spec.setDeployment(deployment);
  }

  /** Kubeless's Service: one port named http-function-port, selecting the function's labels. */
  private void applyToService(FunctionSpec spec, Map<String, String> labels) {
    if (port == null && servicePort == null && spec.getService() != null) {
      return;
    }
    ObjectNode service =
        spec.getService() == null ? JsonNodeFactory.instance.objectNode() : spec.getService();
    JsonNode existing = service.at("/ports/0");
    int target =
        port != null
            ? port
            : existing.path("targetPort").canConvertToInt()
                ? existing.path("targetPort").asInt()
                : FunctionFields.DEFAULT_PORT;
    int exposed =
        servicePort != null
            ? servicePort
            : port == null && existing.path("port").canConvertToInt()
                ? existing.path("port").asInt()
                : target;
    ArrayNode ports = service.putArray("ports");
    ports
        .addObject()
        .put("name", FunctionFields.PORT_NAME)
        .put("port", exposed)
        .put("protocol", "TCP")
        .put("targetPort", target);
    ObjectNode selector = service.putObject("selector");
    labels.forEach(selector::put);
    service.put("type", "ClusterIP");
    spec.setService(service);
  }

  /** {@code k=v} or {@code k:v} pairs, in order; Kubeless accepts both separators. */
  static Map<String, String> parsePairs(List<String> pairs, String what) {
    Map<String, String> parsed = new LinkedHashMap<>();
    for (String pair : pairs) {
      int eq = pair.indexOf('=');
      int colon = pair.indexOf(':');
      int at = eq >= 0 ? eq : colon;
      if (at <= 0) {
        throw new Cli.CliException(
            "invalid " + what + " \"" + pair + "\": expected key=value or key:value");
      }
      parsed.put(pair.substring(0, at).trim(), pair.substring(at + 1).trim());
    }
    return parsed;
  }

  static String readText(String file) {
    try {
      return Files.readString(Path.of(file), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new Cli.CliException("cannot read \"" + file + "\": " + e.getMessage(), e);
    }
  }

  private static ObjectNode object(ObjectNode parent, String field) {
    return parent.get(field) instanceof ObjectNode o ? o : parent.putObject(field);
  }

  private static ArrayNode array(ObjectNode parent, String field) {
    return parent.get(field) instanceof ArrayNode a ? a : parent.putArray(field);
  }

  private static boolean contains(ArrayNode named, String name) {
    for (JsonNode node : named) {
      if (name.equals(node.path("name").asText())) {
        return true;
      }
    }
    return false;
  }
}
