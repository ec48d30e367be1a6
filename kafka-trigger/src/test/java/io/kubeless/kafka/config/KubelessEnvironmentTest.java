package io.kubeless.kafka.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.common.MapBackedConfigSource;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kubeless's environment variables, through application.properties, become client properties. */
class KubelessEnvironmentTest {

  @TempDir Path dir;

  @Test
  void withoutEnvironmentItConnectsInPlainTextToKubelessDefaultBroker() throws IOException {
    Map<String, Object> props = KafkaTriggerProperties.of(config(Map.of()));

    assertThat(props)
        .containsEntry("bootstrap.servers", "kafka.kubeless:9092")
        .containsEntry("security.protocol", "PLAINTEXT")
        .containsEntry("max.poll.records", 500)
        .containsEntry("allow.auto.create.topics", false)
        .doesNotContainKeys("sasl.jaas.config", "ssl.truststore.location");
  }

  @Test
  void tlsWithClientCertificateAndSaslMapLikeKubeless() throws IOException {
    Path ca = Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\nca\n");
    Path cert = Files.writeString(dir.resolve("cert.pem"), "-----BEGIN CERTIFICATE-----\nme\n");
    Path key = Files.writeString(dir.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\nk\n");

    Map<String, Object> props =
        KafkaTriggerProperties.of(
            config(
                Map.of(
                    "KAFKA_BROKERS", "b1:9093,b2:9093",
                    "KAFKA_ENABLE_TLS", "true",
                    "KAFKA_CACERTS", ca.toString(),
                    "KAFKA_CERT", cert.toString(),
                    "KAFKA_KEY", key.toString(),
                    "KAFKA_INSECURE", "true",
                    "KAFKA_ENABLE_SASL", "true",
                    "KAFKA_USERNAME", "alice",
                    "KAFKA_PASSWORD", "s\"cret")));

    assertThat(props)
        .containsEntry("bootstrap.servers", "b1:9093,b2:9093")
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("ssl.truststore.type", "PEM")
        .containsEntry("ssl.truststore.location", ca.toString())
        .containsEntry("ssl.keystore.type", "PEM")
        .containsEntry("ssl.keystore.certificate.chain", "-----BEGIN CERTIFICATE-----\nme\n")
        .containsEntry("ssl.keystore.key", "-----BEGIN PRIVATE KEY-----\nk\n")
        .containsEntry("ssl.endpoint.identification.algorithm", "")
        .containsEntry("sasl.mechanism", "PLAIN")
        .containsEntry(
            "sasl.jaas.config",
            "org.apache.kafka.common.security.plain.PlainLoginModule required"
                + " username=\"alice\" password=\"s\\\"cret\";");
  }

  @Test
  void saslPlainOverPlainTextIsWarnedAboutAtStartup() throws IOException {
    Map<String, String> sasl =
        Map.of("KAFKA_ENABLE_SASL", "true", "KAFKA_USERNAME", "alice", "KAFKA_PASSWORD", "pw");
    Map<String, String> overTls = new java.util.HashMap<>(sasl);
    overTls.put("KAFKA_ENABLE_TLS", "true");
    Map<String, String> scram = new java.util.HashMap<>(sasl);
    scram.put("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512");

    assertThat(KafkaTriggerProperties.insecurityWarning(KafkaTriggerProperties.of(config(sasl))))
        .hasValueSatisfying(w -> assertThat(w).contains("SASL PLAIN").doesNotContain("pw"));
    assertThat(KafkaTriggerProperties.insecurityWarning(KafkaTriggerProperties.of(config(overTls))))
        .isEmpty();
    assertThat(KafkaTriggerProperties.insecurityWarning(KafkaTriggerProperties.of(config(scram))))
        .isEmpty();
    assertThat(
            KafkaTriggerProperties.insecurityWarning(KafkaTriggerProperties.of(config(Map.of()))))
        .isEmpty();
  }

  @Test
  void incompleteSettingsAreRefusedAsKubelessDid() {
    assertThatThrownBy(
            () ->
                KafkaTriggerProperties.of(
                    config(Map.of("KAFKA_ENABLE_TLS", "true", "KAFKA_CERT", "/c.pem"))))
        .hasMessageContaining("KAFKA_CERT and KAFKA_KEY");
    assertThatThrownBy(
            () ->
                KafkaTriggerProperties.of(
                    config(Map.of("KAFKA_ENABLE_SASL", "true", "KAFKA_USERNAME", "bob"))))
        .hasMessageContaining("KAFKA_PASSWORD");
  }

  @Test
  void furtherConsumerPropertiesPassThrough() throws IOException {
    Map<String, Object> props =
        KafkaTriggerProperties.of(
            config(
                Map.of(
                    "kubeless.kafka.consumer.properties.\"session.timeout.ms\"", "10000",
                    "kubeless.kafka.consumer.max-poll-records", "50")));

    assertThat(props)
        .containsEntry("session.timeout.ms", "10000")
        .containsEntry("max.poll.records", 50);
  }

  /** The configuration as the application sees it, with {@code env} as its environment. */
  private static KafkaTriggerConfig config(Map<String, String> env) throws IOException {
    URL properties = KubelessEnvironmentTest.class.getResource("/application.properties");
    SmallRyeConfig config =
        new SmallRyeConfigBuilder()
            .addDefaultInterceptors()
            .withMapping(KafkaTriggerConfig.class)
            .withConverter(
                java.time.Duration.class,
                100,
                new io.quarkus.runtime.configuration.DurationConverter())
            .withSources(new PropertiesConfigSource(properties, 250))
            .withSources(new MapBackedConfigSource("env", env, 300) {})
            .build();
    return config.getConfigMapping(KafkaTriggerConfig.class);
  }
}
