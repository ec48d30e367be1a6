package io.kubeless.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.kubeless.api.v1beta1.CronJobTrigger;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionSpec;
import io.kubeless.api.v1beta1.FunctionStatus;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@EnableKubernetesMockClient(crud = true)
class FunctionCommandTest {

  static final String HELLO = "def handler(event, context):\n    return 'hello'\n";

  KubernetesClient client;

  @TempDir Path dir;

  private CliRun kubeless(String... args) {
    return CliRun.run(client, args);
  }

  private Function stored(String namespace, String name) {
    return client.resources(Function.class).inNamespace(namespace).withName(name).get();
  }

  private Path write(String name, String content) throws IOException {
    Path file = dir.resolve(name);
    Files.createDirectories(file.getParent());
    Files.writeString(file, content);
    return file;
  }

  static String sha256(byte[] bytes) throws Exception {
    return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  @Test
  void deploysFunctionFromPythonFileWithKubelessDefaults() throws Exception {
    Path code = write("hello.py", HELLO);

    CliRun run =
        kubeless(
            "function",
            "deploy",
            "hello",
            "-n",
            "fns",
            "--runtime",
            "python3.12",
            "--handler",
            "hello.handler",
            "--from-file",
            code.toString());

    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out()).contains("Function hello submitted for deployment");
    Function f = stored("fns", "hello");
    assertThat(f.getMetadata().getLabels())
        .containsExactlyInAnyOrderEntriesOf(Map.of("created-by", "kubeless", "function", "hello"));
    FunctionSpec spec = f.getSpec();
    assertThat(spec.getRuntime()).isEqualTo("python3.12");
    assertThat(spec.getHandler()).isEqualTo("hello.handler");
    assertThat(spec.getFunction()).isEqualTo(HELLO);
    assertThat(spec.getFunctionContentType()).isEqualTo("text");
    assertThat(spec.getChecksum()).isEqualTo(sha256(HELLO.getBytes(StandardCharsets.UTF_8)));
    assertThat(spec.getTimeout()).isEqualTo("180");
    assertThat(spec.getService().at("/ports/0/name").asText()).isEqualTo("http-function-port");
    assertThat(spec.getService().at("/ports/0/port").asInt()).isEqualTo(8080);
    assertThat(spec.getService().at("/ports/0/targetPort").asInt()).isEqualTo(8080);
    assertThat(spec.getDeployment().at("/spec/template/spec/containers/0/imagePullPolicy").asText())
        .isEqualTo("Always");
  }

