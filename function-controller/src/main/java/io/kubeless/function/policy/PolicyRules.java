package io.kubeless.function.policy;

import io.kubeless.function.config.FunctionControllerConfig.NamespacePolicy;
import io.kubeless.function.config.FunctionControllerConfig.PodSecurityLevel;
import io.kubeless.function.config.FunctionControllerConfig.Policy;
import java.util.List;
import java.util.Set;

/**
 * The policy in force for one namespace: the cluster-wide settings, each replaced by the
 * namespace's own when it gives one.
 *
 * @param serviceTypes Service types {@code spec.service} may use
 * @param externalIps whether {@code spec.service.externalIPs} may be set
 * @param podSecurity the Pod Security Standards level of the function's pod
 * @param serviceAccounts ServiceAccounts the pod may run as ({@code *}: any)
 * @param secrets whether the pod may read the namespace's Secrets
 */
public record PolicyRules(
    Set<String> serviceTypes,
    boolean externalIps,
    PodSecurityLevel podSecurity,
    Set<String> serviceAccounts,
    boolean secrets) {

  /** Any ServiceAccount, when listed in {@code service-accounts}. */
  public static final String ANY = "*";

  /** The rules for Functions of {@code namespace}. */
  public static PolicyRules of(Policy policy, String namespace) {
    NamespacePolicy local = policy.namespaces().get(namespace);
    if (local == null) {
      return new PolicyRules(
          trimmed(policy.serviceTypes()),
          policy.externalIps(),
          policy.podSecurity(),
          trimmed(policy.serviceAccounts()),
          policy.secrets());
    }
    return new PolicyRules(
        trimmed(local.serviceTypes().orElse(policy.serviceTypes())),
        local.externalIps().orElse(policy.externalIps()),
        local.podSecurity().orElse(policy.podSecurity()),
        trimmed(local.serviceAccounts().orElse(policy.serviceAccounts())),
        local.secrets().orElse(policy.secrets()));
  }

  /** Whether the pod may run as this ServiceAccount. */
  public boolean allowsServiceAccount(String name) {
    return serviceAccounts.contains(ANY) || serviceAccounts.contains(name);
  }

  private static Set<String> trimmed(List<String> values) {
    return values.stream()
        .map(String::trim)
        .filter(v -> !v.isEmpty())
        .collect(java.util.stream.Collectors.toUnmodifiableSet());
  }
}
