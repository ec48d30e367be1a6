package io.kubeless.function;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.function.policy.FunctionPolicy;
import io.kubeless.function.runtime.Runtime;
import io.kubeless.function.runtime.RuntimeCatalogue;
import io.kubeless.function.spec.FunctionPlan;
import io.kubeless.function.spec.FunctionPlanner;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every file under examples/ deploys as it is with the shipped configuration and policy. */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class ExamplesTest {

  @Inject FunctionPlanner planner;
  @Inject RuntimeCatalogue catalogue;
  @Inject FunctionPolicy policy;

  @Test
  void everyExampleFunctionIsValidWithTheDefaultCatalogue() throws Exception {
    List<HasMetadata> examples = examples();
    Map<String, Runtime> runtimes = catalogue.runtimes(Optional.empty());

    assertThat(examples).filteredOn(Function.class::isInstance).hasSizeGreaterThanOrEqualTo(4);
    for (HasMetadata example : examples) {
      if (example instanceof Function function) {
        function.getMetadata().setNamespace("default");
        FunctionPlan plan = planner.plan(function, runtimes);
        assertThat(plan.runtime()).as(function.getMetadata().getName()).isPresent();
        policy.check(plan); // the shipped policy allows every example
      }
      if (example instanceof ConfigMap configMap) {
        String yaml = configMap.getData().get("runtimes.yaml");
        configMap.getMetadata().setResourceVersion("1");
        assertThat(catalogue.runtimes(Optional.of(configMap)))
            .as("examples/runtime-catalogue.yaml parses: %s", yaml)
            .containsKey("python3.13");
      }
    }
  }

  private static List<HasMetadata> examples() throws IOException {
    Path dir =
        Path.of(System.getProperty("maven.multiModuleProjectDirectory", "..")).resolve("examples");
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(p -> p.toString().endsWith(".yaml"))
          .sorted()
          .map(
              p -> {
                try (InputStream in = Files.newInputStream(p)) {
                  return (HasMetadata) Serialization.unmarshal(in);
                } catch (IOException e) {
                  throw new AssertionError(p + ": " + e.getMessage(), e);
                }
              })
          .toList();
    }
  }
}
