package io.kubeless.runtime.java;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubeless.runtime.testing.RuntimeContractTest;
import io.kubeless.runtime.testing.RuntimeProcess;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The runtime contract against {@code runtimes/java/run}, plus what only Java needs. */
class JavaRuntimeTest extends RuntimeContractTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static final HttpClient BYTES =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private final List<RuntimeProcess> mine = new ArrayList<>();

  @AfterEach
  void stopMine() {
    mine.forEach(RuntimeProcess::close);
  }

  @Override
  protected String suffix() {
    return ".java";
  }

  @Override
  protected String depsFile() {
    return "pom.xml";
  }

  /** Java's classes are capitalised; {@code Event} would clash with {@code io.kubeless.Event}. */
  @Override
  protected String moduleName(String function) {
    String name = Character.toUpperCase(function.charAt(0)) + function.substring(1);
    return name.equals("Event") ? "EventInfo" : name;
  }

  /** Java's event data is a string; the {@code echo} function parses JSON and returns objects. */
  @Override
  protected boolean returnsObjects() {
    return true;
  }

  @Override
  protected Map<String, String> runtimeEnv() {
    return Map.of("JAVA_HOME", System.getProperty("java.home"));
  }

  /**
   * The Maven running this build installs; the build's local repository is a read-only tail, so the
   * compatibility artifacts the install step adds land in a repository of the test's own.
   */
  @Override
  protected Map<String, String> installEnv() {
    Path home = Path.of(System.getProperty("maven.home"));
    return Map.of(
        "JAVA_HOME", System.getProperty("java.home"),
        "MVN", home.resolve("bin/mvn").toString(),
        "MAVEN_REPO_LOCAL", tmp.resolve("m2").toString(),
        "MAVEN_ARGS",
            "-Dmaven.repo.local.tail="
                + Path.of(System.getProperty("user.home"), ".m2", "repository"));
  }

  /**
   * A pom.xml as Kubeless's Java functions have it: Kubeless's parent and params, plus a library.
   */
  @Override
  protected void writeDependencies(Path volume) throws IOException {
    Files.writeString(
        volume.resolve(depsFile()),
        """
        <project xmlns="http://maven.apache.org/POM/4.0.0">
          <modelVersion>4.0.0</modelVersion>
          <artifactId>function</artifactId>
          <name>function</name>
          <version>1.0-SNAPSHOT</version>
          <parent>
            <groupId>io.kubeless</groupId>
            <artifactId>kubeless</artifactId>
            <version>1.0-SNAPSHOT</version>
          </parent>
          <dependencies>
            <dependency>
              <groupId>org.apache.commons</groupId>
              <artifactId>commons-lang3</artifactId>
              <version>3.20.0</version>
            </dependency>
            <dependency>
              <groupId>io.kubeless</groupId>
              <artifactId>params</artifactId>
              <version>1.0-SNAPSHOT</version>
            </dependency>
          </dependencies>
        </project>
        """);
  }

  @Test
  void stopsAHandlerThatBlocksAndSwallowsEverythingThrownAtIt() throws Exception {
    RuntimeProcess runtime = start("stubborn", Map.of("FUNC_TIMEOUT", "1"));

    CompletableFuture<HttpResponse<String>> stubborn = runtime.postAsync("/", "x");

    assertThat(stubborn.get().statusCode()).isEqualTo(408);
    assertStopsTicking(volume().resolve("ticks"));
    assertThat(Files.readString(volume().resolve("ticks")))
        .as("the interrupt woke it, it swallowed that, and the next loop check stopped it")
        .isEqualTo("swallowed InterruptedException");
  }

  @Test
  void reportsCompilationErrorsWithFileAndLine() throws Exception {
    Path volume = volume();
    Files.writeString(
        volume.resolve("Typo.java"), "package io.kubeless;\npublic class Typo {\n  int x = ;\n}\n");
    RuntimeProcess runtime =
        RuntimeProcess.start(runtimeDir(), volume, "Typo", "handler", runtimeEnv());
    try {
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> runtime.get("/healthz").statusCode() == 500);
      assertThat(runtime.get("/healthz").body()).contains("Typo.java:3: error:");
    } finally {
      runtime.close();
    }
  }

  @Test
  void answersAStringAsTextAndAnyOtherObjectAsJson() throws Exception {
    RuntimeProcess runtime = startHandler("Returns", "handler", Map.of());

    assertAnswer(runtime, "string", "text/plain; charset=utf-8", "plain \"text\"");
    assertAnswer(runtime, "builder", "text/plain; charset=utf-8", "built");
    assertJson(runtime, "list", "[1,\"two\",3.5,true,null]");
    assertJson(
        runtime,
        "map",
        "{\"name\":\"kubeless\",\"nothing\":null,\"nested\":{\"n\":7},\"array\":[1,2]}");
    assertJson(runtime, "integer", "42");
    assertJson(runtime, "decimal", "0.25");
    assertJson(runtime, "nan", "null");
    assertJson(runtime, "boolean", "false");
    assertJson(runtime, "record", "{\"x\":1,\"y\":2.5}");
    assertJson(runtime, "bean", "{\"id\":\"o-7\",\"items\":[\"tea\",\"cake\"],\"paid\":true}");
    assertJson(runtime, "enum", "\"SECONDS\"");
    assertJson(runtime, "time", "{\"at\":\"2026-12-02T16:05:01Z\"}");
    assertJson(runtime, "optional", "\"present\"");
    assertAnswer(runtime, "null", null, "");
  }

  @Test
  void answersBytesAsOctetStream() throws Exception {
    RuntimeProcess runtime = startHandler("Returns", "handler", Map.of());

    HttpResponse<byte[]> bytes = postForBytes(runtime, "bytes");
    HttpResponse<byte[]> buffer = postForBytes(runtime, "buffer");

    assertThat(bytes.statusCode()).isEqualTo(200);
    assertThat(bytes.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
    assertThat(bytes.body()).containsExactly(0, 1, 2, 255);
    assertThat(buffer.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
    assertThat(new String(buffer.body(), StandardCharsets.UTF_8)).isEqualTo("buffered");
  }

  @Test
  void answers500WhenTheResultCannotBeEncoded() throws Exception {
    RuntimeProcess runtime = startHandler("Returns", "handler", Map.of());

    HttpResponse<String> cycle = runtime.post("/", "cycle");

    assertThat(cycle.statusCode()).isEqualTo(500);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> runtime.log().contains("nested deeper than 100"));
    assertThat(runtime.post("/", "integer").body()).isEqualTo("42");
  }

  @Test
  void callsHandlersDeclaredWithOtherReturnTypes() throws Exception {
    RuntimeProcess count = startHandler("Returns", "count", Map.of());
    HttpResponse<String> counted = count.post("/", "four");
    assertThat(counted.body()).isEqualTo("4");
    assertThat(counted.headers().firstValue("Content-Type")).hasValue("application/json");
    count.close();

    RuntimeProcess nothing = startHandler("Returns", "nothing", Map.of());
    HttpResponse<String> empty = nothing.post("/", "x");
    assertThat(empty.statusCode()).isEqualTo(200);
    assertThat(empty.body()).isEmpty();
    nothing.close();

    RuntimeProcess bytes = startHandler("Returns", "bytes", Map.of());
    HttpResponse<byte[]> raw = postForBytes(bytes, "ünï");
    assertThat(raw.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
    assertThat(raw.body()).isEqualTo("ünï".getBytes(StandardCharsets.UTF_8));
    bytes.close();

    RuntimeProcess shout = startHandler("Returns", "shout", Map.of());
    assertThat(shout.post("/", "static").body()).isEqualTo("STATIC");
  }

  @Test
  void givesTheRequestInTheEventsExtensions() throws Exception {
    RuntimeProcess runtime = startHandler("Inspect", "handler", Map.of());

    HttpResponse<String> response =
        runtime.send(
            HttpRequest.newBuilder(runtime.uri("/a%20b/c?x=1&x=2&y=%C3%BC"))
                .header("X-Trace-Id", "t-1")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[] {(byte) 0xff, 0x41}))
                .build());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(response.body()))
        .isEqualTo(
            JSON.readTree(
                """
                {"method": "PUT", "path": "/a b/c", "url": "/a%20b/c?x=1&x=2&y=%C3%BC",
                 "query": {"x": ["1", "2"], "y": ["ü"]}, "header": "t-1",
                 "bodyBytes": 2, "dataLength": 2}
                """));
  }

  @Test
  void loadsAClassThatIsNotPublic() throws Exception {
    RuntimeProcess runtime = startHandler("Quiet", "handler", Map.of());

    assertThat(runtime.get("/healthz").statusCode()).isEqualTo(200);
    assertThat(runtime.get("/").body()).isEqualTo("hello from a package-private class");
  }

  /**
   * Kubeless's Makefile deploys its examples with {@code --handler Foo.foo --from-file
   * HelloGet.java}: the function controller writes the code as {@code <module>.java} (here {@code
   * Greeter.java}) and sets {@code MOD_NAME} to the module and {@code FUNC_HANDLER} to the method.
   */
  @Test
  void runsAFunctionDeployedAsKubelessExamplesAreAndLogsItsAnswer() throws Exception {
    RuntimeProcess runtime = startHandler("Greeter", "greet", Map.of());

    HttpResponse<String> response =
        runtime.post("/", "{\"its\": \"alive\"}", "Content-Type", "application/json");

    assertThat(response.body()).isEqualTo("Hello world!");
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(runtime.log())
                    .contains("greeting: {\"its\": \"alive\"}")
                    .containsPattern("(?m)Response: Hello world!$"));
  }

  /**
   * Kubeless's {@code get-java-deps-verify} installs a function with a Kubeless-style pom and greps
   * the pod's log for {@code Hello.*world! Current local time is:}, which Kubeless's runtime logged
   * as the answer.
   */
  @Test
  void logsTheAnswerOfAFunctionWithDependenciesAsKubelessTestsReadIt() throws Exception {
    Path volume = volume();
    writeDependencies(volume);
    assertThat(RuntimeProcess.install(runtimeDir(), volume, depsFile(), installEnv()))
        .as(Files.readString(volume.resolveSibling("install.log")))
        .isZero();
    RuntimeProcess runtime = startHandler("Clock", "sayHello", Map.of());

    HttpResponse<String> response =
        runtime.post("/", "{\"hello\": \"world\"}", "Content-Type", "application/json");

    assertThat(response.body()).startsWith("Hello world! Current local time is: ");
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(runtime.log())
                    .containsPattern(Pattern.compile(".*Hello.*world! Current local time is:")));
  }

  /** Kubeless's build copied every scope of the function's pom to its lib/, provided too. */
  @Test
  void installsDependenciesOfEveryScopeAsKubelessDid() throws Exception {
    Path volume = volume();
    writeDependencies(volume);
    Path pom = volume.resolve(depsFile());
    Files.writeString(
        pom,
        Files.readString(pom)
            .replace(
                "<version>3.20.0</version>", "<version>3.20.0</version><scope>provided</scope>"));
    assertThat(Files.readString(pom)).contains("<scope>provided</scope>");

    assertThat(RuntimeProcess.install(runtimeDir(), volume, depsFile(), installEnv()))
        .as(Files.readString(volume.resolveSibling("install.log")))
        .isZero();

    RuntimeProcess runtime = startHandler("Deps", "handler", Map.of());
    assertThat(runtime.get("/").body()).isEqualTo("DEPS!");
  }

  @Test
  void logsAnswersOnOneLineCutShortAndNotAtAllWhenDisabled() throws Exception {
    RuntimeProcess runtime = startHandler("Echo", "handler", Map.of());
    runtime.post("/", "first\nsecond", "Content-Type", "text/plain");
    runtime.post("/", "y".repeat(5000), "Content-Type", "text/plain");

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(runtime.log())
                    .contains("Response: first\\nsecond")
                    .contains("Response: " + "y".repeat(1024) + "... (5000 bytes)"));

    RuntimeProcess quiet = startHandler("Echo", "handler", Map.of("FUNC_LOG_RESPONSES", "false"));
    quiet.post("/", "unlogged answer", "Content-Type", "text/plain");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> quiet.log().contains("\"POST / HTTP/1.1\" 200 15 "));
    assertThat(quiet.log()).doesNotContain("unlogged answer").doesNotContain("Response:");
  }

  @Test
  void logsAnAccessLineForTimeoutsAndRejectedBodiesToo() throws Exception {
    RuntimeProcess runtime = startHandler("Loop", "handler", Map.of("FUNC_TIMEOUT", "0.5"));
    RuntimeProcess limited = startHandler("Hello", "handler", Map.of("REQ_MB_LIMIT", "0.001"));

    assertThat(runtime.post("/slow", "spin").statusCode()).isEqualTo(408);
    assertThat(limited.post("/big", "x".repeat(2000)).statusCode()).isEqualTo(413);

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(runtime.log()).containsPattern("(?m)\"POST /slow HTTP/1.1\" 408 \\d+ ");
              assertThat(limited.log()).containsPattern("(?m)\"POST /big HTTP/1.1\" 413 \\d+ ");
            });
  }

  /** Kubeless's Java runtime read any body; so does this one unless REQ_MB_LIMIT is set. */
  @Test
  void acceptsBodiesOfAnySizeByDefault() throws Exception {
    RuntimeProcess runtime = startHandler("Returns", "count", Map.of());

    HttpResponse<String> large = runtime.post("/", "x".repeat(24 * 1024 * 1024));

    assertThat(large.statusCode()).isEqualTo(200);
    assertThat(large.body()).isEqualTo(Integer.toString(24 * 1024 * 1024));
  }

  private void assertJson(RuntimeProcess runtime, String kind, String json) throws Exception {
    HttpResponse<String> response = runtime.post("/", kind);
    assertThat(response.statusCode()).as(kind).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).as(kind).hasValue("application/json");
    JsonNode expected = JSON.readTree(json);
    assertThat(JSON.readTree(response.body()))
        .as(kind + ": " + response.body())
        .isEqualTo(expected);
  }

  private static void assertAnswer(RuntimeProcess runtime, String kind, String type, String body)
      throws Exception {
    HttpResponse<String> response = runtime.post("/", kind);
    assertThat(response.statusCode()).as(kind).isEqualTo(200);
    assertThat(response.body()).as(kind).isEqualTo(body);
    if (type != null) {
      assertThat(response.headers().firstValue("Content-Type")).as(kind).hasValue(type);
    }
  }

  private static HttpResponse<byte[]> postForBytes(RuntimeProcess runtime, String body)
      throws Exception {
    return BYTES.send(
        HttpRequest.newBuilder(runtime.uri("/"))
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  /**
   * Starts the runtime on the test function {@code <module>.java} with another handler than {@code
   * handler}, as a function deployed with {@code --handler <module>.<handler>} runs.
   */
  private RuntimeProcess startHandler(String module, String handler, Map<String, String> env)
      throws IOException {
    Path file = volume().resolve(module + ".java");
    if (!Files.exists(file)) {
      try (InputStream in = getClass().getResourceAsStream("/functions/" + module + ".java")) {
        assertThat(in).as("test function " + module).isNotNull();
        Files.copy(in, file);
      }
    }
    Map<String, String> all = new HashMap<>(runtimeEnv());
    all.putAll(env);
    RuntimeProcess runtime = RuntimeProcess.start(runtimeDir(), volume(), module, handler, all);
    mine.add(runtime);
    return runtime;
  }
}
