package io.kubeless.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kubeless.api.v1beta1.Function;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Function's declared environment in local mode, resolved as the kubelet resolves it: literal
 * values and {@code $(VAR)}, Secrets and ConfigMaps of the files read, pod fields, and notes for
 * what stays unset; then a real Python function started by local mode reading it.
 */
class FunctionEnvTest {

  @TempDir Path dir;

  private static final String SECRET_AND_CONFIG =
      """
      apiVersion: v1
      kind: Secret
      metadata: {name: db}
      data: {password: czNjcjN0}
      stringData: {user: ann}
      ---
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: settings}
      data: {LEVEL: debug, color: blue}
      """;

  private static final String DEPLOYMENT =
      """
      spec:
        replicas: 2
        template:
          spec:
            containers:
            - imagePullPolicy: Always
              envFrom:
              - configMapRef: {name: settings}
                prefix: APP_
              - secretRef: {name: absent, optional: true}
              env:
              - {name: GREETING, value: hi}
              - {name: MESSAGE, value: "$(GREETING) from $(FUNC_HANDLER), $$(GREETING) $(NOPE)"}
              - {name: FUNC_TIMEOUT, value: "7"}
              - {name: FUNC_PORT, value: "1"}
              - name: PASSWORD
                valueFrom: {secretKeyRef: {name: db, key: password}}
              - name: DB_USER
                valueFrom: {secretKeyRef: {name: db, key: user}}
              - name: COLOR
                valueFrom: {configMapKeyRef: {name: settings, key: color}}
              - name: MISSING
                valueFrom: {secretKeyRef: {name: other, key: x}}
              - name: MAYBE
                valueFrom: {secretKeyRef: {name: other, key: x, optional: true}}
              - name: NO_KEY
                valueFrom: {configMapKeyRef: {name: settings, key: nope}}
              - name: POD
                valueFrom: {fieldRef: {fieldPath: metadata.name}}
              - name: NS
                valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
              - name: APP
                valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}
              - name: IP
                valueFrom: {fieldRef: {fieldPath: status.podIP}}
              - name: SA
                valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName}}
              - name: CPU
                valueFrom: {resourceFieldRef: {resource: limits.cpu}}
              resources:
                limits: {memory: 128Mi}
      """;

  private static Function function(String deployment) throws Exception {
    ObjectMapper yaml = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper();
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("apiVersion", "kubeless.io/v1beta1");
    f.put("kind", "Function");
    f.put("metadata", Map.of("name", "env", "namespace", "shop", "labels", Map.of("app", "env")));
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("runtime", "python3.12");
    spec.put("handler", "env.handler");
    spec.put("function", "x");
    spec.put("deployment", yaml.readValue(deployment, Map.class));
    f.put("spec", spec);
    return Serialization.jsonMapper().convertValue(f, Function.class);
  }

  private static Manifests manifests(String yaml, Path dir) throws Exception {
    Path file = dir.resolve("data.yaml");
    Files.writeString(file, yaml.replace("metadata: {name:", "metadata: {namespace: shop, name:"));
    return Manifests.load(List.of(file));
  }

  @Test
  void resolvesTheContainersEnvironmentAsTheKubeletDoesAndNamesWhatStaysUnset() throws Exception {
    FunctionEnv env = new FunctionEnv();
    env.learn(manifests(SECRET_AND_CONFIG, dir));
    LocalFunction f = LocalFunction.of(function(DEPLOYMENT));

    FunctionEnv.Resolved r = env.resolve(f, FunctionProcess.runtimeVariables(f));

    assertThat(r.vars())
        .containsEntry("APP_LEVEL", "debug")
        .containsEntry("APP_color", "blue")
        .containsEntry("GREETING", "hi")
        .containsEntry("MESSAGE", "hi from handler, $(GREETING) $(NOPE)")
        .containsEntry("FUNC_TIMEOUT", "7")
        .containsEntry("FUNC_HANDLER", "handler")
        .containsEntry("MOD_NAME", "env")
        .containsEntry("FUNC_MEMORY_LIMIT", "128Mi")
        .containsEntry("PASSWORD", "s3cr3t")
        .containsEntry("DB_USER", "ann")
        .containsEntry("COLOR", "blue")
        .containsEntry("POD", "env")
        .containsEntry("NS", "shop")
        .containsEntry("APP", "env")
        .containsEntry("IP", "127.0.0.1")
        .doesNotContainKeys("FUNC_PORT", "MISSING", "MAYBE", "NO_KEY", "SA", "CPU");
    assertThat(r.notes())
        .containsExactly(
            "env FUNC_PORT is set by local mode; the Function's value is ignored",
            "env MISSING not set: Secret other (namespace shop) is in none of the files local mode"
                + " reads; add its YAML to them",
            "env NO_KEY not set: ConfigMap settings has no key nope",
            "env SA not set: the pod field spec.serviceAccountName has no value here",
            "env CPU not set: resource fields have no value here; export it before `kubeless"
                + " local up` (the processes inherit its environment)");
  }

