package io.kubeless.nats.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeless.nats.source.NatsSettings;
import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.common.MapBackedConfigSource;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kubeless's environment variables, through application.properties, become the NATS settings. */
class KubelessEnvironmentTest {

  @TempDir Path dir;

  @Test
  void withoutEnvironmentItConnectsUnauthenticatedToKubelessDefaultServerWithTheSourceDefaults()
      throws IOException {
    NatsSettings settings = NatsTriggerSettings.of(config(Map.of()));

    NatsSettings.Server server = settings.server();
    assertThat(server.urls()).isEqualTo(NatsSettings.DEFAULT_URL);
    assertThat(server.token()).isEmpty();
    assertThat(server.user()).isEmpty();
    assertThat(server.password()).isEmpty();
    assertThat(server.nkeySeed()).isEmpty();
    assertThat(server.credentialsFile()).isEmpty();
    assertThat(server.tls()).isEmpty();
    assertThat(server.connectionName()).isEqualTo("kubeless-nats-trigger");
    assertThat(server.reconnectWait()).isEqualTo(Duration.ofSeconds(1));
    // the trigger's defaults are the source's (65536 messages, 64 MiB, batches of 100, ...)
    assertThat(settings).isEqualTo(NatsSettings.defaults(server));
  }

  @Test
  void natsUrlAndThePodNameComeFromTheEnvironment() throws IOException {
    NatsSettings settings =
        NatsTriggerSettings.of(
            config(
                Map.of(
                    "NATS_URL", "nats://a.nats:4222,nats://b.nats:4222",
                    "HOSTNAME", "kubeless-nats-trigger-7d9f-x2x")));

    assertThat(settings.server().urls()).isEqualTo("nats://a.nats:4222,nats://b.nats:4222");
    assertThat(settings.server().connectionName())
        .isEqualTo("kubeless-nats-trigger/kubeless-nats-trigger-7d9f-x2x");
  }

  @Test
  void aPropertyOverridesNatsUrl() throws IOException {
    NatsSettings settings =
        NatsTriggerSettings.of(
            config(
                Map.of("NATS_URL", "nats://env:4222"),
                Map.of("kubeless.nats.url", "nats://prop:4222")));

    assertThat(settings.server().urls()).isEqualTo("nats://prop:4222");
  }

  @Test
  void eachWayToAuthenticateMapsFromItsSecretVariable() throws IOException {
    Path creds = Files.writeString(dir.resolve("user.creds"), "-----BEGIN NATS USER JWT-----\n");

    assertThat(NatsTriggerSettings.of(config(Map.of("NATS_TOKEN", "t0ken"))).server().token())
        .contains("t0ken");
    NatsSettings.Server userPassword =
        NatsTriggerSettings.of(config(Map.of("NATS_USER", "alice", "NATS_PASSWORD", "s3cret")))
            .server();
    assertThat(userPassword.user()).contains("alice");
    assertThat(userPassword.password()).contains("s3cret");
    assertThat(
            NatsTriggerSettings.of(config(Map.of("NATS_CREDENTIALS_FILE", creds.toString())))
                .server()
                .credentialsFile())
        .contains(creds);
  }

