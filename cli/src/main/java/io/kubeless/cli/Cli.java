package io.kubeless.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.PrintWriter;
import java.util.function.Supplier;

/**
 * What every command shares: the Kubernetes client (created on first use, so {@code version} and
 * {@code --help} never read a kubeconfig), the output streams and the serialization of objects.
 */
final class Cli {

  private final Supplier<KubernetesClient> clientSupplier;
  private final PrintWriter out;
  private final PrintWriter err;
  private static final ObjectWriter JSON = new ObjectMapper().writerWithDefaultPrettyPrinter();
  private final KubernetesSerialization serialization = new KubernetesSerialization();
  private KubernetesClient client;
  private java.util.Optional<LocalAdmin> localAdmin;

  Cli(Supplier<KubernetesClient> clientSupplier, PrintWriter out, PrintWriter err) {
    this.clientSupplier = clientSupplier;
    this.out = out;
    this.err = err;
  }

  KubernetesClient client() {
    if (client == null) {
      client = clientSupplier.get();
    }
    return client;
  }

  /** Whether a command asked for the client, so {@code main} knows whether to close it. */
  boolean clientCreated() {
    return client != null;
  }

  PrintWriter out() {
    return out;
  }

  PrintWriter err() {
    return err;
  }

  /**
   * The running local mode's admin API when the command targets it: {@code --target local} (a
   * failure when none runs here), else none for {@code --target kubernetes}, else the one running
   * here if any.
   */
  java.util.Optional<LocalAdmin> local(TargetOption option) {
    TargetOption.Target target = option == null ? null : option.target;
    if (target == TargetOption.Target.kubernetes) {
      return java.util.Optional.empty();
    }
    if (localAdmin == null) {
      localAdmin =
          target == TargetOption.Target.local
              ? java.util.Optional.of(LocalAdmin.require())
              : LocalAdmin.running();
    }
    return localAdmin;
  }

  /** {@code -n} when given, else the kube context's namespace, else {@code default}. */
  String namespace(String flag) {
    if (flag != null && !flag.isBlank()) {
      return flag;
    }
    String fromContext = client().getNamespace();
    return fromContext == null || fromContext.isBlank() ? "default" : fromContext;
  }

  /** Prints a Kubernetes object as {@code yaml} or {@code json}. */
  void print(Object object, String format) {
    switch (format) {
      case "json" -> {
        try {
          out.println(JSON.writeValueAsString(serialization.convertValue(object, JsonNode.class)));
        } catch (JsonProcessingException e) {
          throw new CliException("cannot print object as JSON: " + e.getMessage(), e);
        }
      }
      case "yaml" -> out.print(serialization.asYaml(object));
      default -> throw new CliException("unknown output format \"" + format + "\"");
    }
  }

  KubernetesSerialization serialization() {
    return serialization;
  }

  /** A failure the user can act on: printed on stderr without a stack trace, exit code 1. */
  static final class CliException extends RuntimeException {
    CliException(String message) {
      super(message);
    }

    CliException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
