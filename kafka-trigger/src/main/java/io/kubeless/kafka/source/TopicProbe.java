package io.kubeless.kafka.source;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.jboss.logging.Logger;

/**
 * Checks, for every consumer of the engine, that its topic exists and how far its group lags (log
 * end minus committed offsets, over all partitions and all members), with one Admin client on its
 * own thread: the poll threads, which carry the events, never wait for it.
 */
final class TopicProbe implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(TopicProbe.class);

  private final Map<String, Object> adminProperties;
  private final Duration timeout;

  /** Created on the probe thread when first needed, and again after it could not be. */
  private volatile Admin admin;

  private final Set<FunctionConsumer> consumers = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService thread =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("kafka-probe").unstarted(r));

  TopicProbe(Map<String, Object> consumerProperties, Duration interval, Duration timeout) {
    Map<String, Object> props = new HashMap<>(consumerProperties);
    // only what an Admin client understands: connection and security settings
    props.keySet().removeIf(k -> ConsumerConfig.configNames().contains(k) && !shared(k));
    props.put("client.id", "kubeless-kafka-trigger-probe");
    // not created here: a broker address that does not resolve (yet) makes creating it throw,
    // which must show as BrokerUnavailable rather than stop the application
    this.adminProperties = Map.copyOf(props);
    this.timeout = timeout;
    thread.scheduleWithFixedDelay(
        this::probeAll, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static boolean shared(String key) {
    return key.startsWith("bootstrap")
        || key.startsWith("security")
        || key.startsWith("ssl")
        || key.startsWith("sasl")
        || key.startsWith("client.dns")
        || key.startsWith("socket")
        || key.startsWith("reconnect")
        || key.startsWith("retry")
        || key.startsWith("metadata")
        || key.startsWith("connections")
        || key.equals("request.timeout.ms");
  }

  /** Probes {@code consumer} now, then with the others. */
  void add(FunctionConsumer consumer) {
    consumers.add(consumer);
    thread.execute(() -> probe(consumer));
  }

  void remove(FunctionConsumer consumer) {
    consumers.remove(consumer);
  }

  private void probeAll() {
    for (FunctionConsumer consumer : consumers) {
      probe(consumer);
    }
  }

  private void probe(FunctionConsumer consumer) {
    if (!consumers.contains(consumer)) {
      return;
    }
    try {
      Admin admin;
      try {
        admin = admin();
      } catch (KafkaException e) {
        consumer.probed(false, FunctionConsumer.describe(e), -1);
        return;
      }
      TopicDescription topic;
      try {
        topic =
            admin
                .describeTopics(List.of(consumer.topic))
                .allTopicNames()
                .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .get(consumer.topic);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof UnknownTopicOrPartitionException) {
          consumer.probed(true, null, -1);
          return;
        }
        throw e;
      }
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      topic
          .partitions()
          .forEach(
              p ->
                  latest.put(
                      new TopicPartition(consumer.topic, p.partition()), OffsetSpec.latest()));
      Map<TopicPartition, ListOffsetsResultInfo> ends =
          admin.listOffsets(latest).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin
              .listConsumerGroupOffsets(consumer.groupId)
              .partitionsToOffsetAndMetadata()
              .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      Map<TopicPartition, ListOffsetsResultInfo> starts = Map.of();
      if ("earliest".equals(consumer.initialOffset())
          && !committed.keySet().containsAll(latest.keySet())) {
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        latest.keySet().forEach(tp -> earliest.put(tp, OffsetSpec.earliest()));
        starts = admin.listOffsets(earliest).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      }
      long lag = 0;
      for (var end : ends.entrySet()) {
        OffsetAndMetadata at = committed.get(end.getKey());
        ListOffsetsResultInfo start = starts.get(end.getKey());
        long from =
            at != null ? at.offset() : start != null ? start.offset() : end.getValue().offset();
        lag += Math.max(0, end.getValue().offset() - from);
      }
      consumer.probed(false, null, lag);
    } catch (TimeoutException e) {
      consumer.probed(false, "TimeoutException: no answer from the brokers in " + timeout, -1);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      consumer.probed(false, cause.getClass().getSimpleName() + ": " + cause.getMessage(), -1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.errorf(e, "Probing %s failed", consumer.groupId);
    }
  }

  private Admin admin() {
    if (admin == null) {
      admin = Admin.create(adminProperties);
    }
    return admin;
  }

  @Override
  public void close() {
    thread.shutdownNow();
    try {
      thread.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (admin != null) {
      admin.close(Duration.ofSeconds(5));
    }
  }
}
