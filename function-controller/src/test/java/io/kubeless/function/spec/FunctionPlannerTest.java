package io.kubeless.function.spec;

import static io.kubeless.function.TestSpecs.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.kubeless.api.function.Handler;
import io.kubeless.api.function.InvalidFunctionException;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionSpec;
import io.kubeless.function.TestSpecs;
import io.kubeless.function.runtime.TestingCatalogues;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FunctionPlannerTest {

  private final FunctionPlanner planner = new FunctionPlanner(TestingCatalogues.config(2_000));

  @Test
  void resolvesAPythonFunction() throws InvalidFunctionException {
    FunctionPlan plan = plan(spec -> {});

    assertThat(plan.handler()).contains(new Handler("hello", "handler"));
    assertThat(plan.codeKey()).isEqualTo("hello.py");
    assertThat(plan.image()).isEqualTo("reg/runtime-python:3.12");
    assertThat(plan.timeoutSeconds()).isEqualTo(180);
    assertThat(plan.port()).isEqualTo(8080);
    assertThat(plan.url()).isEqualTo("http://hello.ns.svc.cluster.local:8080");
    assertThat(plan.labels())
        .containsEntry("function", "hello")
        .containsEntry("created-by", "kubeless")
        .containsEntry("team", "a");
    assertThat(plan.annotations()).containsKey("note").doesNotContainKey("kubectl.kubernetes.io/x");
    assertThat(plan.autoscaler()).isEmpty();
    assertThat(plan.installsDeps()).isFalse();
  }

  @Test
  void archivesAreStoredUnderTheModuleNameWithTheirOwnSuffix() throws InvalidFunctionException {
    FunctionPlan plan =
        plan(
            spec -> {
              spec.setFunctionContentType("base64+zip");
              spec.setFunction(Base64.getEncoder().encodeToString(new byte[] {'P', 'K', 3, 4}));
            });
    assertThat(plan.codeKey()).isEqualTo("hello.zip");
  }

  @Test
  void acceptsAMatchingChecksumForTextAndForDecodedBase64() throws InvalidFunctionException {
    String code = "def handler(event, context):\n    return 1\n";
    String digest = "sha256:" + FunctionPlanner.sha256(code.getBytes(StandardCharsets.UTF_8));
    assertThat(
            plan(s -> {
                  s.setFunction(code);
                  s.setChecksum(digest);
                })
                .checksumHex())
        .isPresent();
    assertThat(
            plan(s -> {
                  s.setFunction(
                      Base64.getEncoder().encodeToString(code.getBytes(StandardCharsets.UTF_8)));
                  s.setFunctionContentType("base64");
                  s.setChecksum(digest.toUpperCase().replace("SHA256", "sha256"));
                })
                .checksumHex())
        .isPresent();
  }

  @Test
  void aPrebuiltImageNeedsNoRuntimeNorCode() throws InvalidFunctionException {
    FunctionPlan plan =
        plan(
            spec -> {
              spec.setRuntime("");
              spec.setFunction("");
              spec.setHandler("");
              spec.setDeployment(
                  yaml("spec: {template: {spec: {containers: [{image: 'reg/my-fn:1'}]}}}"));
            });
    assertThat(plan.prebuiltImage()).isTrue();
    assertThat(plan.preparesCode()).isFalse();
    assertThat(plan.image()).isEqualTo("reg/my-fn:1");
    assertThat(plan.handler()).isEmpty();
  }

  @Test
  void usesTheServiceTargetPortAsTheFunctionPort() throws InvalidFunctionException {
    FunctionPlan plan =
        plan(spec -> spec.setService(yaml("ports: [{name: web, port: 80, targetPort: 9000}]")));
    assertThat(plan.port()).isEqualTo(9000);
    assertThat(plan.url()).endsWith(":80");
    assertThat(plan.service().getSelector()).containsEntry("function", "hello");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"", "hello", "hello.", ".handler", "a.b.c", "hello world.handler", "x/y.h"})
  void rejectsMalformedHandlers(String handler) {
    assertInvalid(spec -> spec.setHandler(handler), "InvalidHandler");
  }

  @ParameterizedTest
  @ValueSource(strings = {"abc", "-1", "0", "1.5"})
  void rejectsMalformedTimeouts(String timeout) {
    assertInvalid(spec -> spec.setTimeout(timeout), "InvalidTimeout");
  }

  @Test
  void rejectsAnUnknownRuntimeListingTheKnownOnes() {
    assertThatThrownBy(() -> plan(spec -> spec.setRuntime("cobol85")))
        .hasMessageContaining("cobol85")
        .hasMessageContaining("python3.12");
    assertInvalid(spec -> spec.setRuntime("cobol85"), "UnknownRuntime");
  }

  @Test
  void kubelessRuntimeNamesRunOnTheCurrentRuntimeOfTheirLanguage() throws InvalidFunctionException {
    FunctionPlan plan = plan(spec -> spec.setRuntime("nodejs8"));

    assertThat(plan.image()).isEqualTo("reg/runtime-nodejs:20");
    assertThat(plan.codeKey()).isEqualTo("hello.js");
    // the function still sees the name it was deployed with
    assertThat(plan.runtime().orElseThrow().id()).isEqualTo("nodejs8");
    assertThat(plan(spec -> spec.setRuntime("python3.6")).image())
        .isEqualTo("reg/runtime-python:3.12");
    assertThat(plan(spec -> spec.setRuntime("java1.8")).image()).isEqualTo("reg/runtime-java:21");
    assertThat(plan(spec -> spec.setRuntime("go1.14")).image()).isEqualTo("reg/runtime-go:1.26");
    assertThat(plan(spec -> spec.setRuntime("ruby2.6")).image()).isEqualTo("reg/runtime-ruby:3.4");
    assertThat(plan(spec -> spec.setRuntime("php7.3")).image()).isEqualTo("reg/runtime-php:8.4");
  }

  @Test
  void refusesAKubelessRuntimeNameThatCannotRunHereNamingTheReplacement() {
    assertThatThrownBy(() -> plan(spec -> spec.setRuntime("python2.7")))
        .hasMessageContaining("python2.7")
        .hasMessageContaining("end-of-life")
        .hasMessageContaining("use python3.12");
    assertInvalid(spec -> spec.setRuntime("python2.7"), "UnsupportedRuntime");
    assertInvalid(spec -> spec.setRuntime("dotnetcore3.1"), "UnsupportedRuntime");
  }

  @Test
  void aRefusedRuntimeNameIsNoObstacleToAFunctionInItsOwnImage() throws InvalidFunctionException {
    FunctionPlan plan =
        plan(
            spec -> {
              spec.setRuntime("dotnetcore3.1");
              spec.setDeployment(
                  yaml("spec: {template: {spec: {containers: [{image: 'reg/my-fn:1'}]}}}"));
            });

    assertThat(plan.image()).isEqualTo("reg/my-fn:1");
  }

  @Test
  void rejectsCodeThatDoesNotMatchItsChecksum() {
    assertInvalid(spec -> spec.setChecksum("sha256:" + "0".repeat(64)), "ChecksumMismatch");
    assertInvalid(spec -> spec.setChecksum("md5:abc"), "InvalidChecksum");
  }

  @Test
  void rejectsBadContent() {
    assertInvalid(spec -> spec.setFunction(""), "InvalidFunctionContent");
    assertInvalid(
        spec -> {
          spec.setFunctionContentType("base64");
          spec.setFunction("not base64 !");
        },
        "InvalidFunctionContent");
    assertInvalid(
        spec -> {
          spec.setFunctionContentType("url");
          spec.setFunction("ftp://example.com/f.py");
        },
        "InvalidFunctionContent");
    assertInvalid(spec -> spec.setFunction("x".repeat(3_000)), "FunctionTooLarge");
    // the limit is in bytes: 800 three-byte characters are 2,400 bytes
    assertInvalid(spec -> spec.setFunction("€".repeat(800)), "FunctionTooLarge");
  }

  @Test
  void base64CodeIsStoredWithoutTheWhiteSpaceOfFoldedYaml() throws InvalidFunctionException {
    String encoded =
        Base64.getEncoder().encodeToString("def handler(e, c):\n  return 1\n".getBytes());
    String folded =
        encoded.substring(0, 10)
            + " "
            + encoded.substring(10, 20)
            + "\r\n\t"
            + encoded.substring(20);

    FunctionPlan plan =
        plan(
            spec -> {
              spec.setFunctionContentType("base64");
              spec.setFunction(folded);
            });

    assertThat(plan.code()).isEqualTo(encoded);
  }

  @Test
  void aNamelessImagelessInitContainerSizesTheFunctionsOwnInitContainers()
      throws InvalidFunctionException {
    FunctionPlan plan =
        plan(
            spec ->
                spec.setDeployment(
                    yaml(
                        """
                        spec:
                          template:
                            spec:
                              initContainers:
                              - resources: {limits: {cpu: 200m, memory: 200Mi}}
                              - {name: warm-cache, image: busybox}
                        """)));

    assertThat(plan.initResources().orElseThrow().getLimits().get("memory").toString())
        .isEqualTo("200Mi");
    assertThat(plan.overrides().getSpec().getTemplate().getSpec().getInitContainers())
        .extracting(c -> c.getName())
        .containsExactly("warm-cache");
  }

  @Test
  void rejectsUnmergeableDeployments() {
    assertInvalid(spec -> spec.setDeployment(yaml("spec: {replicas: many}")), "InvalidDeployment");
    assertInvalid(spec -> spec.setDeployment(yaml("spec: {replicas: -1}")), "InvalidDeployment");
    assertInvalid(
        spec ->
            spec.setDeployment(
                yaml("spec: {template: {spec: {initContainers: [{name: prepare, image: x}]}}}")),
        "InvalidDeployment");
    assertInvalid(
        spec -> spec.setDeployment(yaml("spec: {template: {spec: {initContainers: [{name: x}]}}}")),
        "InvalidDeployment");
    assertInvalid(
        spec ->
            spec.setDeployment(
                yaml("spec: {template: {spec: {initContainers: [{resources: {}}, {}]}}}")),
        "InvalidDeployment");
    assertInvalid(
        spec ->
            spec.setDeployment(
                yaml("spec: {template: {spec: {containers: [{ports: [{name: http}]}]}}}")),
        "InvalidDeployment");
    assertInvalid(
        spec ->
            spec.setDeployment(
                yaml("spec: {template: {spec: {volumes: [{name: hello-deps, emptyDir: {}}]}}}")),
        "InvalidDeployment");
  }

  @Test
  void rejectsBadServicesAndAutoscalers() {
    assertInvalid(spec -> spec.setService(yaml("ports: [{port: 70000}]")), "InvalidService");
    assertInvalid(
        spec -> spec.setService(yaml("ports: [{port: 80, targetPort: http}]")), "InvalidService");
    assertInvalid(
        spec -> spec.setHorizontalPodAutoscaler(yaml("spec: {minReplicas: 5, maxReplicas: 2}")),
        "InvalidAutoscaler");
  }

  private FunctionPlan plan(Consumer<FunctionSpec> change) throws InvalidFunctionException {
    FunctionSpec spec = TestSpecs.python();
    spec.setTimeout(null);
    change.accept(spec);
    Function function = new Function();
    function.setMetadata(
        new ObjectMetaBuilder()
            .withName("hello")
            .withNamespace("ns")
            .addToLabels("team", "a")
            .addToAnnotations("note", "kept")
            .addToAnnotations("kubectl.kubernetes.io/x", "dropped")
            .build());
    function.setSpec(spec);
    return planner.plan(function, TestingCatalogues.defaults());
  }

  private void assertInvalid(Consumer<FunctionSpec> change, String reason) {
    assertThatThrownBy(() -> plan(change))
        .isInstanceOf(InvalidFunctionException.class)
        .extracting(e -> ((InvalidFunctionException) e).reason())
        .isEqualTo(reason);
  }
}
