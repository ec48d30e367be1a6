package io.kubeless.function.policy;

import static io.kubeless.function.TestSpecs.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import io.kubeless.function.config.FunctionControllerConfig.PodSecurityLevel;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code spec.service}: only in-cluster Services of the function's own pods, unless allowed. */
class ServicePolicyTest {

  private static final PolicyRules DEFAULTS =
      new PolicyRules(
          Set.of("ClusterIP"), false, PodSecurityLevel.RESTRICTED, Set.of("default"), true);

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ports: [{port: 80, targetPort: 8080}]",
        "type: ClusterIP, ports: [{port: 80}]",
        "clusterIP: None, ports: [{port: 8080}]",
        "ports: [{port: 80}], selector: {function: hello, tier: web}"
      })
  void acceptsClusterIpAndHeadlessServicesOfTheFunctionsPods(String service) {
    assertThat(violations(service, DEFAULTS)).isEmpty();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "type: NodePort, ports: [{port: 80}]|spec.service.type NodePort (allowed: ClusterIP)",
        "type: LoadBalancer, ports: [{port: 80}]|spec.service.type LoadBalancer (allowed: ClusterIP)",
        "type: ExternalName, externalName: evil.example.com, ports: [{port: 80}]"
            + "|spec.service.externalName",
        "externalIPs: [8.8.8.8], ports: [{port: 80}]|spec.service.externalIPs",
        "loadBalancerSourceRanges: [0.0.0.0/0], ports: [{port: 80}]"
            + "|spec.service.loadBalancerSourceRanges",
        "loadBalancerIP: 1.2.3.4, ports: [{port: 80}]|spec.service.loadBalancerIP",
        "ports: [{port: 80, nodePort: 30080}]|spec.service.ports[0].nodePort",
        "ports: [{port: 80}], selector: {app: postgres}"
            + "|spec.service.selector must select the function's pods (function: hello)"
      })
  void refusesServicesThatLeaveTheCluster(String service, String path) {
    assertThat(violations(service, DEFAULTS)).contains(path);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "type: NodePort, ports: [{port: 80, nodePort: 30080}]",
        "type: LoadBalancer, loadBalancerSourceRanges: [10.0.0.0/8], ports: [{port: 80}]",
        "externalIPs: [10.1.2.3], ports: [{port: 80}]"
      })
  void anOperatorMayAllowMore(String service) {
    PolicyRules relaxed =
        new PolicyRules(
            Set.of("ClusterIP", "NodePort", "LoadBalancer"),
            true,
            PodSecurityLevel.RESTRICTED,
            Set.of("default"),
            true);

    assertThat(violations(service, relaxed)).isEmpty();
  }

  private static List<String> violations(String service, PolicyRules rules) {
    var plan = PodPolicyTest.plan(s -> s.setService(yaml("{" + service + "}")));
    return ServicePolicy.violations(plan.service(), "hello", rules);
  }
}
