package io.kubeless.kafka;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * A real Kafka broker (KRaft, one combined node) inside the test JVM, started once and shared by
 * every test of the JVM; each test uses its own topics.
 */
public final class TestingKafka {

  private static KafkaClusterTestKit cluster;
  private static Admin admin;
  private static KafkaProducer<byte[], byte[]> producer;

  private TestingKafka() {}

  /** Set when another class loader of this JVM (a Quarkus test resource) started the broker. */
  static final String PROPERTY = "kubeless.test.kafka.bootstrap";

  private static String bootstrap;

  /** The broker's bootstrap address, starting it on first use. */
  public static synchronized String bootstrap() {
    if (bootstrap != null) {
      return bootstrap;
    }
    String running = System.getProperty(PROPERTY);
    if (running == null) {
      running = start();
      System.setProperty(PROPERTY, running);
    }
    clients(running);
    bootstrap = running;
    return bootstrap;
  }

  private static String start() {
    // A broker halts its JVM on a fatal fault, as it should in production; this JVM is the test
    // run's, which must end by itself and report its results.
    Exit.setExitProcedure(
        (status, message) ->
            System.err.println("Test broker asked to exit " + status + ": " + message));
    Exit.setHaltProcedure(
        (status, message) ->
            System.err.println("Test broker asked to halt " + status + ": " + message));
    try {
      KafkaClusterTestKit kit =
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
              .setConfigProp("message.max.bytes", String.valueOf(8 * 1024 * 1024))
              .build();
      kit.format();
      kit.startup();
      kit.waitForReadyBrokers();
      cluster = kit;
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    try {
                      kit.close();
                    } catch (Exception e) {
                      // the JVM is going anyway
                    }
                  }));
      return kit.bootstrapServers();
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

  private static void clients(String servers) {
    admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, servers));
    producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                servers,
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

  public static void createTopic(String topic, int partitions) {
    bootstrap();
    try {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
    } catch (InterruptedException | ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Sends records and waits until the broker has them all. */
  public static void produce(Collection<ProducerRecord<byte[], byte[]>> records) {
    bootstrap();
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
  public static void produceAsync(ProducerRecord<byte[], byte[]> record) {
    bootstrap();
    producer.send(record);
  }

  public static ProducerRecord<byte[], byte[]> record(String topic, int partition, byte[] value) {
    return new ProducerRecord<>(topic, partition, null, value);
  }

  /** The group's committed offsets. */
  public static Map<TopicPartition, Long> committed(String group) {
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
  public static Map<TopicPartition, Long> endOffsets(String topic, int partitions) {
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
  public static Set<String> members(String group) {
    try {
      ConsumerGroupDescription d =
          admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get();
      return d.members().stream().map(m -> m.consumerId()).collect(Collectors.toSet());
    } catch (InterruptedException | ExecutionException e) {
      return Set.of();
    }
  }

  /** The consumer groups the broker knows. */
  public static Set<String> groups() {
    try {
      return admin.listGroups().all().get().stream()
          .map(g -> g.groupId())
          .collect(Collectors.toSet());
    } catch (InterruptedException | ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }
}
