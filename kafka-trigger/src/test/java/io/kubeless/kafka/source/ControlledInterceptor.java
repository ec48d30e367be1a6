package io.kubeless.kafka.source;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * A consumer interceptor (Kafka's own plug-in point, set with {@code interceptor.classes}) that
 * lets a test make a consumer of one group fail to be constructed, or hold its poll thread inside
 * {@code poll()} past {@code max.poll.interval.ms}, so that the member leaves its group and loses
 * its partitions as a stalled process would.
 */
public final class ControlledInterceptor implements ConsumerInterceptor<byte[], byte[]> {

  private static final Map<String, AtomicInteger> FAILURES = new ConcurrentHashMap<>();
  private static final Map<String, AtomicInteger> CONSTRUCTIONS = new ConcurrentHashMap<>();
  private static final Map<String, TopicPartition> BLOCK_ON = new ConcurrentHashMap<>();
  private static final Map<String, CountDownLatch> RELEASE = new ConcurrentHashMap<>();
  private static final Map<String, CountDownLatch> BLOCKED = new ConcurrentHashMap<>();

  private String group;

  /** The next {@code times} consumers of {@code group} fail to be constructed. */
  static void failConstruction(String group, int times) {
    FAILURES.put(group, new AtomicInteger(times));
  }

  /** How many consumers of {@code group} were constructed or attempted. */
  static int constructions(String group) {
    return CONSTRUCTIONS.getOrDefault(group, new AtomicInteger()).get();
  }

  /**
   * The next poll of {@code group} returning records of {@code partition} blocks until released.
   */
  static void blockOn(String group, TopicPartition partition) {
    RELEASE.put(group, new CountDownLatch(1));
    BLOCKED.put(group, new CountDownLatch(1));
    BLOCK_ON.put(group, partition);
  }

  static boolean blocked(String group) {
    return BLOCKED.get(group).getCount() == 0;
  }

  static void release(String group) {
    BLOCK_ON.remove(group);
    RELEASE.get(group).countDown();
  }

  @Override
  public void configure(Map<String, ?> configs) {
    group = String.valueOf(configs.get("group.id"));
    CONSTRUCTIONS.computeIfAbsent(group, g -> new AtomicInteger()).incrementAndGet();
    AtomicInteger failures = FAILURES.get(group);
    if (failures != null && failures.getAndDecrement() > 0) {
      throw new IllegalStateException("injected construction failure of a consumer of " + group);
    }
  }

  @Override
  public ConsumerRecords<byte[], byte[]> onConsume(ConsumerRecords<byte[], byte[]> records) {
    TopicPartition partition = BLOCK_ON.get(group);
    if (partition != null && !records.records(partition).isEmpty()) {
      BLOCK_ON.remove(group);
      BLOCKED.get(group).countDown();
      try {
        RELEASE.get(group).await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return records;
  }

  @Override
  public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {}

  @Override
  public void close() {}
}
