package io.kubeless.api.function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RuntimeNamesTest {

  @ParameterizedTest
  @CsvSource({
    "nodejs6, nodejs20",
    "nodejs8, nodejs20",
    "nodejs10, nodejs20",
    "nodejs12, nodejs20",
    "nodejs14, nodejs20",
    "nodejs_distroless8, nodejs20",
    "nodejsCE8, nodejs20",
    "python3.4, python3.12",
    "python3.6, python3.12",
    "python3.7, python3.12",
    "python3.8, python3.12",
    "java1.8, java21",
    "java11, java21",
    "go1.13, go1.26",
    "go1.14, go1.26",
    "ruby2.3, ruby3.4",
    "ruby2.4, ruby3.4",
    "ruby2.5, ruby3.4",
    "ruby2.6, ruby3.4",
    "ruby2.7, ruby3.4",
    "php7.2, php8.4",
    "php7.3, php8.4",
    "php7.4, php8.4",
    "nodejs20, nodejs20",
    "python3.12, python3.12",
    "java21, java21",
    "go1.26, go1.26",
    "ruby3.4, ruby3.4",
    "php8.4, php8.4",
    "my-own-runtime, my-own-runtime"
  })
  void kubelessNamesResolveToTheCurrentRuntimeOfTheirLanguage(String name, String runtime)
      throws InvalidFunctionException {
    assertThat(RuntimeNames.resolve(name)).isEqualTo(runtime);
    assertThat(RuntimeNames.resolve(" " + name + " ")).isEqualTo(runtime);
  }

  @ParameterizedTest
  @CsvSource({
    "python2.7, python3.12, Python 2 is end-of-life",
    "jvm1.8, java21, compiled jar",
    "vertx1.8, java21, no Vert.x runtime",
    "dotnetcore2.0, --runtime-image, no .NET runtime",
    "dotnetcore2.1, --runtime-image, no .NET runtime",
    "dotnetcore2.2, --runtime-image, no .NET runtime",
    "dotnetcore3.1, --runtime-image, no .NET runtime",
    "ballerina0.981.0, --runtime-image, no Ballerina runtime"
  })
  void namesThatCannotRunHereAreRefusedNamingTheReplacement(
      String name, String replacement, String why) {
    assertThatThrownBy(() -> RuntimeNames.resolve(name))
        .isInstanceOfSatisfying(
            InvalidFunctionException.class,
            e -> assertThat(e.reason()).isEqualTo("UnsupportedRuntime"))
        .hasMessageStartingWith("spec.runtime '" + name + "' is not supported: ")
        .hasMessageContaining(why)
        .hasMessageContaining("use ")
        .hasMessageContaining(replacement);
  }

  /** Every name of Kubeless's final catalogue is in the table, exactly once. */
  @Test
  void theTableCoversKubelessFinalCatalogue() {
    List<String> kubeless =
        List.of(
            "nodejs6",
            "nodejs8",
            "nodejs10",
            "nodejs12",
            "nodejs_distroless8",
            "nodejsCE8",
            "python2.7",
            "python3.4",
            "python3.6",
            "python3.7",
            "java1.8",
            "java11",
            "jvm1.8",
            "vertx1.8",
            "go1.13",
            "go1.14",
            "ruby2.3",
            "ruby2.4",
            "ruby2.5",
            "ruby2.6",
            "php7.2",
            "php7.3",
            "dotnetcore2.0",
            "dotnetcore2.1",
            "dotnetcore2.2",
            "dotnetcore3.1",
            "ballerina0.981.0");
    List<String> table = new ArrayList<>(RuntimeNames.aliases().keySet());
    table.addAll(RuntimeNames.refusals().keySet());

    assertThat(table).doesNotHaveDuplicates().containsAll(kubeless);
    assertThat(RuntimeNames.aliases().values())
        .containsOnly(
            RuntimeNames.NODEJS,
            RuntimeNames.PYTHON,
            RuntimeNames.JAVA,
            RuntimeNames.GO,
            RuntimeNames.RUBY,
            RuntimeNames.PHP);
  }
}
