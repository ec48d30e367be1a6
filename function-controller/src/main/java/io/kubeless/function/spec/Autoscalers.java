package io.kubeless.function.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.autoscaling.v2.CrossVersionObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerSpec;
import io.kubeless.api.function.InvalidFunctionException;
import java.util.Optional;

/**
 * Reads {@code spec.horizontalPodAutoscaler}: Kubeless wrote {@code autoscaling/v2beta1} objects
 * (and a zero-valued one when no autoscaler was wanted); the controller creates {@code
 * autoscaling/v2}, so v2beta1 metric targets are converted.
 */
final class Autoscalers {

  private Autoscalers() {}

  /** The v2 spec for the function's Deployment, or empty when no autoscaler is requested. */
  static Optional<HorizontalPodAutoscalerSpec> fromFunction(
      ObjectNode hpa, String deployment, ObjectMapper mapper) throws InvalidFunctionException {
    if (hpa == null || !hpa.path("spec").isObject()) {
      return Optional.empty();
    }
    ObjectNode spec = hpa.path("spec").deepCopy();
    if (spec.path("maxReplicas").asInt(0) <= 0) {
      return Optional.empty();
    }
    if (spec.path("metrics").isArray()) {
      for (JsonNode metric : (ArrayNode) spec.path("metrics")) {
        if (metric.isObject()) {
          toV2((ObjectNode) metric);
        }
      }
    }
    spec.remove("scaleTargetRef");
    HorizontalPodAutoscalerSpec result;
    try {
      result = mapper.treeToValue(spec, HorizontalPodAutoscalerSpec.class);
    } catch (Exception e) {
      throw new InvalidFunctionException(
          "InvalidAutoscaler", ParseErrors.describe("spec.horizontalPodAutoscaler.spec", e));
    }
    int min = result.getMinReplicas() == null ? 1 : result.getMinReplicas();
    if (min < 1 || min > result.getMaxReplicas()) {
      throw new InvalidFunctionException(
          "InvalidAutoscaler",
          "spec.horizontalPodAutoscaler: minReplicas "
              + min
              + " must be between 1 and maxReplicas "
              + result.getMaxReplicas());
    }
    result.setScaleTargetRef(
        new CrossVersionObjectReferenceBuilder()
            .withApiVersion("apps/v1")
            .withKind("Deployment")
            .withName(deployment)
            .build());
    return Optional.of(result);
  }

  /** Rewrites one v2beta1 metric in place as v2; v2 metrics are left unchanged. */
  private static void toV2(ObjectNode metric) {
    String type = metric.path("type").asText();
    switch (type) {
      case "Resource" -> {
        if (metric.path("resource").isObject()) {
          moveTarget((ObjectNode) metric.path("resource"));
        }
      }
      case "Pods", "External" -> {
        String key = type.equals("Pods") ? "pods" : "external";
        if (metric.path(key).isObject()) {
          ObjectNode source = (ObjectNode) metric.path(key);
          moveMetric(source, type.equals("Pods") ? "selector" : "metricSelector");
          moveTarget(source);
        }
      }
      case "Object" -> {
        if (metric.path("object").isObject()) {
          ObjectNode source = (ObjectNode) metric.path("object");
          if (source.has("target") && source.path("target").has("kind")) {
            source.set("describedObject", source.remove("target"));
          }
          moveMetric(source, "selector");
          moveTarget(source);
        }
      }
      default -> {
        // an unknown type is passed through; the API server reports it
      }
    }
  }

  private static void moveMetric(ObjectNode source, String selectorField) {
    if (source.has("metricName")) {
      ObjectNode metric = source.putObject("metric");
      metric.set("name", source.remove("metricName"));
      if (source.has(selectorField)) {
        metric.set("selector", source.remove(selectorField));
      }
    }
  }

  /** v2beta1 target fields, and the v2 target type and field each becomes. */
  private static final String[][] TARGETS = {
    {"targetAverageUtilization", "Utilization", "averageUtilization"},
    {"targetAverageValue", "AverageValue", "averageValue"},
    {"averageValue", "AverageValue", "averageValue"},
    {"targetValue", "Value", "value"},
  };

  private static void moveTarget(ObjectNode source) {
    if (source.path("target").has("type")) {
      return;
    }
    for (String[] move : TARGETS) {
      if (source.has(move[0])) {
        JsonNode value = source.remove(move[0]);
        source.putObject("target").put("type", move[1]).set(move[2], value);
        return;
      }
    }
  }
}
