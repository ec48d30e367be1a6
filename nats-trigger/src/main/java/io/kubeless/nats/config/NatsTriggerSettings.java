package io.kubeless.nats.config;

import io.kubeless.nats.source.NatsSettings;
import io.nats.client.NKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Turns the trigger's configuration (Kubeless's environment) into the NATS source's settings. */
public final class NatsTriggerSettings {

  private NatsTriggerSettings() {}

  /**
   * The settings of the trigger's one NATS connection and of its bindings.
   *
   * @throws IllegalArgumentException when the authentication or TLS settings conflict or are
   *     incomplete, so that the application stops at start-up with a message instead of connecting
   *     in a way nobody meant
   */
  public static NatsSettings of(NatsTriggerConfig config) {
    Optional<String> token = given(config.token());
    Optional<String> user = given(config.user());
    Optional<String> password = given(config.password());
    Optional<String> nkeySeed = given(config.nkeySeed());
    Optional<Path> credentials = config.credentialsFile();

    List<String> ways = new ArrayList<>();
    token.ifPresent(t -> ways.add("kubeless.nats.token (NATS_TOKEN)"));
    user.ifPresent(u -> ways.add("kubeless.nats.user (NATS_USER)"));
    nkeySeed.ifPresent(s -> ways.add("kubeless.nats.nkey-seed (NATS_NKEY_SEED)"));
    credentials.ifPresent(c -> ways.add("kubeless.nats.credentials-file (NATS_CREDENTIALS_FILE)"));
    if (ways.size() > 1) {
      throw new IllegalArgumentException(
          "NATS authentication is ambiguous: "
              + String.join(" and ", ways)
              + " are set together; set only one of a token, a user and password, an NKey seed or a"
              + " credentials file");
    }
    if (password.isPresent() && user.isEmpty()) {
      throw new IllegalArgumentException(
          "kubeless.nats.password (NATS_PASSWORD) is set without kubeless.nats.user (NATS_USER)");
    }
    nkeySeed.ifPresent(NatsTriggerSettings::checkSeed);
    credentials.ifPresent(file -> readable(file, "kubeless.nats.credentials-file"));

    var server =
        new NatsSettings.Server(
            config.url(),
            token,
            user,
            password,
            nkeySeed,
            credentials,
            tls(config.tls()),
            given(config.podName())
                .map(pod -> config.connectionName() + "/" + pod)
                .orElse(config.connectionName()),
            config.reconnectWait());
    return new NatsSettings(
        server,
        config.pendingMessages(),
        config.pendingBytes().asLongValue(),
        config.batchSize(),
        config.fetchWait(),
        config.ackTimeout(),
        config.ackWait(),
        config.stopTimeout(),
        config.idleInterval(),
        config.consumerRetention());
  }

  private static Optional<NatsSettings.Tls> tls(NatsTriggerConfig.Tls tls) {
    if (!tls.enabled()) {
      if (tls.truststore().isPresent() || tls.keystore().isPresent()) {
        throw new IllegalArgumentException(
            "kubeless.nats.tls.truststore or keystore is set but kubeless.nats.tls.enabled is"
                + " false; enable TLS or remove them");
      }
      return Optional.empty();
    }
    tls.truststore().ifPresent(file -> readable(file, "kubeless.nats.tls.truststore"));
    tls.keystore().ifPresent(file -> readable(file, "kubeless.nats.tls.keystore"));
    return Optional.of(
        new NatsSettings.Tls(
            tls.truststore(),
            given(tls.truststorePassword()),
            tls.keystore(),
            given(tls.keystorePassword())));
  }

  private static Optional<String> given(Optional<String> value) {
    return value.map(String::trim).filter(v -> !v.isEmpty());
  }

  /** Refuses a seed NATS would refuse at the first connect, without ever printing it. */
  private static void checkSeed(String seed) {
    try {
      NKey.fromSeed(seed.toCharArray());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "kubeless.nats.nkey-seed (NATS_NKEY_SEED) is not a valid NKey seed (one starts with SU)");
    }
  }

  private static void readable(Path file, String property) {
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException(
          property + " " + file + " does not exist or is not readable");
    }
  }
}
