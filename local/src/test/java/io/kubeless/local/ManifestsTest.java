package io.kubeless.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeless.api.function.InvalidFunctionException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestsTest {

  @TempDir Path dir;

  @Test
  void readsDirectoriesMultiDocumentFilesAndJsonAsKubectlDoes() throws Exception {
    Files.writeString(
        dir.resolve("a.yaml"),
        """
        apiVersion: kubeless.io/v1beta1
        kind: Function
        metadata: {name: hello, labels: {topic: orders}}
        spec: {runtime: python3.12, handler: hello.handler, function: "def handler(e, c): return 1"}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: other}
        ---
        apiVersion: kubeless.io/v1beta1
        kind: KafkaTrigger
        metadata: {name: orders, namespace: shop}
        spec: {topic: orders, functionSelector: {matchLabels: {topic: orders}}}
        ---
        """);
    Files.writeString(
        dir.resolve("b.yml"),
        """
        apiVersion: kubeless.io/v1beta1
        kind: Function
        metadata: {name: broken}
        spec: {runtime: python3.12, handler: nodot, function: "x"}
        """);
    Files.writeString(
        dir.resolve("c.json"),
        """
        {"apiVersion": "v1", "kind": "List", "items": [
          {"apiVersion": "kubeless.io/v1beta1", "kind": "Function",
           "metadata": {"name": "js", "namespace": "web"},
           "spec": {"runtime": "nodejs20", "handler": "m.f", "function": "x", "timeout": "7"}}]}
        """);
    Files.writeString(dir.resolve("notes.txt"), "not a manifest: {");
    Files.writeString(dir.resolve("d.yaml"), "kind: [unclosed");

    Manifests m = Manifests.load(List.of(dir));

    assertThat(m.functions())
        .extracting(f -> f.getMetadata().getName())
        .containsExactly("hello", "broken", "js");
    assertThat(m.kafkaTriggers())
        .singleElement()
        .satisfies(t -> assertThat(t.getSpec().getTopic()).isEqualTo("orders"));
    assertThat(m.skipped()).singleElement().asString().startsWith("Service other");
    assertThat(m.problems()).singleElement().asString().contains("d.yaml");

    LocalFunction hello = LocalFunction.of(m.functions().get(0));
    assertThat(hello.language()).isEqualTo("python");
    assertThat(hello.handler().module()).isEqualTo("hello");
    assertThat(hello.namespace()).isEqualTo("default");
    assertThat(hello.labels()).isEqualTo(Map.of("topic", "orders"));
    assertThat(hello.timeout()).isEqualTo(Duration.ofSeconds(180));

    assertThatThrownBy(() -> LocalFunction.of(m.functions().get(1)))
        .isInstanceOfSatisfying(
            InvalidFunctionException.class,
            e -> assertThat(e.reason()).isEqualTo("InvalidHandler"));

    LocalFunction js = LocalFunction.of(m.functions().get(2));
    assertThat(js.key()).isEqualTo("web/js");
    assertThat(js.language()).isEqualTo("nodejs");
    assertThat(js.timeout()).isEqualTo(Duration.ofSeconds(7));
  }

  @Test
  void refusesAnUnknownRuntimeAndAMissingPath() throws Exception {
    Path file = dir.resolve("f.yaml");
    Files.writeString(
        file,
        """
        apiVersion: kubeless.io/v1beta1
        kind: Function
        metadata: {name: cb}
        spec: {runtime: cobol85, handler: a.b, function: "x"}
        """);
    Manifests m = Manifests.load(List.of(file));
    assertThatThrownBy(() -> LocalFunction.of(m.functions().get(0)))
        .isInstanceOfSatisfying(
            InvalidFunctionException.class,
            e -> assertThat(e.reason()).isEqualTo("UnsupportedRuntime"));
    assertThatThrownBy(() -> Manifests.load(List.of(dir.resolve("missing"))))
        .hasMessageContaining("does not exist");
  }
}
