package io.kubeless.kafka.config;

import io.kubeless.kafka.source.KafkaClientProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;

/**
 * Turns the trigger's configuration (Kubeless's environment) into Kafka consumer properties, on top
 * of the source's {@link KafkaClientProperties#defaults()}.
 */
public final class KafkaTriggerProperties {

  private KafkaTriggerProperties() {}

  /**
   * The properties every consumer shares.
   *
   * @throws IllegalArgumentException when the TLS or SASL settings are incomplete, as Kubeless
   *     refused them too
   */
  public static Map<String, Object> of(KafkaTriggerConfig config) {
    Map<String, Object> props = KafkaClientProperties.defaults();
    props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, config.brokers());
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.consumer().maxPollRecords());

    var tls = config.tls();
    var sasl = config.sasl();
    String protocol =
        sasl.enabled()
            ? (tls.enabled() ? "SASL_SSL" : "SASL_PLAINTEXT")
            : (tls.enabled() ? "SSL" : "PLAINTEXT");
    props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, protocol);
    if (tls.enabled()) {
      if (tls.cert().isPresent() != tls.key().isPresent()) {
        throw new IllegalArgumentException(
            "KAFKA_CERT and KAFKA_KEY go together: set both for mutual TLS, or neither");
      }
      tls.caCerts()
          .ifPresent(
              ca -> {
                props.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
                props.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, ca);
              });
      if (tls.cert().isPresent()) {
        props.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, "PEM");
        props.put(SslConfigs.SSL_KEYSTORE_CERTIFICATE_CHAIN_CONFIG, read(tls.cert().get()));
        props.put(SslConfigs.SSL_KEYSTORE_KEY_CONFIG, read(tls.key().get()));
      }
      if (tls.insecure()) {
        props.put(SslConfigs.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM_CONFIG, "");
      }
    }
    if (sasl.enabled()) {
      String user = sasl.username().filter(s -> !s.isBlank()).orElse(null);
      String password = sasl.password().filter(s -> !s.isBlank()).orElse(null);
      if (user == null || password == null) {
        throw new IllegalArgumentException(
            "KAFKA_ENABLE_SASL needs both KAFKA_USERNAME and KAFKA_PASSWORD");
      }
      String mechanism = sasl.mechanism().trim().toUpperCase(Locale.ROOT);
      String module =
          switch (mechanism) {
            case "PLAIN" -> "org.apache.kafka.common.security.plain.PlainLoginModule";
            case "SCRAM-SHA-256", "SCRAM-SHA-512" ->
                "org.apache.kafka.common.security.scram.ScramLoginModule";
            default ->
                throw new IllegalArgumentException(
                    "SASL mechanism "
                        + mechanism
                        + " is not supported; use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512");
          };
      props.put(SaslConfigs.SASL_MECHANISM, mechanism);
      props.put(
          SaslConfigs.SASL_JAAS_CONFIG,
          "%s required username=\"%s\" password=\"%s\";"
              .formatted(module, jaasEscape(user), jaasEscape(password)));
    }
    props.putAll(config.consumer().properties());
    return props;
  }

  /**
   * What an operator must hear at startup about these properties: SASL PLAIN over a plain-text
   * connection sends the password readable to anyone on the network path.
   */
  public static Optional<String> insecurityWarning(Map<String, Object> props) {
    boolean plaintext =
        "SASL_PLAINTEXT"
            .equalsIgnoreCase(
                String.valueOf(props.get(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG)));
    boolean plain = "PLAIN".equalsIgnoreCase(String.valueOf(props.get(SaslConfigs.SASL_MECHANISM)));
    if (plaintext && plain) {
      return Optional.of(
          "Kafka SASL PLAIN over a plain-text connection: the password crosses the network"
              + " readable by anyone on the path. Enable TLS (KAFKA_ENABLE_TLS=true) or use"
              + " SCRAM-SHA-512 (KAFKA_SASL_MECHANISM)");
    }
    return Optional.empty();
  }

  private static String read(String file) {
    try {
      return Files.readString(Path.of(file));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + file, e);
    }
  }

  private static String jaasEscape(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"");
  }
}
