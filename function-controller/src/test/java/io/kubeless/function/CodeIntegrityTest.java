package io.kubeless.function;

import static io.kubeless.function.TestFunctions.TIMEOUT;
import static io.kubeless.function.TestFunctions.awaitCondition;
import static io.kubeless.function.TestFunctions.awaitDeployment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.Function;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Code from a URL without a checksum, or over plain http, works but carries a warning condition
 * {@code CodeIntegrity=False} and a Warning Event; https with a checksum is {@code True}.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class CodeIntegrityTest {

  @Inject KubernetesClient client;

  @ParameterizedTest(name = "{0} checksum={1}")
  @CsvSource({
    "http://code.example.com/hello.py, true, False, InsecureUrl",
    "http://code.example.com/hello.py, false, False, InsecureUrl",
    "https://code.example.com/hello.py, false, False, NoChecksum",
    "https://code.example.com/hello.py, true, True, ChecksumVerified"
  })
  void codeFromAUrlIsMarkedWithHowFarItCanBeTrusted(
      String url, boolean checksum, String status, String reason) {
    String ns = TestFunctions.namespace("integrity");
    Function function = TestFunctions.python(ns, "fn");
    function.getSpec().setFunctionContentType("url");
    function.getSpec().setFunction(url);
    if (checksum) {
      function.getSpec().setChecksum("sha256:" + "a".repeat(64));
    }
    client.resource(function).create();
    TestFunctions.markAvailable(client, awaitDeployment(client, ns, "fn"), 1);

    Function ready = awaitCondition(client, ns, "fn", "True", "DeploymentAvailable");
    Condition integrity =
        await()
            .atMost(TIMEOUT)
            .until(
                () ->
                    integrity(
                        client.resources(Function.class).inNamespace(ns).withName("fn").get()),
                Optional::isPresent)
            .orElseThrow();

    assertThat(Conditions.isReady(ready.getStatus())).isTrue();
    assertThat(integrity.getStatus()).isEqualTo(status);
    assertThat(integrity.getReason()).isEqualTo(reason);
    assertThat(integrity.getMessage()).isNotBlank().doesNotContain("code.example.com");
    assertThat(
            client.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> "Warning".equals(e.getType()))
                .map(Event::getReason))
        .containsExactlyElementsOf(
            "False".equals(status) ? java.util.List.of(reason) : java.util.List.of());
  }

  @Test
  void inlineCodeCarriesNoIntegrityCondition() {
    String ns = TestFunctions.namespace("integrity-inline");
    client.resource(TestFunctions.python(ns, "fn")).create();
    TestFunctions.markAvailable(client, awaitDeployment(client, ns, "fn"), 1);

    Function ready = awaitCondition(client, ns, "fn", "True", "DeploymentAvailable");

    assertThat(integrity(ready)).isEmpty();
  }

  private static Optional<Condition> integrity(Function function) {
    return Conditions.find(function.getStatus(), CodeIntegrity.TYPE);
  }
}
