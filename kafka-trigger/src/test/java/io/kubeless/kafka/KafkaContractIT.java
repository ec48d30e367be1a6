package io.kubeless.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.KafkaTriggerSpec;
import io.kubeless.kafka.source.ConsumerSettings;
import io.kubeless.kafka.source.KafkaClientProperties;
import io.kubeless.kafka.source.KafkaSource;
import io.kubeless.testing.MockApiServer;
import io.kubeless.testing.PackagedApp;
import io.kubeless.testing.RecordingFunction;
import io.kubeless.testing.TestFunctions;
import io.kubeless.testing.TriggerEngineContractTest;
import io.kubeless.trigger.delivery.Ordering;
import io.kubeless.trigger.engine.TriggerEngine;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.Test;

/**
 * The delivery contract on Kafka: a KRaft broker in the test JVM; the engine alone for delivery,
 * the packaged application (prod profile, its own OS process, against the mock API server) for
 * SIGKILL and replicas. A SIGKILL loses at most the records committed but not yet sent: one poll
 * ({@code max-poll-records}, 100 here) per partition.
 */
class KafkaContractIT extends TriggerEngineContractTest {

  private static final int MAX_POLL_RECORDS = 100;

  @Override
  protected Stream stream(String prefix, int units) {
    String topic = TestFunctions.unique(prefix);
    TestingKafka.createTopic(topic, units);
    return new Stream() {
      @Override
      public String name() {
        return topic;
      }

      @Override
      public void publish(List<Message> messages) {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (Message m : messages) {
          ProducerRecord<byte[], byte[]> record =
              new ProducerRecord<>(
                  topic,
                  m.unit(),
                  m.key() == null ? null : m.key().getBytes(StandardCharsets.UTF_8),
                  m.payload());
          if (m.contentType() != null) {
            record
                .headers()
                .add(
                    new RecordHeader(
                        "content-type", m.contentType().getBytes(StandardCharsets.UTF_8)));
          }
          records.add(record);
        }
        TestingKafka.produce(records);
      }
    };
  }

  @Override
  protected Binding bind(TriggerEngine engine, Stream stream, String function, Ordering ordering) {
    KafkaSource source = new KafkaSource(engine, settings());
    KafkaTriggerSpec spec = new KafkaTriggerSpec();
    spec.setTopic(stream.name());
    spec.setFunctionSelector(selecting(function));
    spec.setInitialOffset("earliest");
    spec.setOrdering(ordering.label());
    return bindThrough(engine, source, function, spec);
  }

  static ConsumerSettings settings() {
    Map<String, Object> props = KafkaClientProperties.defaults();
    props.put("bootstrap.servers", TestingKafka.bootstrap());
    props.put("max.poll.records", 50);
    return new ConsumerSettings(
        props,
        "latest",
        Duration.ofSeconds(10),
        Duration.ofSeconds(5),
        Duration.ofSeconds(1),
        Duration.ofMillis(100),
        "kubeless-trigger-positions",
        ConsumerSettings.CLAIM_INTERVAL);
  }

  @Override
  protected Deployment deploy(Stream stream, RecordingFunction function) {
    MockApiServer api = MockApiServer.withCrds("kafkatriggers", "functions");
    KubernetesClient client = api.client();
    String ns = TestFunctions.unique("contract");
    TestFunctions.create(client, ns, function, Map.of("app", "counter"), true);
    client
        .resource(TestingKafka.trigger(ns, "count", stream.name(), Map.of("app", "counter")))
        .create();
    String group = ns + "_count_" + function.name() + "_" + stream.name();
    int partitions = 3;
    return packaged(
        api,
        identity -> replica(api, identity),
        () ->
            TestingKafka.committed(group)
                .equals(TestingKafka.endOffsets(stream.name(), partitions)));
  }

  private static PackagedApp replica(MockApiServer api, String identity) {
    return packagedTrigger(api)
        // the recording function listens on 127.0.0.1, on its Function's Service port
        .property("kubeless.trigger.functions.url-template", "http://127.0.0.1:{port}")
        .env("KAFKA_BROKERS", TestingKafka.bootstrap())
        .property("kubeless.kafka.consumer.max-poll-records", String.valueOf(MAX_POLL_RECORDS))
        .property("kubeless.kafka.consumer.probe-interval", "1s")
        // a killed replica's partitions are taken over once its Leases expire
        .property("kubeless.kafka.lease-duration", "3s")
        .property("kubeless.kafka.renew-interval", "1s")
        .start(identity);
  }

  @Override
  protected int unit(RecordingFunction.Request request) {
    return request.partition();
  }

  @Override
  protected long position(RecordingFunction.Request request) {
    return request.offset();
  }

  @Override
  protected int lossBoundPerKill(int units) {
    return MAX_POLL_RECORDS * units;
  }

  /**
   * A rolling update's SIGTERM while a request hangs: the trigger waits for it only up to its stop
   * timeout, hands back the rest, and exits within the Deployment's termination grace period (30 s
   * in k8s/kafka-trigger).
   */
  @Test
  void aGracefulStopEndsWithinTheTerminationGracePeriodEvenWithAHungFunction() throws Exception {
    Stream stream = stream("hung", 1);
    stream.publish(List.of(Message.json(0, null, 0), Message.json(0, null, 1)));
    try (RecordingFunction hung = new RecordingFunction("hung");
        MockApiServer api = MockApiServer.withCrds("kafkatriggers", "functions")) {
      hung.delay(Duration.ofMinutes(5));
      KubernetesClient client = api.client();
      String ns = TestFunctions.unique("hung");
      Function function = TestFunctions.create(client, ns, hung, Map.of("app", "hung"), true);
      function.getSpec().setTimeout("600");
      client.resource(function).update();
      client
          .resource(TestingKafka.trigger(ns, "hung", stream.name(), Map.of("app", "hung")))
          .create();
      try (PackagedApp replica = replica(api, "hung-0")) {
        await().atMost(TIMEOUT).until(() -> hung.received() == 1);

        assertThat(replica.terminate(Duration.ofSeconds(30))).as("ended within 30 s").isTrue();
      }
      // the hung request counts as sent; the next record was handed back, never sent twice
      assertThat(TestingKafka.committed(ns + "_hung_hung_" + stream.name()).values())
          .containsExactly(1L);
      assertThat(hung.duplicates()).isEmpty();
    }
  }
}
