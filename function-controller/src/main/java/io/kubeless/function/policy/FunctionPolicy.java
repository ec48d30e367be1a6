package io.kubeless.function.policy;

import io.kubeless.api.function.InvalidFunctionException;
import io.kubeless.function.config.FunctionControllerConfig;
import io.kubeless.function.config.FunctionControllerConfig.Policy;
import io.kubeless.function.dependent.DeploymentDependent;
import io.kubeless.function.spec.FunctionPlan;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/**
 * Refuses the Services and pods a Function may not ask for. A Function is untrusted input turned
 * into objects with the controller's rights: without this, whoever may create a Function could run
 * any pod (another ServiceAccount, the host's namespaces, privileged containers) or point triggers
 * anywhere. The defaults follow the Pod Security Standards' restricted level; an operator relaxes
 * them cluster-wide or per namespace ({@code kubeless.function.policy.*}).
 */
@ApplicationScoped
public class FunctionPolicy {

  /** The reason when {@code spec.service} asks for more than the policy allows. */
  public static final String SERVICE_NOT_ALLOWED = "ServiceNotAllowed";

  /** The reason when the pod {@code spec.deployment} shapes breaks the policy. */
  public static final String POD_NOT_ALLOWED = "PodNotAllowed";

  private static final String RELAX =
      ". An operator may allow it with kubeless.function.policy settings, cluster-wide or for"
          + " this namespace (see the function controller's README)";

  private final Policy policy;

  public FunctionPolicy(FunctionControllerConfig config) {
    this.policy = config.policy();
  }

  /**
   * Checks a plan's Service and pod.
   *
   * @throws InvalidFunctionException {@code ServiceNotAllowed} or {@code PodNotAllowed}, with every
   *     refused field in the message
   */
  public void check(FunctionPlan plan) throws InvalidFunctionException {
    PolicyRules rules = PolicyRules.of(policy, plan.namespace());
    List<String> service = ServicePolicy.violations(plan.service(), plan.name(), rules);
    if (!service.isEmpty()) {
      throw new InvalidFunctionException(
          SERVICE_NOT_ALLOWED,
          "spec.service is not allowed in namespace "
              + plan.namespace()
              + ": "
              + String.join("; ", service)
              + RELAX);
    }
    List<String> pod = PodPolicy.violations(DeploymentDependent.template(plan), rules);
    if (!pod.isEmpty()) {
      throw new InvalidFunctionException(
          POD_NOT_ALLOWED,
          "the function's pod is not allowed by the "
              + rules.podSecurity().name().toLowerCase(java.util.Locale.ROOT)
              + " policy of namespace "
              + plan.namespace()
              + ": "
              + String.join("; ", pod)
              + RELAX);
    }
  }
}
