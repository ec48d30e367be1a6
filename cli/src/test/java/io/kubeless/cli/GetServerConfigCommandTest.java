package io.kubeless.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class GetServerConfigCommandTest {

  KubernetesClient client;

  private void catalogue(String yaml) {
    client
        .configMaps()
        .inNamespace("kubeless")
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("kubeless-runtimes")
                .endMetadata()
                .addToData("runtimes.yaml", yaml)
                .build())
        .create();
  }

  @Test
  void withoutTheConfigMapPrintsTheBuiltInRuntimesAndKubelessNames() {
    CliRun run = CliRun.run(client, "get-server-config");

    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out())
        .startsWith(
            "Current Server Config:\nSupported Runtimes are: go1.13, go1.14, go1.26, java1.8,"
                + " java11, java21, nodejs10, nodejs12, nodejs14, nodejs20, nodejs6, nodejs8,"
                + " nodejsCE8, nodejs_distroless8, php7.2, php7.3, php7.4, php8.4, python3.12,"
                + " python3.4, python3.6, python3.7, python3.8, ruby2.3, ruby2.4, ruby2.5, ruby2.6,"
                + " ruby2.7, ruby3.4\n"
                + "Kubeless runtime names and the runtime they run on:\n"
                + "  go1.13             -> go1.26\n")
        .contains("  java1.8            -> java21\n")
        .contains("  ruby2.6            -> ruby3.4\n")
        .contains("  php7.3             -> php8.4\n")
        .contains("  nodejs8            -> nodejs20\n")
        .contains("  nodejsCE8          -> nodejs20\n")
        .contains("  python3.4          -> python3.12\n")
        .contains("Kubeless runtime names that are refused, and what to use instead:\n")
        .contains("  python2.7          -> python3.12 (Python 2 is end-of-life")
        .contains("  jvm1.8             -> java21 (")
        .contains("  vertx1.8           -> java21 (")
        .contains("  dotnetcore3.1 ", "  ballerina0.981.0 ");
    assertThat(run.out().lines().filter(l -> l.contains("->")).count()).isEqualTo(31);
  }

  @Test
  void theConfigMapAddsRuntimes() {
    catalogue(
        "python3.12:\n  image: mirror/python:3.12\npython3.13:\n  image: mirror/python:3.13\n");

    CliRun run = CliRun.run(client, "get-server-config");

    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out()).contains("python3.12, python3.13, python3.4");
  }

  @Test
  void aConfigMapEntryForAKubelessNameWinsOverTheTable() {
    catalogue("python2.7:\n  image: mirror/python:2.7\nnodejs8: {}\n");

    CliRun run = CliRun.run(client, "get-server-config");

    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out())
        .contains(
            "nodejs8, nodejsCE8", "nodejs_distroless8, php7.2", "php8.4, python2.7, python3.12")
        .doesNotContain("nodejs8            ->", "python2.7          ->");
  }

  @Test
  void anInvalidCatalogueIsReported() {
    catalogue("go1.22: {}\n");

    CliRun run = CliRun.run(client, "get-server-config");

    assertThat(run.code()).isEqualTo(1);
    assertThat(run.err())
        .contains("runtime catalogue ConfigMap kubeless/kubeless-runtimes")
        .contains("runtime go1.22 has no image");
  }

  /** The CLI's list of built-in runtimes is the function controller's. */
  @Test
  void builtInRuntimesMatchTheFunctionController() throws IOException {
    Path properties = Path.of("../function-controller/src/main/resources/application.properties");
    Matcher m =
        Pattern.compile(
                "^kubeless\\.function\\.runtimes\\.\"([^\"]+)\"\\.image=", Pattern.MULTILINE)
            .matcher(Files.readString(properties));
    TreeSet<String> ids = new TreeSet<>();
    while (m.find()) {
      ids.add(m.group(1));
    }
    assertThat(ids).containsExactlyInAnyOrderElementsOf(GetServerConfigCommand.BUILT_IN_RUNTIMES);
  }

  @Test
  void theCommandTreeHasKubelessRootCommandsAndTriggerKinds() {
    assertThat(CliRun.offline("--help").out()).contains("autoscale", "get-server-config");
    assertThat(CliRun.offline("trigger", "--help").out())
        .contains("kafka", "http", "cronjob", "nats", "kinesis");
    assertThat(CliRun.offline("trigger", "nats", "--help").out()).contains("publish");
  }
}
