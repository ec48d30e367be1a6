package io.kubeless.kafka.source;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * A consumer interceptor (Kafka's own plug-in point, set with {@code interceptor.classes}) that
 * lets a test make a consumer of one group fail to be constructed.
 */
public final class ControlledInterceptor implements ConsumerInterceptor<byte[], byte[]> {

  private static final Map<String, AtomicInteger> FAILURES = new ConcurrentHashMap<>();
  private static final Map<String, AtomicInteger> CONSTRUCTIONS = new ConcurrentHashMap<>();

  /** The next {@code times} consumers of {@code group} fail to be constructed. */
  static void failConstruction(String group, int times) {
    FAILURES.put(group, new AtomicInteger(times));
  }

  /** How many consumers of {@code group} were constructed or attempted. */
  static int constructions(String group) {
    return CONSTRUCTIONS.getOrDefault(group, new AtomicInteger()).get();
  }

  @Override
  public void configure(Map<String, ?> configs) {
    String group = String.valueOf(configs.get("group.id"));
    CONSTRUCTIONS.computeIfAbsent(group, g -> new AtomicInteger()).incrementAndGet();
    AtomicInteger failures = FAILURES.get(group);
    if (failures != null && failures.getAndDecrement() > 0) {
      throw new IllegalStateException("injected construction failure of a consumer of " + group);
    }
  }

  @Override
  public ConsumerRecords<byte[], byte[]> onConsume(ConsumerRecords<byte[], byte[]> records) {
    return records;
  }

  @Override
  public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {}

  @Override
  public void close() {}
}
