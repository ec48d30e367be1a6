package io.kubeless.function.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.kubeless.api.function.InvalidFunctionException;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RuntimeCatalogueTest {

  @Test
  void configMapEntriesOverrideDefaultsFieldByField() {
    Map<String, Runtime> merged =
        RuntimeCatalogue.merge(
            TestingCatalogues.defaults(),
            """
            python3.12:
              image: mirror.local/python:3.12-patched
            ruby3.3:
              image: mirror.local/ruby:3.3
              depsFile: Gemfile
              fileSuffix: .rb
              installCommand: bundle install
            """);

    assertThat(merged.get("python3.12").image()).isEqualTo("mirror.local/python:3.12-patched");
    assertThat(merged.get("python3.12").depsFile()).contains("requirements.txt");
    assertThat(merged.get("python3.12").fileSuffix()).isEqualTo(".py");
    assertThat(merged.get("ruby3.3").installCommand()).contains("bundle install");
    assertThat(merged).containsKeys("nodejs20", "java21");
  }

  @Test
  void anOperatorEntryForAKubelessNameWinsOverTheTable() throws InvalidFunctionException {
    Map<String, Runtime> merged =
        RuntimeCatalogue.merge(
            TestingCatalogues.defaults(),
            "nodejs8:\n  image: mirror.local/node:8\npython2.7:\n  image: mirror.local/py:2.7\n");

    Runtime nodejs8 = RuntimeCatalogue.resolve(merged, "nodejs8").orElseThrow();
    assertThat(nodejs8.image()).isEqualTo("mirror.local/node:8");
    // the fields not given come from the runtime the name runs on
    assertThat(nodejs8.fileSuffix()).isEqualTo(".js");
    assertThat(nodejs8.depsFile()).contains("package.json");
    assertThat(RuntimeCatalogue.resolve(merged, "python2.7").orElseThrow().image())
        .isEqualTo("mirror.local/py:2.7");
  }

  @Test
  void resolvesKubelessNamesAgainstTheCatalogue() throws InvalidFunctionException {
    Map<String, Runtime> defaults = TestingCatalogues.defaults();

    Runtime nodejs8 = RuntimeCatalogue.resolve(defaults, "nodejs8").orElseThrow();
    assertThat(nodejs8.id()).isEqualTo("nodejs8");
    assertThat(nodejs8.image()).isEqualTo(defaults.get("nodejs20").image());
    assertThat(RuntimeCatalogue.resolve(defaults, "cobol85")).isEmpty();
    assertThatThrownBy(() -> RuntimeCatalogue.resolve(defaults, "python2.7"))
        .isInstanceOf(InvalidFunctionException.class)
        .hasMessageContaining("use python3.12");
    assertThat(RuntimeCatalogue.names(defaults))
        .contains("nodejs20", "nodejs8", "nodejsCE8", "python3.4", "java11")
        .contains("go1.14", "ruby2.6", "php7.3")
        .doesNotContain("python2.7", "dotnetcore3.1");
  }

  @Test
  void rejectsANewRuntimeWithoutImage() {
    assertThatThrownBy(() -> RuntimeCatalogue.merge(Map.of(), "go1.22:\n  fileSuffix: .go\n"))
        .hasMessageContaining("go1.22 has no image");
  }

  @Test
  void keepsTheLastGoodCatalogueWhenTheConfigMapBreaks() {
    RuntimeCatalogue catalogue = new RuntimeCatalogue(TestingCatalogues.config());
    Map<String, Runtime> good =
        catalogue.runtimes(configMap("1", "custom1:\n  image: reg/custom:1\n"));
    Map<String, Runtime> afterBroken = catalogue.runtimes(configMap("2", "custom1: [unclosed"));

    assertThat(good).containsKey("custom1");
    assertThat(afterBroken).isEqualTo(good);
    assertThat(catalogue.runtimes(Optional.empty())).doesNotContainKey("custom1");
  }

  private static Optional<ConfigMap> configMap(String version, String yaml) {
    return Optional.of(
        new ConfigMapBuilder()
            .withNewMetadata()
            .withName("kubeless-runtimes")
            .withResourceVersion(version)
            .endMetadata()
            .withData(Map.of("runtimes.yaml", yaml))
            .build());
  }
}
