package io.kubeless.nats.config;

import io.kubeless.nats.source.NatsSettings;
import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Configuration of the NATS trigger ({@code kubeless.nats.*}). Kubeless's {@code NATS_URL}, and the
 * {@code NATS_TOKEN}, {@code NATS_USER}, ... a Deployment takes from a Secret, map onto it in
 * application.properties.
 */
@ConfigMapping(prefix = "kubeless.nats")
public interface NatsTriggerConfig {

  /** Server URLs, {@code nats://host:4222[,nats://host2:4222...]} ({@code NATS_URL}). */
  @WithDefault(NatsSettings.DEFAULT_URL)
  String url();

  /** An authentication token ({@code NATS_TOKEN}); at most one way to authenticate is set. */
  Optional<String> token();

  /** A user name, with {@code password} ({@code NATS_USER}). */
  Optional<String> user();

  /** The user's password ({@code NATS_PASSWORD}); only with {@code user}. */
  Optional<String> password();

  /** An NKey seed, {@code SU...} ({@code NATS_NKEY_SEED}). */
  Optional<String> nkeySeed();

  /** A {@code .creds} file holding a user JWT and its NKey seed ({@code NATS_CREDENTIALS_FILE}). */
  Optional<Path> credentialsFile();

  /** TLS to the servers. */
  Tls tls();

  /**
   * How the server's monitoring ({@code /connz}) names this replica's connection; the pod's name is
   * appended.
   */
  @WithDefault("kubeless-nats-trigger")
  String connectionName();

  /** This replica's pod name ({@code HOSTNAME}), appended to the connection name when known. */
  Optional<String> podName();

  /** The pause between two attempts to reconnect to a lost server; reconnecting never stops. */
  @WithDefault("1s")
  Duration reconnectWait();

  /**
   * Most messages a core NATS subscription holds in the trigger before NATS drops further ones (a
   * slow consumer: counted as {@code
   * kubeless_trigger_events_dropped_total{reason="slow_consumer"}}).
   */
  @WithDefault("65536")
  int pendingMessages();

  /** Most bytes a core NATS subscription holds likewise. */
  @WithDefault("64M")
  MemorySize pendingBytes();

  /**
   * Most messages taken in one round (a JetStream fetch, acknowledged before any of them is sent):
   * what a SIGKILL can lose of a JetStream binding is at most one batch. Larger is faster, smaller
   * loses less.
   */
  @WithDefault("100")
  int batchSize();

  /** How long one round waits for its first message. */
  @WithDefault("50ms")
  Duration fetchWait();

  /**
   * How long a JetStream acknowledgement may take; when it takes longer its outcome is unknown, and
   * nothing of the batch is sent.
   */
  @WithDefault("5s")
  Duration ackTimeout();

  /**
   * The JetStream consumers' ack wait: a fetched message not acknowledged within it is delivered
   * again, so a batch whose acknowledgement came later than half of it is dropped, never sent.
   */
  @WithDefault("30s")
  Duration ackWait();

  /**
   * How long a stopping binding (a changed trigger, shutdown) may take to send the messages it
   * already took; what is left then is dropped and counted.
   */
  @WithDefault("20s")
  Duration stopTimeout();

  /** The longest pause between two rounds that took nothing. */
  @WithDefault("50ms")
  Duration idleInterval();

  /**
   * How long the server keeps the JetStream consumer of a binding that no longer exists (its
   * trigger deleted, its function no longer selected) before deleting it; a binding that comes back
   * within it resumes where it stopped. Zero deletes it at once.
   */
  @WithDefault("7d")
  Duration consumerRetention();

  /** TLS settings. */
  interface Tls {

    /**
     * Whether to connect with TLS. {@code tls://} URLs use TLS anyway, with the JVM's trust store.
     */
    @WithDefault("false")
    boolean enabled();

    /** Trust store (PKCS#12 or JKS) of the CAs of the servers' certificates; the JVM's if unset. */
    Optional<Path> truststore();

    /** Password of the trust store. */
    Optional<String> truststorePassword();

    /** Key store with the client's certificate and key, for mutual TLS. */
    Optional<Path> keystore();

    /** Password of the key store. */
    Optional<String> keystorePassword();
  }
}
