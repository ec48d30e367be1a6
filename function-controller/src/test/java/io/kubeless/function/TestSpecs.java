package io.kubeless.function;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.kubeless.api.v1beta1.FunctionSpec;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/** Function specs the tests start from and change. */
public final class TestSpecs {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private TestSpecs() {}

  /** A valid Python function, {@code hello.handler}, timeout 30 s. */
  public static FunctionSpec python() {
    FunctionSpec spec = new FunctionSpec();
    spec.setHandler("hello.handler");
    spec.setRuntime("python3.12");
    spec.setFunction("def handler(event, context):\n    return 'hello'\n");
    spec.setFunctionContentType("text");
    spec.setTimeout("30");
    return spec;
  }

  /** Each spec change that must roll the pods: (what, change). */
  public static Stream<Arguments> rollingChanges() {
    return Stream.of(
        change("code", s -> s.setFunction("def handler(e, c):\n  return 2\n")),
        change("deps", s -> s.setDeps("flask==3.0.0\n")),
        change("runtime", s -> s.setRuntime("nodejs20")),
        change("timeout", s -> s.setTimeout("45")),
        change("handler", s -> s.setHandler("hello.other")),
        change(
            "deployment",
            s ->
                s.setDeployment(
                    yaml(
                        "spec: {template: {spec: {containers: [{env: [{name: A, value: b}]}]}}}"))));
  }

  /** A JSON object written as YAML, for the untyped parts of a spec. */
  public static ObjectNode yaml(String yaml) {
    try {
      return (ObjectNode) YAML.readTree(yaml);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static Arguments change(String what, Consumer<FunctionSpec> change) {
    return Arguments.of(what, change);
  }
}
