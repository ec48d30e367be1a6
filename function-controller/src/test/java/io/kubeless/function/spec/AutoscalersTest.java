package io.kubeless.function.spec;

import static io.kubeless.function.TestSpecs.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerSpec;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.kubeless.api.function.InvalidFunctionException;
import org.junit.jupiter.api.Test;

class AutoscalersTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Test
  void aZeroValuedAutoscalerAsKubelessWroteItMeansNone() throws InvalidFunctionException {
    assertThat(
            Autoscalers.fromFunction(
                yaml(
                    "metadata: {creationTimestamp: null}\n"
                        + "spec: {maxReplicas: 0, scaleTargetRef: {kind: '', name: ''}}"),
                "hello",
                MAPPER))
        .isEmpty();
    assertThat(Autoscalers.fromFunction(null, "hello", MAPPER)).isEmpty();
  }

  @Test
  void convertsV2beta1MetricsAndTargetsTheFunctionsDeployment() throws InvalidFunctionException {
    HorizontalPodAutoscalerSpec spec =
        Autoscalers.fromFunction(
                yaml(
                    """
                    apiVersion: autoscaling/v2beta1
                    kind: HorizontalPodAutoscaler
                    metadata: {name: hello}
                    spec:
                      scaleTargetRef: {apiVersion: apps/v1beta1, kind: Deployment, name: other}
                      minReplicas: 2
                      maxReplicas: 5
                      metrics:
                      - type: Resource
                        resource: {name: cpu, targetAverageUtilization: 70}
                      - type: Resource
                        resource: {name: memory, targetAverageValue: 200Mi}
                      - type: Object
                        object:
                          target: {apiVersion: v1, kind: Service, name: hello}
                          metricName: function_calls
                          targetValue: "10"
                      - type: Pods
                        pods: {metricName: qps, targetAverageValue: "5"}
                    """),
                "hello",
                MAPPER)
            .orElseThrow();

    assertThat(spec.getScaleTargetRef().getName()).isEqualTo("hello");
    assertThat(spec.getScaleTargetRef().getApiVersion()).isEqualTo("apps/v1");
    assertThat(spec.getMinReplicas()).isEqualTo(2);
    MetricSpec cpu = spec.getMetrics().get(0);
    assertThat(cpu.getResource().getTarget().getType()).isEqualTo("Utilization");
    assertThat(cpu.getResource().getTarget().getAverageUtilization()).isEqualTo(70);
    assertThat(spec.getMetrics().get(1).getResource().getTarget().getAverageValue().toString())
        .isEqualTo("200Mi");
    MetricSpec object = spec.getMetrics().get(2);
    assertThat(object.getObject().getDescribedObject().getKind()).isEqualTo("Service");
    assertThat(object.getObject().getMetric().getName()).isEqualTo("function_calls");
    assertThat(object.getObject().getTarget().getType()).isEqualTo("Value");
    MetricSpec pods = spec.getMetrics().get(3);
    assertThat(pods.getPods().getMetric().getName()).isEqualTo("qps");
    assertThat(pods.getPods().getTarget().getType()).isEqualTo("AverageValue");
  }

  @Test
  void keepsV2MetricsAsTheyAre() throws InvalidFunctionException {
    HorizontalPodAutoscalerSpec spec =
        Autoscalers.fromFunction(
                yaml(
                    """
                    spec:
                      maxReplicas: 3
                      metrics:
                      - type: Resource
                        resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
                    """),
                "hello",
                MAPPER)
            .orElseThrow();
    assertThat(spec.getMetrics().get(0).getResource().getTarget().getAverageUtilization())
        .isEqualTo(50);
  }
}
