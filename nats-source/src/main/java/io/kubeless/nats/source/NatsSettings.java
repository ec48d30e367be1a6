package io.kubeless.nats.source;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How the NATS source connects and consumes; the NATS trigger builds it from its configuration,
 * local mode from its defaults.
 *
 * @param server where and how to connect
 * @param pendingMessages most messages a core subscription holds in the client before NATS drops
 *     them as a slow consumer (counted, never an unbounded heap)
 * @param pendingBytes most bytes a core subscription holds likewise
 * @param batchSize most messages taken in one round (a JetStream fetch): what a SIGKILL can lose of
 *     a JetStream binding is at most one batch
 * @param fetchWait how long one round waits for the first message
 * @param ackTimeout how long a JetStream acknowledgement may take before its outcome counts as
 *     unknown (then nothing of the batch is sent)
 * @param ackWait the JetStream consumer's ack wait: a fetched message not acknowledged within it is
 *     delivered again; the source never sends a message whose acknowledgement came later than half
 *     of it
 * @param stopTimeout how long a stopping binding may take to send what it took
 * @param idleInterval the longest pause between two rounds that took nothing
 * @param consumerRetention how long the server keeps the JetStream consumer of a binding that no
 *     longer exists (its trigger deleted, its function no longer selected) before deleting it: a
 *     binding that comes back within it resumes where it stopped; zero deletes it at once
 */
public record NatsSettings(
    Server server,
    int pendingMessages,
    long pendingBytes,
    int batchSize,
    Duration fetchWait,
    Duration ackTimeout,
    Duration ackWait,
    Duration stopTimeout,
    Duration idleInterval,
    Duration consumerRetention) {

  /** Kubeless's default {@code NATS_URL}. */
  public static final String DEFAULT_URL = "nats://nats.nats-io.svc.cluster.local:4222";

  /** As long as Kafka keeps a consumer group's positions by default. */
  public static final Duration DEFAULT_CONSUMER_RETENTION = Duration.ofDays(7);

  public NatsSettings {
    Objects.requireNonNull(server, "server");
    if (pendingMessages < 1 || pendingBytes < 1 || batchSize < 1) {
      throw new IllegalArgumentException("pending limits and batch size must be at least 1");
    }
    Objects.requireNonNull(consumerRetention, "consumerRetention");
    if (consumerRetention.isNegative()) {
      throw new IllegalArgumentException("the consumer retention must not be negative");
    }
  }

  /** Defaults for {@code server}: what the trigger's configuration defaults to as well. */
  public static NatsSettings defaults(Server server) {
    return new NatsSettings(
        server,
        65_536,
        64L * 1024 * 1024,
        100,
        Duration.ofMillis(50),
        Duration.ofSeconds(5),
        Duration.ofSeconds(30),
        Duration.ofSeconds(20),
        Duration.ofMillis(50),
        DEFAULT_CONSUMER_RETENTION);
  }

  /**
   * Where and how to connect. At most one of token, user/password, NKey seed and credentials file
   * is used, in that order of precedence.
   *
   * @param urls comma-separated server URLs ({@code nats://host:4222}, {@code tls://...})
   * @param token an authentication token
   * @param user a user name, with {@code password}
   * @param nkeySeed an NKey seed ({@code SU...})
   * @param credentialsFile a {@code .creds} file (JWT and NKey seed)
   * @param tls TLS settings, when the server requires it
   * @param connectionName how the server's monitoring names the connection
   * @param reconnectWait the pause between two reconnect attempts
   */
  public record Server(
      String urls,
      Optional<String> token,
      Optional<String> user,
      Optional<String> password,
      Optional<String> nkeySeed,
      Optional<Path> credentialsFile,
      Optional<Tls> tls,
      String connectionName,
      Duration reconnectWait) {

    public Server {
      urls = urls == null || urls.isBlank() ? DEFAULT_URL : urls.trim();
    }

    /** An unauthenticated server at {@code urls}. */
    public static Server at(String urls, String connectionName) {
      return new Server(
          urls,
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          connectionName,
          Duration.ofSeconds(1));
    }
  }

  /**
   * TLS: the trust store the server's certificate is checked against (the JVM's when absent), and a
   * key store with the client's certificate for mutual TLS.
   */
  public record Tls(
      Optional<Path> truststore,
      Optional<String> truststorePassword,
      Optional<Path> keystore,
      Optional<String> keystorePassword) {}
}
