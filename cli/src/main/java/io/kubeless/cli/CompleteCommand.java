package io.kubeless.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.kubeless.api.v1beta1.Function;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Unmatched;

/**
 * {@code kubeless __complete functions|triggers <kind>|topics}: the names the shell completion
 * script ({@code kubeless completion bash}) offers, one per line, sorted. Functions come from the
 * running local mode when there is one, else from the kube context; triggers from the kube context;
 * topics from {@code --kafka-bootstrap} (else env {@code KAFKA_BROKERS}, else localhost:9092). On
 * any error (no cluster, no broker, an unknown kind) it prints nothing and exits 0, within seconds:
 * a completion must never print an error into the command line being typed.
 */
@Command(name = "__complete", hidden = true, description = "Names for shell completion")
final class CompleteCommand implements Callable<Integer> {

  /** How long a completion may wait for an answer. */
  static final Duration TIMEOUT = Duration.ofSeconds(2);

  private static final Map<String, Class<? extends CustomResource<?, ?>>> TRIGGERS =
      Map.of(
          "kafka", TriggerCommand.Kafka.KIND.type(),
          "nats", NatsTriggerCommand.KIND.type(),
          "http", HttpTriggerCommand.KIND.type(),
          "cronjob", CronJobTriggerCommand.KIND.type(),
          "kinesis", KinesisTriggerCommand.KIND.type());

  private final Cli cli;

  @Parameters(arity = "0..*", paramLabel = "functions|triggers KIND|topics")
  List<String> what = new ArrayList<>();

  @Option(names = {"-n", "--namespace"})
  String namespace;

  @Mixin TopicCommand.Broker broker;

  /** Whatever else the script passes is ignored rather than a usage error. */
  @Unmatched List<String> ignored = new ArrayList<>();

  CompleteCommand(Cli cli) {
    this.cli = cli;
  }

  @Override
  public Integer call() {
    try {
      List<String> names =
          switch (what.isEmpty() ? "" : what.get(0)) {
            case "functions" -> functions();
            case "triggers" ->
                what.size() > 1 && TRIGGERS.containsKey(what.get(1))
                    ? kube(TRIGGERS.get(what.get(1)))
                    : List.of();
            case "topics" -> topics();
            default -> List.of();
          };
      new TreeSet<>(names).forEach(cli.out()::println);
    } catch (Exception | LinkageError e) {
      // nothing to offer
    }
    return 0;
  }

  private List<String> functions() {
    var local = cli.local(null);
    if (local.isPresent()) {
      String ns = FunctionCommand.localNamespace(namespace);
      return local.get().functions().stream()
          .filter(f -> f.path("namespace").asText().equals(ns))
          .map(f -> f.path("name").asText())
          .toList();
    }
    return kube(Function.class);
  }

  private <T extends CustomResource<?, ?>> List<String> kube(Class<T> type) {
    String ns = cli.namespace(namespace);
    Config config =
        new ConfigBuilder(cli.client().getConfiguration())
            .withConnectionTimeout((int) TIMEOUT.toMillis())
            .withRequestTimeout((int) TIMEOUT.toMillis())
            .withRequestRetryBackoffLimit(0)
            .build();
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
      return client.resources(type).inNamespace(ns).list().getItems().stream()
          .map(r -> r.getMetadata().getName())
          .toList();
    }
  }

  private List<String> topics() throws Exception {
    Properties props = new Properties();
    int millis = (int) TIMEOUT.toMillis();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap());
    props.put(AdminClientConfig.CLIENT_ID_CONFIG, "kubeless-cli-completion");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, millis);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, millis);
    props.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, (long) millis);
    props.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG, (long) millis);
    Admin admin = Admin.create(props);
    try {
      return new ArrayList<>(
          admin.listTopics().names().get(TIMEOUT.toMillis() + 500, TimeUnit.MILLISECONDS));
    } finally {
      admin.close(Duration.ZERO);
    }
  }
}
