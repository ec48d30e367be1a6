package io.kubeless.kafka.config;

import io.kubeless.trigger.kubernetes.ShardLeaseConfig;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Configuration of the Kafka trigger ({@code kubeless.kafka.*}, its partition Leases' settings
 * included). Kubeless's environment variables ({@code KAFKA_BROKERS}, {@code KAFKA_ENABLE_TLS},
 * ...) map onto it in application.properties.
 */
@ConfigMapping(prefix = "kubeless.kafka")
public interface KafkaTriggerConfig extends ShardLeaseConfig {

  /** Bootstrap servers, {@code host:port[,host:port...]} ({@code KAFKA_BROKERS}). */
  @WithDefault("kafka.kubeless:9092")
  String brokers();

  /** TLS to the brokers. */
  Tls tls();

  /** SASL authentication to the brokers. */
  Sasl sasl();

  /** How records are consumed and delivered. */
  Consumer consumer();

  /** Which topics the KafkaTriggers of a namespace may read. */
  TopicPolicy topicPolicy();

  /**
   * The per-namespace topic policy. Every KafkaTrigger reads with the trigger's own Kafka
   * credentials, so without it any namespace's triggers may read any topic (as in Kubeless).
   */
  interface TopicPolicy {

    /**
     * Whether a namespace's annotation {@code kafka.kubeless.io/allowed-topics} (comma-separated
     * topic names or globs with {@code *}) lists the only topics its KafkaTriggers may read; a
     * namespace without it may read none. Off by default, as in Kubeless. Reading the annotation
     * needs {@code get, list, watch} on {@code namespaces}.
     */
    @WithDefault("false")
    boolean enabled();
  }

  /** TLS settings, Kubeless's PEM files. */
  interface Tls {

    /** Whether to connect with TLS ({@code KAFKA_ENABLE_TLS}). */
    @WithDefault("false")
    boolean enabled();

    /** PEM file of the CAs that sign the brokers' certificates ({@code KAFKA_CACERTS}). */
    Optional<String> caCerts();

    /** PEM file of the client certificate chain, for mutual TLS ({@code KAFKA_CERT}). */
    Optional<String> cert();

    /** PEM file of the client's unencrypted PKCS#8 private key ({@code KAFKA_KEY}). */
    Optional<String> key();

    /**
     * Skip verifying that the broker's certificate names the host ({@code KAFKA_INSECURE}). The
     * certificate must still be signed by a CA of {@code ca-certs} or of the JVM.
     */
    @WithDefault("false")
    boolean insecure();
  }

  /** SASL settings. */
  interface Sasl {

    /** Whether to authenticate with SASL ({@code KAFKA_ENABLE_SASL}). */
    @WithDefault("false")
    boolean enabled();

    /** SASL user ({@code KAFKA_USERNAME}). */
    Optional<String> username();

    /** SASL password ({@code KAFKA_PASSWORD}). */
    Optional<String> password();

    /** {@code PLAIN} (Kubeless's), {@code SCRAM-SHA-256} or {@code SCRAM-SHA-512}. */
    @WithDefault("PLAIN")
    String mechanism();
  }

  /** Consumption settings. */
  interface Consumer {

    /**
     * Most records one poll returns ({@code max.poll.records}). Offsets of a polled batch are
     * committed before any of its records is sent, so this also bounds what a crash can lose: at
     * most this many records per partition, committed but not yet sent. Larger is faster, smaller
     * loses less.
     */
    @WithDefault("500")
    int maxPollRecords();

    /**
     * Where a new consumer group starts when the trigger's {@code spec.initialOffset} is empty:
     * {@code latest} (Kubeless's behaviour) or {@code earliest}.
     */
    @WithDefault("latest")
    String initialOffset();

    /** How long a synchronous offset commit may take before the batch is given up (not sent). */
    @WithDefault("10s")
    Duration commitTimeout();

    /**
     * How long stopping a consumer (a rebalance, a changed trigger, shutdown) waits for a request
     * in flight. The unsent rest of the batch is handed back by committing its first offset.
     */
    @WithDefault("10s")
    Duration stopTimeout();

    /** How often each consumer checks its topic and measures its group's lag. */
    @WithDefault("10s")
    Duration probeInterval();

    /**
     * The longest pause between two polls of a consumer that found nothing: what an idle binding
     * adds to the latency of its next record, and what keeps idle bindings cheap. Polls never block
     * a thread.
     */
    @WithDefault("100ms")
    Duration idlePollInterval();

    /**
     * A compacted topic (created when first needed) where each group's position is kept beyond the
     * brokers' {@code offsets.retention.minutes}, so that a binding away for longer does not start
     * again at its {@code initialOffset}; empty to keep none.
     */
    @WithDefault("kubeless-trigger-positions")
    Optional<String> positionsTopic();

    /**
     * Further Kafka consumer properties, e.g. {@code
     * kubeless.kafka.consumer.properties."session.timeout.ms"=10000}. They override the trigger's
     * own, except the deserializers, {@code enable.auto.commit} and {@code group.id}.
     */
    Map<String, String> properties();
  }
}
