package io.kubeless.function;

import static io.kubeless.function.TestFunctions.awaitCondition;
import static io.kubeless.function.TestSpecs.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionSpec;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Function code may carry credentials: whatever is wrong with a Function, its code and deps appear
 * in no status message, Event or log line.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class CodeNeverLeaksTest {

  private static final String SECRET = "AKIA-TOP-SECRET-7f3e9c";
  private static final String CODE =
      "import os\nAWS_KEY = '" + SECRET + "'\ndef handler(event, context):\n    return AWS_KEY\n";

  @Inject KubernetesClient client;

  private final List<String> logLines = new CopyOnWriteArrayList<>();
  private final Handler capture =
      new Handler() {
        private final SimpleFormatter formatter = new SimpleFormatter();

        @Override
        public void publish(LogRecord record) {
          StringBuilder line = new StringBuilder(formatter.formatMessage(record));
          for (Throwable t = record.getThrown(); t != null; t = t.getCause()) {
            line.append(" | ").append(t);
          }
          logLines.add(line.toString());
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  @BeforeEach
  void captureLogs() {
    capture.setLevel(Level.ALL);
    Logger.getLogger("").addHandler(capture);
  }

  @AfterEach
  void stopCapturing() {
    Logger.getLogger("").removeHandler(capture);
  }

  static Stream<Arguments> invalidFunctionsWithASecretInTheirCode() {
    return Stream.of(
        broken(
            "InvalidFunctionContent",
            s -> {
              s.setFunctionContentType("url"); // the code given where a URL belongs
              s.setFunction(CODE);
            }),
        broken(
            "InvalidFunctionContent",
            s -> {
              s.setFunctionContentType("base64");
              s.setFunction(CODE);
            }),
        broken("ChecksumMismatch", s -> s.setChecksum("sha256:" + "0".repeat(64))),
        broken(
            "InvalidHandler",
            s -> {
              s.setHandler("hello");
              s.setDeps("secret-package @ https://" + SECRET + "@pypi.example.com/x.whl\n");
            }),
        broken(
            "InvalidDeployment", s -> s.setDeployment(yaml("spec: {replicas: '" + SECRET + "'}"))),
        broken(
            "PodNotAllowed",
            s -> s.setDeployment(yaml("spec: {template: {spec: {hostNetwork: true}}}"))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidFunctionsWithASecretInTheirCode")
  void theCodeOfAnInvalidFunctionIsInNoConditionEventOrLog(
      String reason, Consumer<FunctionSpec> breakIt) {
    String ns = TestFunctions.namespace("leak-" + reason.toLowerCase());
    Function function = TestFunctions.python(ns, "fn");
    function.getSpec().setFunction(CODE);
    breakIt.accept(function.getSpec());
    client.resource(function).create();

    Function reported = awaitCondition(client, ns, "fn", "False", reason);
    List<Event> events = client.v1().events().inNamespace(ns).list().getItems();

    assertThat(reported.getStatus().getConditions())
        .isNotEmpty()
        .extracting(Condition::getMessage)
        .allSatisfy(m -> assertThat(m).isNotBlank().doesNotContain(SECRET));
    assertThat(events)
        .extracting(Event::getReason)
        .as("the Warning Event was recorded")
        .contains(reason);
    assertThat(events).extracting(Event::getMessage).noneMatch(m -> m.contains(SECRET));
    assertThat(logLines)
        .as("the problem was logged")
        .anyMatch(l -> l.contains(ns + "/fn") && l.contains(reason))
        .noneMatch(l -> l.contains(SECRET));
  }

  private static Arguments broken(String reason, Consumer<FunctionSpec> change) {
    return Arguments.of(reason, change);
  }
}