  @Test
  void aSecretOfAnotherNamespaceIsNotUsed() throws Exception {
    FunctionEnv env = new FunctionEnv();
    env.learn(Manifests.load(List.of(write("other.yaml", SECRET_AND_CONFIG))));
    LocalFunction f = LocalFunction.of(function(DEPLOYMENT));

    FunctionEnv.Resolved r = env.resolve(f, FunctionProcess.runtimeVariables(f));

    assertThat(r.vars()).doesNotContainKeys("PASSWORD", "APP_LEVEL");
    assertThat(r.notes())
        .contains(
            "envFrom ConfigMap settings not set: ConfigMap settings (namespace shop) is in"
                + " none of the files local mode reads; add its YAML to them");
  }

  @Test
  void theIgnoredPartOfTheDeploymentIsNamedByField() throws Exception {
    ObjectMapper yaml = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper();
    assertThat(FunctionEnv.ignored((ObjectNode) yaml.readTree(DEPLOYMENT)))
        .containsExactly("replicas", "containers[0].resources");
    // what Kubeless's CLI writes: the pull policy and the environment, nothing ignored
    assertThat(
            FunctionEnv.ignored(
                (ObjectNode)
                    yaml.readTree(
                        "spec: {template: {spec: {containers: [{imagePullPolicy: Always,"
                            + " env: [{name: A, value: b}]}]}}}")))
        .isEmpty();
    assertThat(
            FunctionEnv.ignored(
                (ObjectNode)
                    yaml.readTree(
                        "spec: {template: {metadata: {annotations: {a: b}}, spec:"
                            + " {serviceAccountName: x, containers: [{}, {name: sidecar}]}}}")))
        .containsExactly("template.metadata", "serviceAccountName", "containers[1]");
    assertThat(FunctionEnv.ignored(null)).isEmpty();
  }

  @Test
  void expandsReferencesAsKubernetesDoes() {
    Map<String, String> defined = Map.of("A", "1", "B", "two");
    assertThat(FunctionEnv.expand("$(A)-$(B)", defined)).isEqualTo("1-two");
    assertThat(FunctionEnv.expand("$$(A) $(C) $ x$", defined)).isEqualTo("$(A) $(C) $ x$");
    assertThat(FunctionEnv.expand("$(A", defined)).isEqualTo("$(A");
    assertThat(FunctionEnv.expand("cost: $$5", defined)).isEqualTo("cost: $5");
  }

  @Test
  void aFunctionStartedByLocalModeReadsItsDeclaredEnvironment() throws Exception {
    write("data.yaml", SECRET_AND_CONFIG);
    write(
        "fn.yaml",
        """
        apiVersion: kubeless.io/v1beta1
        kind: Function
        metadata: {name: env}
        spec:
          runtime: python3.12
          handler: env.handler
          function: |
            import os
            def handler(event, context):
                return ",".join(os.environ.get(k, "-") for k in
                    ["GREETING", "PASSWORD", "APP_LEVEL", "FUNC_MEMORY_LIMIT", "MISSING"])
          deployment:
            spec:
              template:
                spec:
                  containers:
                  - envFrom: [{configMapRef: {name: settings}, prefix: APP_}]
                    env:
                    - {name: GREETING, value: hi}
                    - name: PASSWORD
                      valueFrom: {secretKeyRef: {name: db, key: password}}
                    - name: MISSING
                      valueFrom: {secretKeyRef: {name: db, key: nope}}
                    resources: {limits: {memory: 64Mi}}
        """);
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(new TeeStream(log, System.out), true, StandardCharsets.UTF_8);
    LocalPlatform platform =
        LocalPlatform.start(
            Manifests.load(List.of(dir)),
            new LocalPlatform.Options(
                dir.resolve(".kubeless"),
                Path.of("..", "runtimes"),
                null,
                EmbeddedKafka.freePort(),
                out));
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> platform.ready("default/env"));
      URI url = platform.functionUrls().get("default/env");
      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(url).POST(HttpRequest.BodyPublishers.ofString("")).build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(response.body()).isEqualTo("hi,s3cr3t,debug,64Mi,-");
    } finally {
      platform.close();
    }
    String printed = log.toString(StandardCharsets.UTF_8);
    assertThat(printed)
        .contains("[env] note: env MISSING not set: Secret db has no key nope")
        .contains(
            "[env] note: spec.deployment applies only on Kubernetes, apart from the function"
                + " container's env; ignored here: containers[0].resources")
        .doesNotContain("ConfigMap settings")
        .doesNotContain("spec.service");
  }

  private Path write(String name, String content) throws Exception {
    Path file = dir.resolve(name);
    Files.writeString(file, content);
    return file;
  }
}
