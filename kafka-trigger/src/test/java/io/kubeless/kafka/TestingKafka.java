package io.kubeless.kafka;

import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.v1beta1.KafkaTrigger;
import io.kubeless.api.v1beta1.KafkaTriggerSpec;
import io.kubeless.trigger.kubernetes.LeaseShardCoordinator;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.common.utils.Exit;

/**
 * Real Kafka brokers (KRaft, one combined node) inside the test JVM. {@link #shared()} is started
 * once and shared by every test of the JVM, each using its own topics; {@link #start} starts one
 * with settings of its own. The static methods act on the shared broker.
 */
public final class TestingKafka {

  /** Set when another class loader of this JVM (a Quarkus test resource) started the broker. */
  static final String PROPERTY = "kubeless.test.kafka.bootstrap";

  private static Broker shared;

  /**
   * Outside a Quarkus application nothing configures the log levels, and the JBoss LogManager then
   * lets every Kafka client and broker log at TRACE: a third of the JVM's CPU. These handles keep
   * the levels set.
   */
  private static final List<java.util.logging.Logger> QUIET =
      List.of(
          java.util.logging.Logger.getLogger("org.apache.kafka"),
          java.util.logging.Logger.getLogger("kafka"),
          java.util.logging.Logger.getLogger("state.change.logger"));

  static {
    QUIET.forEach(logger -> logger.setLevel(java.util.logging.Level.WARNING));
  }

  private TestingKafka() {}

  /** One broker and its clients. */
  public static final class Broker implements AutoCloseable {

    private final KafkaClusterTestKit cluster;
    private final String bootstrap;
    private final Admin admin;
    private final KafkaProducer<byte[], byte[]> producer;

    private Broker(KafkaClusterTestKit cluster, String bootstrap) {
      this.cluster = cluster;
      this.bootstrap = bootstrap;
      this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
      this.producer =
          new KafkaProducer<>(
              Map.of(
                  ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                  bootstrap,
                  ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                  false,
                  ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
                  1,
                  ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                  ByteArraySerializer.class,
                  ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                  ByteArraySerializer.class,
                  ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                  8 * 1024 * 1024,
                  ProducerConfig.LINGER_MS_CONFIG,
                  5));
    }

    public String bootstrap() {
      return bootstrap;
    }

    public Admin admin() {
      return admin;
    }

    public void createTopic(String topic, int partitions) {
      try {
        admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
      } catch (InterruptedException | ExecutionException e) {
        throw new IllegalStateException(e);
      }
    }

    /** Sends records and waits until the broker has them all. */
    public void produce(Collection<ProducerRecord<byte[], byte[]>> records) {
      List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
      for (ProducerRecord<byte[], byte[]> record : records) {
        sent.add(producer.send(record));
      }
      producer.flush();
      try {
        for (var f : sent) {
          f.get();
        }
      } catch (InterruptedException | ExecutionException e) {
        throw new IllegalStateException(e);
      }
    }

    /** Sends one record without waiting, for steady-rate producers. */
    public void produceAsync(ProducerRecord<byte[], byte[]> record) {
      producer.send(record);
    }

    /** The group's committed offsets. */
    public Map<TopicPartition, Long> committed(String group) {
      try {
        return admin
            .listConsumerGroupOffsets(group)
            .partitionsToOffsetAndMetadata()
            .get()
            .entrySet()
            .stream()
            .filter(e -> e.getValue() != null)
            .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
      } catch (InterruptedException | ExecutionException e) {
        throw new IllegalStateException(e);
      }
    }

    /** The log end offset of every partition of a topic. */
    public Map<TopicPartition, Long> endOffsets(String topic, int partitions) {
      Map<TopicPartition, OffsetSpec> request = new HashMap<>();
      for (int p = 0; p < partitions; p++) {
        request.put(new TopicPartition(topic, p), OffsetSpec.latest());
      }
      try {
        return admin.listOffsets(request).all().get().entrySet().stream()
            .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
      } catch (InterruptedException | ExecutionException e) {
        throw new IllegalStateException(e);
      }
    }

    /** The members of a consumer group; empty when nobody consumes with it. */
    public Set<String> members(String group) {
      try {
        ConsumerGroupDescription d =
            admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get();
        return d.members().stream().map(m -> m.consumerId()).collect(Collectors.toSet());
      } catch (InterruptedException | ExecutionException e) {
        return Set.of();
      }
    }

    /** The consumer groups the broker knows. */
    public Set<String> groups() {
      try {
        return admin.listGroups().all().get().stream()
            .map(g -> g.groupId())
            .collect(Collectors.toSet());
      } catch (InterruptedException | ExecutionException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void close() throws Exception {
      producer.close();
      admin.close();
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  /** The broker every test of the JVM shares, started on first use. */
  public static synchronized Broker shared() {
    if (shared != null) {
      return shared;
    }
    String running = System.getProperty(PROPERTY);
    if (running != null) {
      shared = new Broker(null, running);
    } else {
      shared = start(Map.of());
      System.setProperty(PROPERTY, shared.bootstrap());
      Broker broker = shared;
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    try {
                      broker.cluster.close();
                    } catch (Exception e) {
                      // the JVM is going anyway
                    }
                  }));
    }
    return shared;
  }

