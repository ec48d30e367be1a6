package io.kubeless.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.kubeless.api.function.InvalidFunctionException;
import io.kubeless.api.function.RuntimeNames;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LocalFunctionTest {

  @ParameterizedTest
  @CsvSource({
    "nodejs8, nodejs",
    "nodejs_distroless8, nodejs",
    "nodejsCE8, nodejs",
    "nodejs20, nodejs",
    "python3.7, python",
    "python3.12, python",
    "java1.8, java",
    "java21, java",
    "go1.14, go",
    "go1.26, go",
    "ruby2.6, ruby",
    "ruby3.4, ruby",
    "php7.3, php",
    "php8.4, php"
  })
  void runsKubelessRuntimeNamesOnTheRuntimeOfTheirLanguage(String runtime, String language)
      throws InvalidFunctionException {
    LocalFunction local = LocalFunction.of(function(runtime));

    assertThat(local.language()).isEqualTo(language);
    // the function sees the name it was given, as in a cluster
    assertThat(local.runtime()).isEqualTo(runtime);
  }

  @Test
  void refusesPython27WithTheControllersMessage() {
    assertThatThrownBy(() -> LocalFunction.of(function("python2.7")))
        .isInstanceOfSatisfying(
            InvalidFunctionException.class,
            e -> assertThat(e.reason()).isEqualTo("UnsupportedRuntime"))
        .hasMessage(RuntimeNames.refusal("python2.7").orElseThrow().message())
        .hasMessageContaining("use python3.12");
  }

  @Test
  void refusesRuntimesItDoesNotKnow() {
    assertThatThrownBy(() -> LocalFunction.of(function("cobol85")))
        .isInstanceOfSatisfying(
            InvalidFunctionException.class,
            e -> assertThat(e.reason()).isEqualTo("UnsupportedRuntime"))
        .hasMessageContaining("is not one local mode runs");
  }

  private static Function function(String runtime) {
    FunctionSpec spec = new FunctionSpec();
    spec.setRuntime(runtime);
    spec.setHandler("hello.handler");
    spec.setFunction("code");
    Function f = new Function();
    f.setMetadata(new ObjectMetaBuilder().withName("hello").build());
    f.setSpec(spec);
    return f;
  }
}
