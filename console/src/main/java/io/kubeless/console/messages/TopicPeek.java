package io.kubeless.console.messages;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StreamInfo;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The latest messages of a Kafka topic or a JetStream-captured NATS subject, read without a
 * consumer group or a durable consumer (the console's "Peek", in local mode and on a cluster):
 * nothing is committed, nothing stays open. Values that are UTF-8 text are given as text, others in
 * base64.
 */
public final class TopicPeek {

  /** Nothing to read from: answered as a 409 with this message. */
  public static final class Unavailable extends Exception {
    public Unavailable(String message) {
      super(message);
    }
  }

  private static final Duration WAIT = Duration.ofSeconds(10);
  // sequences looked at, newest first, to find a subject's messages in a stream of many subjects
  private static final int NATS_SCAN = 1_000;

  private TopicPeek() {}

  /** The last {@code limit} records of {@code topic} across its partitions, newest last. */
  public static Map<String, Object> kafka(String bootstrap, String topic, int limit)
      throws Exception {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "kubeless-local-peek");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) WAIT.toMillis());
    props.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) WAIT.toMillis());
    List<Map<String, Object>> messages = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<PartitionInfo> infos = consumer.listTopics(WAIT).get(topic);
      List<TopicPartition> partitions =
          (infos == null ? List.<PartitionInfo>of() : infos)
              .stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions, WAIT);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, WAIT);
      Map<TopicPartition, Long> remaining = new LinkedHashMap<>();
      for (TopicPartition tp : partitions) {
        long from = Math.max(begin.get(tp), end.get(tp) - limit);
        consumer.seek(tp, from);
        if (end.get(tp) > from) {
          remaining.put(tp, end.get(tp));
        }
      }
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (!remaining.isEmpty() && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          TopicPartition tp = new TopicPartition(r.topic(), r.partition());
          Long until = remaining.get(tp);
          if (until == null || r.offset() >= until) {
            continue;
          }
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("partition", r.partition());
          m.put("offset", r.offset());
          m.put("timestamp", r.timestamp()); // as text once sorted
          m.put("key", r.key() == null ? null : text(r.key()).orElse(b64(r.key())));
          putValue(m, r.value());
          messages.add(m);
          if (r.offset() + 1 >= until) {
            remaining.remove(tp);
          }
        }
        for (TopicPartition tp : List.copyOf(remaining.keySet())) {
          if (consumer.position(tp) >= remaining.get(tp)) {
            remaining.remove(tp); // compacted or transaction markers: nothing more to read
          }
        }
      }
    }
    messages.sort(
        Comparator.comparing((Map<String, Object> m) -> (Long) m.get("timestamp"))
            .thenComparing(m -> (Integer) m.get("partition"))
            .thenComparing(m -> (Long) m.get("offset")));
    messages.forEach(
        m -> m.put("timestamp", Instant.ofEpochMilli((Long) m.get("timestamp")).toString()));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("topic", topic);
    out.put("messages", messages.subList(Math.max(0, messages.size() - limit), messages.size()));
    return out;
  }

  /**
   * The last {@code limit} messages on {@code subject} that a JetStream stream captured, newest
   * last; core NATS keeps nothing to read.
   */
  public static Map<String, Object> nats(String url, String subject, int limit) throws Exception {
    io.nats.client.Options options =
        new io.nats.client.Options.Builder()
            .server(url)
            .connectionTimeout(Duration.ofSeconds(5))
            .maxReconnects(0)
            .build();
    try (Connection nc = Nats.connect(options)) {
      JetStreamManagement jsm = nc.jetStreamManagement();
      List<String> streams = jsm.getStreamNames(subject);
      if (streams.isEmpty()) {
        throw new Unavailable(
            "core NATS keeps no messages: no JetStream stream captures \"%s\"".formatted(subject));
      }
      String stream = streams.get(0);
      StreamInfo info = jsm.getStreamInfo(stream);
      long first = info.getStreamState().getFirstSequence();
      List<Map<String, Object>> messages = new ArrayList<>();
      for (long seq = info.getStreamState().getLastSequence();
          seq >= first
              && seq > 0
              && messages.size() < limit
              && info.getStreamState().getLastSequence() - seq < NATS_SCAN;
          seq--) {
        MessageInfo mi;
        try {
          mi = jsm.getMessage(stream, seq);
        } catch (JetStreamApiException e) {
          continue; // deleted
        }
        if (!matches(subject, mi.getSubject())) {
          continue;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sequence", mi.getSeq());
        m.put("subject", mi.getSubject());
        m.put("timestamp", mi.getTime() == null ? null : mi.getTime().toInstant().toString());
        putValue(m, mi.getData());
        messages.add(0, m);
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("subject", subject);
      out.put("stream", stream);
      out.put("messages", messages);
      return out;
    }
  }

  /**
   * Whether {@code subject} is one {@code filter} names ({@code *} one token, {@code >} the rest).
   */
  static boolean matches(String filter, String subject) {
    String[] f = filter.split("\\.");
    String[] s = subject.split("\\.");
    for (int i = 0; i < f.length; i++) {
      if (f[i].equals(">")) {
        return s.length > i;
      }
      if (i >= s.length || !(f[i].equals("*") || f[i].equals(s[i]))) {
        return false;
      }
    }
    return f.length == s.length;
  }

  private static void putValue(Map<String, Object> m, byte[] value) {
    byte[] v = value == null ? new byte[0] : value;
    Optional<String> text = text(v);
    m.put("value", text.orElse(b64(v)));
    m.put("encoding", text.isPresent() ? "utf8" : "base64");
  }

  private static Optional<String> text(byte[] bytes) {
    try {
      return Optional.of(
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString());
    } catch (CharacterCodingException e) {
      return Optional.empty();
    }
  }

  private static String b64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }
}