  @Test
  void conflictingAuthenticationStopsTheStartWithAMessageNamingTheSettingsNotTheirValues() {
    assertThatThrownBy(
            () ->
                NatsTriggerSettings.of(config(Map.of("NATS_TOKEN", "t0ken", "NATS_USER", "alice"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NATS authentication is ambiguous")
        .hasMessageContaining("NATS_TOKEN")
        .hasMessageContaining("NATS_USER")
        .hasMessageContaining("set only one")
        .message()
        .doesNotContain("t0ken", "alice");
    assertThatThrownBy(
            () ->
                NatsTriggerSettings.of(
                    config(
                        Map.of(
                            "NATS_NKEY_SEED",
                                "SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4",
                            "kubeless.nats.credentials-file", "/creds"))))
        .hasMessageContaining("kubeless.nats.nkey-seed")
        .hasMessageContaining("kubeless.nats.credentials-file");
  }

  @Test
  void incompleteOrInvalidAuthenticationIsRefused() {
    assertThatThrownBy(() -> NatsTriggerSettings.of(config(Map.of("NATS_PASSWORD", "s3cret"))))
        .hasMessageContaining("NATS_PASSWORD")
        .hasMessageContaining("without")
        .hasMessageContaining("NATS_USER");
    assertThatThrownBy(() -> NatsTriggerSettings.of(config(Map.of("NATS_NKEY_SEED", "SUnotaseed"))))
        .hasMessageContaining("not a valid NKey seed")
        .message()
        .doesNotContain("SUnotaseed");
    assertThatThrownBy(
            () ->
                NatsTriggerSettings.of(
                    config(
                        Map.of("NATS_CREDENTIALS_FILE", dir.resolve("missing.creds").toString()))))
        .hasMessageContaining("missing.creds")
        .hasMessageContaining("not readable");
  }

  @Test
  void aValidNKeySeedIsAccepted() throws Exception {
    String seed = new String(io.nats.client.NKey.createUser(null).getSeed());

    assertThat(NatsTriggerSettings.of(config(Map.of("NATS_NKEY_SEED", seed))).server().nkeySeed())
        .contains(seed);
  }

  @Test
  void tlsStoresAreUsedOnlyWhenTlsIsEnabled() throws IOException {
    Path truststore = Files.write(dir.resolve("trust.p12"), new byte[] {1});
    Path keystore = Files.write(dir.resolve("key.p12"), new byte[] {2});

    NatsSettings settings =
        NatsTriggerSettings.of(
            config(
                Map.of(
                    "kubeless.nats.tls.enabled", "true",
                    "kubeless.nats.tls.truststore", truststore.toString(),
                    "kubeless.nats.tls.truststore-password", "changeit",
                    "kubeless.nats.tls.keystore", keystore.toString(),
                    "kubeless.nats.tls.keystore-password", "secret")));

    assertThat(settings.server().tls())
        .contains(
            new NatsSettings.Tls(
                Optional.of(truststore),
                Optional.of("changeit"),
                Optional.of(keystore),
                Optional.of("secret")));
    assertThatThrownBy(
            () ->
                NatsTriggerSettings.of(
                    config(Map.of("kubeless.nats.tls.truststore", truststore.toString()))))
        .hasMessageContaining("kubeless.nats.tls.enabled is false");
    assertThatThrownBy(
            () ->
                NatsTriggerSettings.of(
                    config(
                        Map.of(
                            "kubeless.nats.tls.enabled",
                            "true",
                            "kubeless.nats.tls.truststore",
                            dir.resolve("none.p12").toString()))))
        .hasMessageContaining("kubeless.nats.tls.truststore")
        .hasMessageContaining("none.p12");
  }

  @Test
  void limitsAndTimingsAreConfigurable() throws IOException {
    NatsSettings settings =
        NatsTriggerSettings.of(
            config(
                Map.of(
                    "kubeless.nats.pending-messages", "1000",
                    "kubeless.nats.pending-bytes", "1M",
                    "kubeless.nats.batch-size", "10",
                    "kubeless.nats.fetch-wait", "20ms",
                    "kubeless.nats.ack-timeout", "2s",
                    "kubeless.nats.ack-wait", "1m",
                    "kubeless.nats.stop-timeout", "5s",
                    "kubeless.nats.idle-interval", "10ms",
                    "kubeless.nats.reconnect-wait", "250ms",
                    "kubeless.nats.consumer-retention", "36h")));

    assertThat(settings)
        .isEqualTo(
            new NatsSettings(
                settings.server(),
                1000,
                1024 * 1024,
                10,
                Duration.ofMillis(20),
                Duration.ofSeconds(2),
                Duration.ofMinutes(1),
                Duration.ofSeconds(5),
                Duration.ofMillis(10),
                Duration.ofHours(36)));
    assertThat(settings.server().reconnectWait()).isEqualTo(Duration.ofMillis(250));
  }

  private static NatsTriggerConfig config(Map<String, String> env) throws IOException {
    return config(env, Map.of());
  }

  /**
   * The configuration as the application sees it (prod profile), with {@code env} as its
   * environment and {@code properties} as system properties.
   */
  private static NatsTriggerConfig config(Map<String, String> env, Map<String, String> properties)
      throws IOException {
    URL applicationProperties =
        KubelessEnvironmentTest.class.getResource("/application.properties");
    SmallRyeConfig config =
        new SmallRyeConfigBuilder()
            .addDefaultInterceptors()
            .withMapping(NatsTriggerConfig.class)
            .withConverter(Duration.class, 100, new DurationConverter())
            .withConverter(MemorySize.class, 100, new MemorySizeConverter())
            .withSources(new PropertiesConfigSource(applicationProperties, 250))
            .withSources(new MapBackedConfigSource("env", env, 300) {})
            .withSources(new MapBackedConfigSource("sys", properties, 400) {})
            .build();
    return config.getConfigMapping(NatsTriggerConfig.class);
  }
}
