package io.kubeless.kinesis.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeless.kinesis.source.KinesisSettings;
import io.kubeless.trigger.kubernetes.LeaseShardCoordinator;
import io.kubeless.trigger.kubernetes.TriggerConfig;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.io.IOException;
import java.net.URL;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The configuration, through application.properties and the environment, as the app sees it. */
class KinesisTriggerConfigTest {

  @Test
  void withoutSettingsItReadsWithTheSourceDefaults() throws IOException {
    KinesisSettings settings = KinesisTriggerSettings.of(config(Map.of()).kinesis());

    // 1,000 records per read, 200 ms between reads, shards listed every 10 s, ...
    assertThat(settings).isEqualTo(KinesisSettings.defaults());
  }

  @Test
  void leasesLiveInTheControllersNamespaceUnderThePodName() throws IOException {
    Config config = config(Map.of("KUBELESS_NAMESPACE", "ops"));

    LeaseShardCoordinator.Settings leases =
        KinesisTriggerSettings.leases(
            config.kinesis(), config.trigger().leaderElection().namespace(), "pod-1");

    assertThat(leases)
        .isEqualTo(
            new LeaseShardCoordinator.Settings(
                "kinesis", "ops", "pod-1", Duration.ofSeconds(15), Duration.ofSeconds(5)));
    // the status Lease's namespace, which defaults to kubeless without the downward API
    assertThat(
            KinesisTriggerSettings.leases(
                    config(Map.of()).kinesis(),
                    config(Map.of()).trigger().leaderElection().namespace(),
                    "pod-1")
                .namespace())
        .isEqualTo("kubeless");
  }

  @Test
  void everySettingCanBeChangedByPropertyOrEnvironment() throws IOException {
    Config config =
        config(
            Map.of(
                "KUBELESS_KINESIS_RECORDS_PER_READ", "500",
                "kubeless.kinesis.read-interval", "1s",
                "kubeless.kinesis.discovery-interval", "1m",
                "kubeless.kinesis.throttle-backoff", "10s",
                "kubeless.kinesis.stop-timeout", "5s",
                "kubeless.kinesis.idle-interval", "50ms",
                "kubeless.kinesis.lease-duration", "30s",
                "kubeless.kinesis.renew-interval", "10s",
                "KUBELESS_KINESIS_LEASE_NAMESPACE", "kinesis-leases",
                "kubeless.kinesis.identity", "replica-a"));

    assertThat(KinesisTriggerSettings.of(config.kinesis()))
        .isEqualTo(
            new KinesisSettings(
                500,
                Duration.ofSeconds(1),
                Duration.ofMinutes(1),
                Duration.ofSeconds(10),
                Duration.ofSeconds(5),
                Duration.ofMillis(50)));
    assertThat(KinesisTriggerSettings.leases(config.kinesis(), "kubeless", "pod-1"))
        .isEqualTo(
            new LeaseShardCoordinator.Settings(
                "kinesis",
                "kinesis-leases",
                "replica-a",
                Duration.ofSeconds(30),
                Duration.ofSeconds(10)));
  }

  @Test
  void settingsThatCannotWorkStopTheStartWithAMessage() throws IOException {
    assertThatThrownBy(
            () ->
                KinesisTriggerSettings.of(
                    config(Map.of("kubeless.kinesis.records-per-read", "20000")).kinesis()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("kubeless.kinesis.records-per-read is 20000")
        .hasMessageContaining("between 1 and 10000");
    assertThatThrownBy(
            () ->
                KinesisTriggerSettings.leases(
                    config(Map.of("kubeless.kinesis.renew-interval", "15s")).kinesis(),
                    "kubeless",
                    "pod-1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("kubeless.kinesis.renew-interval (PT15S)")
        .hasMessageContaining("shorter than kubeless.kinesis.lease-duration (PT15S)");
  }

  private record Config(KinesisTriggerConfig kinesis, TriggerConfig trigger) {}

  /** The configuration in the prod profile, with {@code env} as its environment. */
  private static Config config(Map<String, String> env) throws IOException {
    URL applicationProperties =
        KinesisTriggerConfigTest.class.getResource("/application.properties");
    SmallRyeConfig config =
        new SmallRyeConfigBuilder()
            .addDefaultInterceptors()
            .withMapping(KinesisTriggerConfig.class)
            .withMapping(TriggerConfig.class)
            .withConverter(Duration.class, 100, new DurationConverter())
            .withSources(new PropertiesConfigSource(applicationProperties, 250))
            .withSources(new EnvLike(env))
            .build();
    return new Config(
        config.getConfigMapping(KinesisTriggerConfig.class),
        config.getConfigMapping(TriggerConfig.class));
  }

  /** {@code env} as environment variables are seen: {@code KUBELESS_KINESIS_X} is {@code x}. */
  private static final class EnvLike extends EnvConfigSource {
    EnvLike(Map<String, String> env) {
      super(env, 300);
    }
  }
}