  @Test
  void deploysDirectoryAsZip() throws Exception {
    write("app/hello.py", HELLO);
    write("app/lib/util.py", "X = 1\n");

    CliRun run =
        kubeless(
            "function",
            "deploy",
            "zipped",
            "-n",
            "fns",
            "-r",
            "python3.12",
            "--handler",
            "hello.handler",
            "-f",
            dir.resolve("app").toString());

    assertThat(run.code()).as(run.err()).isZero();
    FunctionSpec spec = stored("fns", "zipped").getSpec();
    assertThat(spec.getFunctionContentType()).isEqualTo("base64+zip");
    byte[] zip = Base64.getDecoder().decode(spec.getFunction());
    assertThat(spec.getChecksum()).isEqualTo(sha256(zip));
    List<String> entries = new ArrayList<>();
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
      for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        entries.add(e.getName());
      }
    }
    assertThat(entries).containsExactly("hello.py", "lib/util.py");
    // the same tree zips to the same bytes, so redeploying it does not change the checksum
    assertThat(FunctionSource.zip(dir.resolve("app"))).isEqualTo(zip);
  }

  @Test
  void deploysCompressedTarAsBase64() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
      gz.write(new byte[] {(byte) 0xff, 0x00, (byte) 0xfe, 0x01});
    }
    Path tar = dir.resolve("code.tar.gz");
    Files.write(tar, bytes.toByteArray());

    CliRun run =
        kubeless(
            "function",
            "deploy",
            "tarred",
            "-n",
            "fns",
            "-r",
            "nodejs20",
            "--handler",
            "index.handler",
            "-f",
            tar.toString());

    assertThat(run.code()).as(run.err()).isZero();
    FunctionSpec spec = stored("fns", "tarred").getSpec();
    assertThat(spec.getFunctionContentType()).isEqualTo("base64+compressedtar");
    assertThat(Base64.getDecoder().decode(spec.getFunction())).isEqualTo(bytes.toByteArray());
    assertThat(spec.getChecksum()).isEqualTo(sha256(bytes.toByteArray()));
  }

  @Test
  void deploysDependenciesEnvLabelsResourcesAndSecrets() throws Exception {
    Path code = write("hello.py", HELLO);
    Path deps = write("requirements.txt", "requests==2.32.3\n");

    CliRun run =
        kubeless(
            "function",
            "deploy",
            "full",
            "-n",
            "fns",
            "-r",
            "python3.12",
            "--handler",
            "hello.handler",
            "-f",
            code.toString(),
            "-d",
            deps.toString(),
            "-e",
            "A=1,B:two",
            "-e",
            "C=x=y",
            "-l",
            "team=payments",
            "--label",
            "tier:web",
            "--memory",
            "128Mi",
            "--cpu",
            "250m",
            "--secrets",
            "db-creds",
            "--timeout",
            "30",
            "--port",
            "9000",
            "--servicePort",
            "80",
            "--runtime-image",
            "example/python:1",
            "--image-pull-policy",
            "IfNotPresent");

    assertThat(run.code()).as(run.err()).isZero();
    Function f = stored("fns", "full");
    assertThat(f.getMetadata().getLabels())
        .containsEntry("team", "payments")
        .containsEntry("tier", "web")
        .containsEntry("created-by", "kubeless")
        .containsEntry("function", "full");
    FunctionSpec spec = f.getSpec();
    assertThat(spec.getDeps()).isEqualTo("requests==2.32.3\n");
    assertThat(spec.getTimeout()).isEqualTo("30");
    var container = spec.getDeployment().at("/spec/template/spec/containers/0");
    assertThat(container.path("env").toString())
        .isEqualTo(
            "[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"value\":\"two\"},"
                + "{\"name\":\"C\",\"value\":\"x=y\"}]");
    assertThat(container.at("/resources/limits/memory").asText()).isEqualTo("128Mi");
    assertThat(container.at("/resources/requests/memory").asText()).isEqualTo("128Mi");
    assertThat(container.at("/resources/requests/cpu").asText()).isEqualTo("250m");
    assertThat(container.path("image").asText()).isEqualTo("example/python:1");
    assertThat(container.path("imagePullPolicy").asText()).isEqualTo("IfNotPresent");
    assertThat(container.at("/volumeMounts/0/mountPath").asText()).isEqualTo("/db-creds");
    assertThat(spec.getDeployment().at("/spec/template/spec/volumes/0/secret/secretName").asText())
        .isEqualTo("db-creds");
    assertThat(spec.getService().at("/ports/0/port").asInt()).isEqualTo(80);
    assertThat(spec.getService().at("/ports/0/targetPort").asInt()).isEqualTo(9000);
  }

  @Test
  void anInvalidScheduleIsAUsageErrorAndWritesNothing() throws Exception {
    Path code = write("hello.py", HELLO);
    CliRun run =
        kubeless(
            "function",
            "deploy",
            "tick",
            "-n",
            "fns",
            "--runtime",
            "python3.12",
            "--handler",
            "hello.handler",
            "--from-file",
            code.toString(),
            "--schedule",
            "every minute");

    assertThat(run.code()).isEqualTo(2);
    assertThat(run.err()).contains("Invalid value for --schedule \"every minute\"");
    assertThat(client.resources(Function.class).inNamespace("fns").list().getItems()).isEmpty();
  }

  @Test
  void scheduleAlsoCreatesCronJobTriggerNamedLikeTheFunction() throws Exception {
    Path code = write("hello.py", HELLO);

    CliRun run =
        kubeless(
            "function",
            "deploy",
            "nightly",
            "-n",
            "fns",
            "-r",
            "python3.12",
            "--handler",
            "hello.handler",
            "-f",
            code.toString(),
            "--schedule",
            "0 3 * * *");

    assertThat(run.code()).as(run.err()).isZero();
    CronJobTrigger cron =
        client.resources(CronJobTrigger.class).inNamespace("fns").withName("nightly").get();
    assertThat(cron.getSpec().getSchedule()).isEqualTo("0 3 * * *");
    assertThat(cron.getSpec().getFunctionName()).isEqualTo("nightly");
    assertThat(stored("fns", "nightly")).isNotNull();
  }

  @Test
  void deployingAnExistingFunctionFailsAndPointsToUpdate() throws Exception {
    Path code = write("hello.py", HELLO);
    String[] deploy = {
      "function",
      "deploy",
      "twice",
      "-n",
      "fns",
      "-r",
      "python3.12",
      "--handler",
      "h.f",
      "-f",
      code.toString()
    };
    assertThat(kubeless(deploy).code()).isZero();

    CliRun again = kubeless(deploy);

    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err()).contains("function \"twice\" already exists in namespace \"fns\"");
  }

  @Test
  void updateMergesFlagsOntoTheStoredFunction() throws Exception {
    Path code = write("hello.py", HELLO);
    assertThat(
            kubeless(
                    "function",
                    "deploy",
                    "merge",
                    "-n",
                    "fns",
                    "-r",
                    "python3.12",
                    "--handler",
                    "hello.handler",
                    "-f",
                    code.toString(),
                    "-e",
                    "A=1",
                    "-l",
                    "team=a",
                    "--timeout",
                    "60")
                .code())
        .isZero();
    Path v2 = write("v2.py", "def handler2(event, context):\n    return 2\n");

    CliRun run =
        kubeless(
            "function",
            "update",
            "merge",
            "-n",
            "fns",
            "--handler",
            "v2.handler2",
            "-f",
            v2.toString(),
            "-e",
            "B=2",
            "-e",
            "A=changed");

    assertThat(run.code()).as(run.err()).isZero();
    Function f = stored("fns", "merge");
    assertThat(f.getSpec().getHandler()).isEqualTo("v2.handler2");
    assertThat(f.getSpec().getRuntime()).isEqualTo("python3.12");
    assertThat(f.getSpec().getTimeout()).isEqualTo("60");
    assertThat(f.getSpec().getFunction()).contains("handler2");
    assertThat(f.getSpec().getChecksum()).isEqualTo(sha256(Files.readAllBytes(v2)));
    assertThat(f.getMetadata().getLabels()).containsEntry("team", "a");
    assertThat(f.getSpec().getDeployment().at("/spec/template/spec/containers/0/env").toString())
        .isEqualTo("[{\"name\":\"A\",\"value\":\"changed\"},{\"name\":\"B\",\"value\":\"2\"}]");
  }

  @Test
  void updateOfMissingFunctionNamesItAndItsNamespace() {
    CliRun run = kubeless("function", "update", "nope", "-n", "fns", "--handler", "a.b");

    assertThat(run.code()).isEqualTo(1);
    assertThat(run.err()).contains("function \"nope\" not found in namespace \"fns\"");
  }

  @Test
  void deleteRemovesTheFunctionAndFailsWhenMissing() throws Exception {
    Path code = write("hello.py", HELLO);
    kubeless(
        "function",
        "deploy",
        "gone",
        "-n",
        "fns",
        "-r",
        "python3.12",
        "--handler",
        "h.f",
        "-f",
        code.toString());

    assertThat(kubeless("function", "delete", "gone", "-n", "fns").code()).isZero();
    assertThat(stored("fns", "gone")).isNull();

    CliRun again = kubeless("function", "delete", "gone", "-n", "fns");
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err()).contains("function \"gone\" not found in namespace \"fns\"");
  }

  private void storeWithStatus(String name, String ready, Integer replicas) {
    Function f = new Function();
    f.setMetadata(
        new ObjectMetaBuilder()
            .withName(name)
            .withNamespace("listing")
            .withLabels(Map.of("function", name))
            .build());
    f.getSpec().setRuntime("python3.12");
    f.getSpec().setHandler(name + ".handler");
    f.getSpec().setDeps("requests\nflask\n");
    if (ready != null) {
      FunctionStatus status = new FunctionStatus();
      status.setReadyReplicas(replicas);
      status.setConditions(
          List.of(
              new ConditionBuilder()
                  .withType("Ready")
                  .withStatus(ready)
                  .withReason(ready.equals("True") ? "Ready" : "ImagePullBackOff")
                  .build()));
      f.setStatus(status);
    }
    client.resources(Function.class).inNamespace("listing").resource(f).create();
  }

  @Test
  void listPrintsKubelessColumnsWithStatusFromTheReadyCondition() {
    storeWithStatus("alpha", "True", 1);
    storeWithStatus("beta", "False", 0);
    storeWithStatus("gamma", null, null);

    CliRun run = kubeless("function", "ls", "-n", "listing");

    assertThat(run.code()).as(run.err()).isZero();
    List<String> lines = run.out().lines().toList();
    assertThat(lines.get(0).split("\\s{2,}"))
        .containsExactly("NAME", "NAMESPACE", "HANDLER", "RUNTIME", "DEPENDENCIES", "STATUS");
    assertThat(lines.get(1).split("\\s{3,}"))
        .containsExactly(
            "alpha", "listing", "alpha.handler", "python3.12", "requests flask", "1 READY");
    assertThat(lines.get(2)).endsWith("NOT READY: ImagePullBackOff");
    assertThat(lines.get(3)).endsWith("MISSING: Check controller logs");
  }

  @Test
  void listWidePrintsAsManyValuesAsHeaders() {
    storeWithStatus("alpha", "True", 1);

    CliRun run = kubeless("function", "list", "alpha", "-n", "listing", "-o", "wide");

    assertThat(run.code()).as(run.err()).isZero();
    List<String> lines = run.out().lines().toList();
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0).split("\\s{3,}")).hasSize(9);
    assertThat(lines.get(0)).contains("MEMORY").contains("ENV").contains("LABEL");
    assertThat(lines.get(1)).contains("function:alpha");
  }

  @Test
  void listOfNamedMissingFunctionFails() {
    CliRun run = kubeless("function", "list", "nope", "-n", "listing");

    assertThat(run.code()).isEqualTo(1);
    assertThat(run.err()).contains("function \"nope\" not found in namespace \"listing\"");
  }

  @Test
  void describePrintsFieldsOrTheObject() {
    storeWithStatus("alpha", "True", 1);

    CliRun text = kubeless("function", "describe", "alpha", "-n", "listing");
    CliRun json = kubeless("function", "describe", "alpha", "-n", "listing", "--out", "json");

    assertThat(text.code()).as(text.err()).isZero();
    assertThat(text.out())
        .contains("Name:         alpha")
        .contains("Handler:      alpha.handler")
        .contains("Runtime:      python3.12")
        .contains("Label:        {\"function\":\"alpha\"}")
        .contains("Status:       1 READY");
    assertThat(json.code()).isZero();
    assertThat(json.out()).contains("\"kind\" : \"Function\"").contains("\"name\" : \"alpha\"");
  }

  @Test
  void describeHasNoLsAlias() {
    CliRun run = kubeless("function", "describe", "--help");

    assertThat(run.code()).isZero();
    assertThat(run.out()).startsWith("Usage: kubeless function describe ");
    assertThat(CliRun.offline("function", "ls", "--help").out())
        .startsWith("Usage: kubeless function list ");
  }
}
