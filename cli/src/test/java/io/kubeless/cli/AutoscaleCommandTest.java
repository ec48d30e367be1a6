package io.kubeless.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.kubeless.api.v1beta1.Function;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class AutoscaleCommandTest {

  KubernetesClient client;

  private void function(String name) {
    Function f = new Function();
    f.setMetadata(
        new ObjectMetaBuilder()
            .withName(name)
            .withNamespace("scale")
            .withLabels(Map.of("function", name, "created-by", "kubeless"))
            .build());
    f.getSpec().setHandler("h.f");
    f.getSpec().setRuntime("python3.12");
    client.resources(Function.class).inNamespace("scale").resource(f).create();
  }

  private JsonNode hpa(String name) {
    return client
        .resources(Function.class)
        .inNamespace("scale")
        .withName(name)
        .get()
        .getSpec()
        .getHorizontalPodAutoscaler();
  }

  @Test
  void createCpuWritesAnAutoscalingV2ResourceMetric() {
    function("busy");

    CliRun run =
        CliRun.run(
            client,
            "autoscale",
            "create",
            "busy",
            "-n",
            "scale",
            "--metric",
            "cpu",
            "--value",
            "70",
            "--min",
            "2",
            "--max",
            "5");

    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out()).contains("Autoscaling rule for busy submitted for deployment");
    JsonNode hpa = hpa("busy");
    assertThat(hpa.path("apiVersion").asText()).isEqualTo("autoscaling/v2");
    assertThat(hpa.path("kind").asText()).isEqualTo("HorizontalPodAutoscaler");
    assertThat(hpa.path("metadata").path("name").asText()).isEqualTo("busy");
    JsonNode spec = hpa.path("spec");
    assertThat(spec.path("scaleTargetRef").path("kind").asText()).isEqualTo("Deployment");
    assertThat(spec.path("scaleTargetRef").path("name").asText()).isEqualTo("busy");
    assertThat(spec.path("scaleTargetRef").path("apiVersion").asText()).isEqualTo("apps/v1");
    assertThat(spec.path("minReplicas").asInt()).isEqualTo(2);
    assertThat(spec.path("maxReplicas").asInt()).isEqualTo(5);
    JsonNode metric = spec.path("metrics").path(0);
    assertThat(metric.path("type").asText()).isEqualTo("Resource");
    assertThat(metric.path("resource").path("name").asText()).isEqualTo("cpu");
    assertThat(metric.path("resource").path("target").path("type").asText())
        .isEqualTo("Utilization");
    assertThat(metric.path("resource").path("target").path("averageUtilization").asInt())
        .isEqualTo(70);
  }

  @Test
  void createQpsWritesTheFunctionCallsObjectMetricOfTheService() {
    function("api");

    CliRun run =
        CliRun.run(
            client,
            "autoscale",
            "create",
            "api",
            "-n",
            "scale",
            "--metric",
            "qps",
            "--value",
            "10",
            "--max",
            "3");

    assertThat(run.code()).as(run.err()).isZero();
    JsonNode metric = hpa("api").path("spec").path("metrics").path(0);
    assertThat(metric.path("type").asText()).isEqualTo("Object");
    JsonNode object = metric.path("object");
    assertThat(object.path("metric").path("name").asText()).isEqualTo("function_calls");
    assertThat(object.path("describedObject").path("kind").asText()).isEqualTo("Service");
    assertThat(object.path("describedObject").path("name").asText()).isEqualTo("api");
    assertThat(object.path("target").path("type").asText()).isEqualTo("Value");
    assertThat(object.path("target").path("value").asText()).isEqualTo("10");
    assertThat(hpa("api").path("spec").path("minReplicas").asInt()).isEqualTo(1);
  }

  @Test
  void listShowsFunctionsWithAnAutoscalerThenDeleteRemovesIt() {
    function("a");
    function("b");
    function("plain");
    CliRun.run(client, "autoscale", "create", "a", "-n", "scale", "--value", "50", "--max", "4");
    CliRun.run(
        client,
        "autoscale",
        "create",
        "b",
        "-n",
        "scale",
        "--metric",
        "qps",
        "--value",
        "500m",
        "--max",
        "2");

    CliRun list = CliRun.run(client, "autoscale", "ls", "-n", "scale");

    assertThat(list.code()).as(list.err()).isZero();
    List<String> lines = list.out().lines().toList();
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0).split("\\s{3,}"))
        .containsExactly("NAME", "NAMESPACE", "TARGET", "MIN", "MAX", "METRIC", "VALUE");
    assertThat(lines.get(1).split("\\s{3,}"))
        .containsExactly("a", "scale", "a", "1", "4", "cpu", "50");
    assertThat(lines.get(2).split("\\s{3,}"))
        .containsExactly("b", "scale", "b", "1", "2", "function_calls", "500m");

    CliRun yaml = CliRun.run(client, "autoscale", "list", "-n", "scale", "--out", "yaml");
    assertThat(yaml.out()).contains("kind: \"HorizontalPodAutoscaler\"", "name: \"a\"");

    CliRun delete = CliRun.run(client, "autoscale", "delete", "a", "-n", "scale");
    assertThat(delete.code()).as(delete.err()).isZero();
    assertThat(delete.out()).contains("Remove Autoscaling rule from a successfully");
    assertThat(hpa("a")).isNull();
    CliRun again = CliRun.run(client, "autoscale", "delete", "a", "-n", "scale");
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err()).contains("Not found an autoscale definition for a");
    assertThat(CliRun.run(client, "autoscale", "ls", "-n", "scale").out().lines()).hasSize(2);
  }

  @Test
  void usageErrorsAndAMissingFunction() {
    assertThat(CliRun.offline("autoscale", "create", "f", "-n", "s").err()).contains("--value");
    CliRun metric =
        CliRun.offline("autoscale", "create", "f", "-n", "s", "--metric", "mem", "--value", "1");
    assertThat(metric.code()).isEqualTo(2);
    assertThat(metric.err()).contains("only supported metrics: cpu, qps");
    CliRun min =
        CliRun.offline("autoscale", "create", "f", "-n", "s", "--value", "1", "--min", "0");
    assertThat(min.err()).contains("min can't be negative or zero");
    CliRun max =
        CliRun.offline(
            "autoscale", "create", "f", "-n", "s", "--value", "1", "--min", "3", "--max", "2");
    assertThat(max.err()).contains("max must be greater than or equal to min");
    CliRun cpu = CliRun.offline("autoscale", "create", "f", "-n", "s", "--value", "70%");
    assertThat(cpu.code()).isEqualTo(2);
    assertThat(cpu.err()).contains("whole percentage");

    CliRun missing =
        CliRun.run(client, "autoscale", "create", "ghost", "-n", "scale", "--value", "5");
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.err()).contains("function \"ghost\" not found in namespace \"scale\"");
  }
}