  /** A broker of its own, with {@code config} over the test defaults; the caller closes it. */
  public static Broker start(Map<String, String> config) {
    // A broker halts its JVM on a fatal fault, as it should in production; this JVM is the test
    // run's, which must end by itself and report its results.
    Exit.setExitProcedure(
        (status, message) ->
            System.err.println("Test broker asked to exit " + status + ": " + message));
    Exit.setHaltProcedure(
        (status, message) ->
            System.err.println("Test broker asked to halt " + status + ": " + message));
    try {
      KafkaClusterTestKit.Builder builder =
          new KafkaClusterTestKit.Builder(
                  baseDirectory(new TestKitNodes.Builder())
                      .setCombined(true)
                      .setNumBrokerNodes(1)
                      .setNumControllerNodes(1)
                      .build())
              .setConfigProp("offsets.topic.replication.factor", "1")
              .setConfigProp("offsets.topic.num.partitions", "4")
              .setConfigProp("transaction.state.log.replication.factor", "1")
              .setConfigProp("transaction.state.log.min.isr", "1")
              .setConfigProp("group.initial.rebalance.delay.ms", "0")
              .setConfigProp("group.min.session.timeout.ms", "1000")
              .setConfigProp("auto.create.topics.enable", "false")
              .setConfigProp("message.max.bytes", String.valueOf(8 * 1024 * 1024));
      config.forEach(builder::setConfigProp);
      KafkaClusterTestKit kit = builder.build();
      kit.format();
      kit.startup();
      kit.waitForReadyBrokers();
      return new Broker(kit, kit.bootstrapServers());
    } catch (Exception e) {
      throw new IllegalStateException("Could not start the test broker", e);
    }
  }

  /**
   * Where the broker keeps its logs: {@code -Dkubeless.test.kafka.dir}, else a temporary folder.
   */
  private static TestKitNodes.Builder baseDirectory(TestKitNodes.Builder builder) {
    String dir = System.getProperty("kubeless.test.kafka.dir");
    if (dir != null) {
      try {
        builder.setBaseDirectory(
            java.nio.file.Files.createTempDirectory(java.nio.file.Path.of(dir), "kafka-"));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return builder;
  }

  // --- the shared broker -------------------------------------------------------------------

  /** The shared broker's bootstrap address, starting it on first use. */
  public static String bootstrap() {
    return shared().bootstrap();
  }

  public static void createTopic(String topic, int partitions) {
    shared().createTopic(topic, partitions);
  }

  public static void produce(Collection<ProducerRecord<byte[], byte[]>> records) {
    shared().produce(records);
  }

  public static void produceAsync(ProducerRecord<byte[], byte[]> record) {
    shared().produceAsync(record);
  }

  public static ProducerRecord<byte[], byte[]> record(String topic, int partition, byte[] value) {
    return new ProducerRecord<>(topic, partition, null, value);
  }

  public static Map<TopicPartition, Long> committed(String group) {
    return shared().committed(group);
  }

  public static Map<TopicPartition, Long> endOffsets(String topic, int partitions) {
    return shared().endOffsets(topic, partitions);
  }

  /** The consumer groups the broker knows: with members, or with committed offsets. */
  public static Set<String> groups() {
    return shared().groups();
  }

  /**
   * The bindings of namespace {@code ns} whose partitions are read now, by their consumer group's
   * name ({@code <ns>_<trigger>_<function>_<topic>}), with the replicas that hold their partition
   * Leases.
   */
  public static Map<String, Set<String>> readers(KubernetesClient client, String ns) {
    Map<String, Set<String>> readers = new TreeMap<>();
    List<Lease> leases =
        client
            .resources(Lease.class)
            .inAnyNamespace()
            .withLabel(
                LeaseShardCoordinator.roleLabel(KafkaEngine.LEASES), LeaseShardCoordinator.SHARD)
            .list()
            .getItems();
    for (Lease lease : leases) {
      Map<String, String> a = lease.getMetadata().getAnnotations();
      String holder = lease.getSpec().getHolderIdentity();
      if (a == null
          || holder == null
          || holder.isEmpty()
          || !ns.equals(a.get("kubeless.io/namespace"))) {
        continue;
      }
      String shard = a.get("kubeless.io/shard");
      String group =
          ns
              + "_"
              + a.get("kubeless.io/trigger")
              + "_"
              + a.get("kubeless.io/function")
              + "_"
              + shard.substring(0, shard.lastIndexOf('-'));
      readers.computeIfAbsent(group, g -> new TreeSet<>()).add(holder);
    }
    return readers;
  }

  /** A KafkaTrigger of {@code topic} for the functions labelled {@code selector}, from earliest. */
  public static KafkaTrigger trigger(
      String namespace, String name, String topic, Map<String, String> selector) {
    KafkaTriggerSpec spec = new KafkaTriggerSpec();
    spec.setTopic(topic);
    spec.setFunctionSelector(new LabelSelectorBuilder().withMatchLabels(selector).build());
    spec.setInitialOffset("earliest");
    KafkaTrigger trigger = new KafkaTrigger();
    trigger.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    trigger.setSpec(spec);
    return trigger;
  }
}
