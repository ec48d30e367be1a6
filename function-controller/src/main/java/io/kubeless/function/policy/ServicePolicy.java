package io.kubeless.function.policy;

import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.kubeless.function.spec.FunctionPlan;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What {@code spec.service} may ask for. Triggers send every event to the function's Service, so a
 * Service that resolves outside the cluster (ExternalName, externalIPs) or is exposed on the nodes
 * or a load balancer would send events, or open the function, where no NetworkPolicy follows.
 */
final class ServicePolicy {

  static final String CLUSTER_IP = "ClusterIP";
  static final String NODE_PORT = "NodePort";
  static final String LOAD_BALANCER = "LoadBalancer";
  static final String EXTERNAL_NAME = "ExternalName";

  private ServicePolicy() {}

  /** The fields of {@code service} these rules refuse, as field paths; empty when allowed. */
  static List<String> violations(ServiceSpec service, String function, PolicyRules rules) {
    List<String> found = new ArrayList<>();
    String type =
        service.getType() == null || service.getType().isBlank() ? CLUSTER_IP : service.getType();
    if (!rules.serviceTypes().contains(type)) {
      found.add(
          "spec.service.type " + type + " (allowed: " + String.join(", ", sorted(rules)) + ")");
    }
    if (service.getExternalIPs() != null
        && !service.getExternalIPs().isEmpty()
        && !rules.externalIps()) {
      found.add("spec.service.externalIPs");
    }
    if (notBlank(service.getExternalName()) && !rules.serviceTypes().contains(EXTERNAL_NAME)) {
      found.add("spec.service.externalName");
    }
    if (!rules.serviceTypes().contains(LOAD_BALANCER)) {
      if (notBlank(service.getLoadBalancerIP())) {
        found.add("spec.service.loadBalancerIP");
      }
      if (service.getLoadBalancerSourceRanges() != null
          && !service.getLoadBalancerSourceRanges().isEmpty()) {
        found.add("spec.service.loadBalancerSourceRanges");
      }
      if (notBlank(service.getLoadBalancerClass())) {
        found.add("spec.service.loadBalancerClass");
      }
    }
    if (!rules.serviceTypes().contains(NODE_PORT)
        && !rules.serviceTypes().contains(LOAD_BALANCER)) {
      List<ServicePort> ports = service.getPorts();
      for (int i = 0; i < ports.size(); i++) {
        if (ports.get(i).getNodePort() != null && ports.get(i).getNodePort() != 0) {
          found.add("spec.service.ports[" + i + "].nodePort");
        }
      }
    }
    // a selector of other pods would send the function's events to them
    Map<String, String> selector = service.getSelector();
    if (selector == null || !function.equals(selector.get(FunctionPlan.FUNCTION_LABEL))) {
      found.add(
          "spec.service.selector must select the function's pods ("
              + FunctionPlan.FUNCTION_LABEL
              + ": "
              + function
              + ")");
    }
    return found;
  }

  private static List<String> sorted(PolicyRules rules) {
    return rules.serviceTypes().stream().sorted().toList();
  }

  private static boolean notBlank(String s) {
    return s != null && !s.isBlank();
  }
}
