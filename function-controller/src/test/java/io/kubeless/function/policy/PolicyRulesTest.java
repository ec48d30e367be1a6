package io.kubeless.function.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubeless.function.config.FunctionControllerConfig;
import io.kubeless.function.config.FunctionControllerConfig.PodSecurityLevel;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The policy settings as the README documents them, in properties and environment variables. */
class PolicyRulesTest {

  @Test
  void theDefaultsAreRestricted() {
    PolicyRules rules = PolicyRules.of(config(Map.of(), Map.of()).policy(), "any");

    assertThat(rules)
        .isEqualTo(
            new PolicyRules(
                Set.of("ClusterIP"), false, PodSecurityLevel.RESTRICTED, Set.of("default"), true));
  }

  @Test
  void aNamespaceReplacesOnlyTheSettingsItGives() {
    FunctionControllerConfig config =
        config(
            Map.of(
                "kubeless.function.policy.service-types", "ClusterIP,NodePort",
                "kubeless.function.policy.namespaces.\"ci\".pod-security", "baseline",
                "kubeless.function.policy.namespaces.\"ci\".service-accounts", "default,builder"),
            Map.of());

    assertThat(PolicyRules.of(config.policy(), "ci"))
        .isEqualTo(
            new PolicyRules(
                Set.of("ClusterIP", "NodePort"),
                false,
                PodSecurityLevel.BASELINE,
                Set.of("default", "builder"),
                true));
    assertThat(PolicyRules.of(config.policy(), "prod").podSecurity())
        .isEqualTo(PodSecurityLevel.RESTRICTED);
  }

  @Test
  void environmentVariablesSetThePolicy() {
    FunctionControllerConfig config =
        config(
            Map.of(),
            Map.of(
                "KUBELESS_FUNCTION_POLICY_EXTERNAL_IPS", "true",
                "KUBELESS_FUNCTION_POLICY_SECRETS", "false",
                "KUBELESS_FUNCTION_POLICY_POD_SECURITY", "privileged",
                "KUBELESS_FUNCTION_POLICY_NAMESPACES_CI_POD_SECURITY", "baseline"));

    assertThat(PolicyRules.of(config.policy(), "ci").podSecurity())
        .isEqualTo(PodSecurityLevel.BASELINE);
    PolicyRules rules = PolicyRules.of(config.policy(), "any");
    assertThat(rules.externalIps()).isTrue();
    assertThat(rules.secrets()).isFalse();
    assertThat(rules.podSecurity()).isEqualTo(PodSecurityLevel.PRIVILEGED);
  }

  private static FunctionControllerConfig config(
      Map<String, String> properties, Map<String, String> env) {
    SmallRyeConfig config =
        new SmallRyeConfigBuilder()
            .withMapping(FunctionControllerConfig.class)
            // Quarkus's converter reads "30s"; plain SmallRye needs ISO-8601
            .withSources(
                new PropertiesConfigSource(
                    Map.of("kubeless.function.conflict-recheck", "PT30S"), "duration", 200))
            .withSources(new PropertiesConfigSource(properties, "test", 300))
            .withSources(new EnvConfigSource(env, 400))
            .build();
    return config.getConfigMapping(FunctionControllerConfig.class);
  }
}
