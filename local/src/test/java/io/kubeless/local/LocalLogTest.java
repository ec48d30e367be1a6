package io.kubeless.local;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Each line of local mode's own log says which part of it wrote it. */
class LocalLogTest {

  @Test
  void linesArePrefixedByWhatWroteThem() {
    assertThat(LocalLog.prefix("org.apache.kafka.clients.consumer.KafkaConsumer"))
        .isEqualTo("[kafka] ");
    assertThat(LocalLog.prefix("io.kubeless.kafka.source.KafkaSource")).isEqualTo("[kafka] ");
    assertThat(LocalLog.prefix("io.nats.client.impl.NatsConnection")).isEqualTo("[nats] ");
    assertThat(LocalLog.prefix("io.kubeless.nats.source.NatsConnection")).isEqualTo("[nats] ");
    assertThat(LocalLog.prefix("io.kubeless.kinesis.source.ShardReader")).isEqualTo("[kinesis] ");
    assertThat(LocalLog.prefix("software.amazon.awssdk.request")).isEqualTo("[kinesis] ");
    assertThat(LocalLog.prefix("io.kubeless.http.gateway.Gateway")).isEqualTo("[http] ");
    assertThat(LocalLog.prefix("io.kubeless.cron.source.CronWorker")).isEqualTo("[cron] ");
    assertThat(LocalLog.prefix("io.kubeless.trigger.engine.Bindings")).isEqualTo("[engine] ");
    assertThat(LocalLog.prefix("io.kubeless.local.LocalPlatform")).isEqualTo("[local] ");
  }
}
