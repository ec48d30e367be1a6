package io.kubeless.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kubeless topic}: Kafka topics, through Kafka's Admin client and a producer. Kubeless
 * exec'd kafka-topics.sh inside the pod labelled kubeless=kafka, which broke with any other Kafka.
 */
@Command(
    name = "topic",
    description = "manage message topics in Kubeless",
    mixinStandardHelpOptions = true,
    subcommands = {
      TopicCommand.Create.class,
      TopicCommand.Delete.class,
      TopicCommand.ListTopics.class,
      TopicCommand.Publish.class
    })
final class TopicCommand implements Callable<Integer> {

  static final String DEFAULT_BOOTSTRAP = "localhost:9092";
  static final long TIMEOUT_SECONDS = 15;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return CommandLine.ExitCode.USAGE;
  }

  /** Where the broker is; {@code --kafka-namespace} is kept for scripts written for Kubeless. */
  static final class Broker {
    @Option(
        names = "--kafka-bootstrap",
        description =
            "Kafka bootstrap servers (default: env KAFKA_BROKERS, else " + DEFAULT_BOOTSTRAP + ")")
    String bootstrap;

    @Option(
        names = "--kafka-namespace",
        defaultValue = "kubeless",
        description =
            "Accepted for compatibility with Kubeless and ignored: the broker is"
                + " reached at --kafka-bootstrap, not by exec-ing into a pod in this namespace")
    String kafkaNamespace;

    @Mixin TargetOption target;

    private String resolved;

    /**
     * {@code --kafka-bootstrap}, else {@code KAFKA_BROKERS}, else the Kafka of the local mode
     * running here ({@code kafka} of its {@code local.json}: its embedded broker, which is on
     * another port when 9092 was taken), else {@code localhost:9092}. A local mode that runs no
     * Kafka yet (it starts its broker with its first KafkaTrigger) is a failure saying so.
     */
    String bootstrap() {
      if (resolved == null) {
        resolved = resolve();
      }
      return resolved;
    }

    private String resolve() {
      if (bootstrap != null && !bootstrap.isBlank()) {
        return bootstrap;
      }
      String env = System.getenv("KAFKA_BROKERS");
      if (env != null && !env.isBlank()) {
        return env;
      }
      TargetOption.Target where = target == null ? null : target.target;
      if (where == TargetOption.Target.kubernetes) {
        return DEFAULT_BOOTSTRAP;
      }
      Optional<LocalAdmin> local =
          where == TargetOption.Target.local
              ? Optional.of(LocalAdmin.require())
              : LocalAdmin.running();
      if (local.isEmpty()) {
        return DEFAULT_BOOTSTRAP;
      }
      return LocalAdmin.recorded("kafka")
          .orElseThrow(
              () ->
                  new Cli.CliException(
                      "the local mode running here runs no Kafka yet: it starts its embedded broker"
                          + " with its first KafkaTrigger (create the trigger first; its topic is"
                          + " created with it), or give --kafka-bootstrap"));
    }

    Admin admin() {
      Properties props = new Properties();
      props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
      props.put(AdminClientConfig.CLIENT_ID_CONFIG, "kubeless-cli");
      props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) (TIMEOUT_SECONDS * 1000));
      props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) (TIMEOUT_SECONDS * 1000));
      return Admin.create(props);
    }

    /** Waits for a Kafka future, turning its failure into one line naming the broker. */
    <T> T await(org.apache.kafka.common.KafkaFuture<T> future, String what) {
      try {
        return future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause() == null ? e : e.getCause();
        throw new Cli.CliException(
            "%s failed (Kafka at %s): %s".formatted(what, bootstrap(), cause.getMessage()), cause);
      } catch (TimeoutException e) {
        throw new Cli.CliException(
            "%s timed out after %ds: cannot reach Kafka at %s"
                .formatted(what, TIMEOUT_SECONDS, bootstrap()),
            e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new Cli.CliException(what + " interrupted", e);
      }
    }
  }

  /** {@code topic create <topic>}. */
  @Command(name = "create", description = "create a topic", mixinStandardHelpOptions = true)
  static final class Create implements Callable<Integer> {
    private final Cli cli;

    @Parameters(index = "0", paramLabel = "TOPIC")
    String topic;

    @Option(names = "--partitions", defaultValue = "1", description = "Number of partitions")
    int partitions;

    @Option(names = "--replication-factor", defaultValue = "1", description = "Replication factor")
    short replicationFactor;

    @Mixin Broker broker;

    Create(Cli cli) {
      this.cli = cli;
    }

    @Override
    public Integer call() {
      try (Admin admin = broker.admin()) {
        broker.await(
            admin.createTopics(List.of(new NewTopic(topic, partitions, replicationFactor))).all(),
            "creating topic \"" + topic + "\"");
      }
      cli.out().printf("Created topic \"%s\".%n", topic);
      return 0;
    }
  }

  /** {@code topic delete <topic>}. */
  @Command(name = "delete", description = "delete a topic", mixinStandardHelpOptions = true)
  static final class Delete implements Callable<Integer> {
    private final Cli cli;

    @Parameters(index = "0", paramLabel = "TOPIC")
    String topic;

    @Mixin Broker broker;

    Delete(Cli cli) {
      this.cli = cli;
    }

    @Override
    public Integer call() {
      try (Admin admin = broker.admin()) {
        broker.await(admin.deleteTopics(List.of(topic)).all(), "deleting topic \"" + topic + "\"");
      }
      cli.out().printf("Topic \"%s\" deleted.%n", topic);
      return 0;
    }
  }

  /** {@code topic list|ls}. */
  @Command(
      name = "list",
      aliases = "ls",
      description = "list all topics",
      mixinStandardHelpOptions = true)
  static final class ListTopics implements Callable<Integer> {
    private final Cli cli;

    @Mixin Broker broker;

    ListTopics(Cli cli) {
      this.cli = cli;
    }

    @Override
    public Integer call() {
      try (Admin admin = broker.admin()) {
        List<String> names =
            new ArrayList<>(broker.await(admin.listTopics().names(), "listing topics"));
        names.sort(null);
        names.forEach(cli.out()::println);
      }
      return 0;
    }
  }

  /** {@code topic publish --topic T --data D}. */
  @Command(
      name = "publish",
      description = "publish message to a topic",
      mixinStandardHelpOptions = true)
  static final class Publish implements Callable<Integer> {
    private final Cli cli;

    @Option(names = "--topic", required = true, description = "Specify topic name")
    String topic;

    @Option(names = "--data", required = true, description = "Specify data for function")
    String data;

    @Mixin Broker broker;

    Publish(Cli cli) {
      this.cli = cli;
    }

    @Override
    public Integer call() {
      Map<String, Object> config =
          Map.of(
              ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
              broker.bootstrap(),
              ProducerConfig.CLIENT_ID_CONFIG,
              "kubeless-cli",
              ProducerConfig.MAX_BLOCK_MS_CONFIG,
              (int) (TIMEOUT_SECONDS * 1000),
              ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
              (int) (TIMEOUT_SECONDS * 1000),
              // delivery.timeout.ms must cover linger.ms + request.timeout.ms
              ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG,
              (int) (TIMEOUT_SECONDS * 1000) / 2);
      try (var producer =
          new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer())) {
        producer
            .send(
                new ProducerRecord<>(topic, data.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
            .get(TIMEOUT_SECONDS + 5, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause() == null ? e : e.getCause();
        throw new Cli.CliException(
            "publishing to topic \"%s\" failed (Kafka at %s): %s"
                .formatted(topic, broker.bootstrap(), cause.getMessage()),
            cause);
      } catch (TimeoutException e) {
        throw new Cli.CliException(
            "publishing to topic \"%s\" timed out: cannot reach Kafka at %s"
                .formatted(topic, broker.bootstrap()),
            e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new Cli.CliException("interrupted", e);
      } catch (org.apache.kafka.common.KafkaException e) {
        throw new Cli.CliException(
            "publishing to topic \"%s\" failed (Kafka at %s): %s"
                .formatted(topic, broker.bootstrap(), rootMessage(e)),
            e);
      }
      return 0;
    }
  }

  /** The innermost message: "Failed to construct kafka producer" says nothing by itself. */
  static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == e ? e.getMessage() : e.getMessage() + ": " + root.getMessage();
  }
}
