package io.kubeless.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin API's resource endpoints on a running, watching local mode: an applied Function runs,
 * survives a restart and stops when deleted; the user's own files are never edited.
 */
class ResourceApiTest {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private final ByteArrayOutputStream log = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
  private final List<LocalPlatform> started = new ArrayList<>();

  private static final String HELLO =
      """
      apiVersion: kubeless.io/v1beta1
      kind: Function
      metadata: {name: hello}
      spec:
        runtime: python3.12
        handler: hello.handler
        function: |
          def handler(event, context):
              return "hello"
      """;

  private static String function(String name, String answer) {
    return """
        {"apiVersion": "kubeless.io/v1beta1", "kind": "Function",
         "metadata": {"name": "%s"},
         "spec": {"runtime": "python3.12", "handler": "f.handler",
                  "function": "def handler(event, context):\\n    return \\"%s\\"\\n"}}
        """
        .formatted(name, answer);
  }

  private LocalPlatform start() throws Exception {
    LocalPlatform platform =
        LocalPlatform.start(
            Manifests.load(List.of(dir)),
            new LocalPlatform.Options(
                dir.resolve(".kubeless"), Path.of("..", "runtimes"), null, 0, out));
    started.add(platform);
    platform.watch(List.of(dir));
    return platform;
  }

  @AfterEach
  void stop() {
    started.forEach(LocalPlatform::close);
    System.out.print(log.toString(StandardCharsets.UTF_8));
  }

  private static HttpResponse<String> send(URI admin, String method, String path, String body)
      throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(admin.resolve(path))
            .timeout(Duration.ofSeconds(60))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String answer(URI url) {
    try {
      return HTTP.send(
              HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(5)).build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (IOException e) {
      return "refused: " + e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  @Test
  void anAppliedFunctionRunsSurvivesARestartAndStopsWhenDeleted() throws Exception {
    LocalPlatform platform = start();
    URI admin = platform.adminUrl();

    HttpResponse<String> put =
        send(admin, "PUT", "/api/resources/functions/default/greet", function("greet", "hi"));
    assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
    Path file = dir.resolve(".kubeless/applied/functions/default/greet.yaml");
    assertThat(file).isRegularFile();
    assertThat(Files.readString(file)).contains("kind: Function").contains("name: greet");
    await().atMost(Duration.ofSeconds(60)).until(() -> platform.ready("default/greet"));
    URI url = platform.functionUrls().get("default/greet");
    assertThat(answer(url)).isEqualTo("hi");

    // replacing it restarts it with the new code
    HttpResponse<String> replace =
        send(admin, "PUT", "/api/resources/functions/default/greet", function("greet", "hey"));
    assertThat(replace.statusCode()).as(replace.body()).isEqualTo(200);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> answer(platform.functionUrls().get("default/greet")).equals("hey"));

    JsonNode listed = JSON.readTree(send(admin, "GET", "/api/resources/functions", null).body());
    assertThat(listed).hasSize(1);
    assertThat(listed.get(0).path("name").asText()).isEqualTo("greet");
    assertThat(listed.get(0).path("applied").asBoolean()).isTrue();
    assertThat(listed.get(0).path("file").asText()).endsWith("greet.yaml");
    assertThat(listed.get(0).at("/resource/spec/runtime").asText()).isEqualTo("python3.12");

    // a restart runs it again, from its file
    platform.close();
    started.remove(platform);
    LocalPlatform again = start();
    await().atMost(Duration.ofSeconds(60)).until(() -> again.ready("default/greet"));
    assertThat(answer(again.functionUrls().get("default/greet"))).isEqualTo("hey");
    ProcessHandle process = again.process("default/greet").orElseThrow();

    HttpResponse<String> delete =
        send(again.adminUrl(), "DELETE", "/api/resources/functions/default/greet", null);
    assertThat(delete.statusCode()).as(delete.body()).isEqualTo(200);
    assertThat(file).doesNotExist();
    assertThat(again.functionUrls()).doesNotContainKey("default/greet");
    await().atMost(Duration.ofSeconds(10)).until(() -> !process.isAlive());
    assertThat(
            send(again.adminUrl(), "DELETE", "/api/resources/functions/default/greet", null)
                .statusCode())
        .isEqualTo(404);
  }

  @Test
  void neverEditsTheUsersFilesAndRefusesWhatIsNotOfThePathsKind() throws Exception {
    Path hello = dir.resolve("hello.yaml");
    Files.writeString(hello, HELLO);
    LocalPlatform platform = start();
    URI admin = platform.adminUrl();
    String defined = hello.toAbsolutePath().normalize().toString();

    HttpResponse<String> delete =
        send(admin, "DELETE", "/api/resources/functions/default/hello", null);
    assertThat(delete.statusCode()).isEqualTo(409);
    assertThat(JSON.readTree(delete.body()).path("error").asText())
        .contains("defined in " + defined)
        .contains("edit or remove it there");
    HttpResponse<String> update =
        send(admin, "PUT", "/api/resources/functions/default/hello", function("hello", "x"));
    assertThat(update.statusCode()).isEqualTo(409);
    assertThat(update.body()).contains(defined);
    assertThat(Files.readString(hello)).isEqualTo(HELLO);
    assertThat(dir.resolve(".kubeless/applied/functions/default/hello.yaml")).doesNotExist();

    JsonNode listed = JSON.readTree(send(admin, "GET", "/api/resources/functions", null).body());
    assertThat(listed).hasSize(1);
    assertThat(listed.get(0).path("file").asText()).isEqualTo(defined);
    assertThat(listed.get(0).path("applied").asBoolean()).isFalse();

    HttpResponse<String> wrongKind =
        send(
            admin,
            "PUT",
            "/api/resources/functions/default/t",
            "{kind: KafkaTrigger, apiVersion: kubeless.io/v1beta1, metadata: {name: t}}");
    assertThat(wrongKind.statusCode()).isEqualTo(400);
    assertThat(wrongKind.body()).contains("the body is a KafkaTrigger, not a Function");

    HttpResponse<String> otherName =
        send(admin, "PUT", "/api/resources/functions/default/a", function("b", "x"));
    assertThat(otherName.statusCode()).isEqualTo(400);
    assertThat(otherName.body()).contains("metadata.name \\\"b\\\" is not the path's \\\"a\\\"");

    String invalid = function("bad", "x").replace("f.handler", "nodot");
    HttpResponse<String> refused =
        send(admin, "PUT", "/api/resources/functions/default/bad", invalid);
    assertThat(refused.statusCode()).isEqualTo(400);
    JsonNode error = JSON.readTree(refused.body());
    assertThat(error.path("reason").asText()).isEqualTo("InvalidHandler");
    assertThat(error.path("error").asText()).startsWith("function bad: InvalidHandler: ");
    assertThat(dir.resolve(".kubeless/applied/functions/default/bad.yaml")).doesNotExist();

    assertThat(send(admin, "GET", "/api/resources/widgets", null).statusCode()).isEqualTo(404);
  }

  @Test
  void aDryRunAnswersAsAPutWouldAndWritesNothing() throws Exception {
    Files.writeString(dir.resolve("hello.yaml"), HELLO);
    LocalPlatform platform = start();
    URI admin = platform.adminUrl();
    String dry = "?dryRun=true";

    HttpResponse<String> own =
        send(admin, "PUT", "/api/resources/functions/default/hello" + dry, function("hello", "x"));
    assertThat(own.statusCode()).isEqualTo(409);
    assertThat(own.body()).contains("edit or remove it there");
    HttpResponse<String> invalid =
        send(
            admin,
            "PUT",
            "/api/resources/functions/default/bad" + dry,
            function("bad", "x").replace("f.handler", "nodot"));
    assertThat(invalid.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(invalid.body()).path("reason").asText()).isEqualTo("InvalidHandler");

    HttpResponse<String> fresh =
        send(admin, "PUT", "/api/resources/functions/default/fresh" + dry, function("fresh", "a"));
    assertThat(fresh.statusCode()).isEqualTo(200);
    JsonNode answer = JSON.readTree(fresh.body());
    assertThat(answer.path("dryRun").asBoolean()).isTrue();
    assertThat(answer.get("current").isNull()).isTrue();
    assertThat(answer.at("/resource/metadata/namespace").asText()).isEqualTo("default");
    assertThat(answer.at("/resource/spec/function").asText()).contains("return \"a\"");
    assertThat(dir.resolve(".kubeless/applied/functions/default/fresh.yaml")).doesNotExist();
    assertThat(send(admin, "GET", "/api/resources/functions/default/fresh", null).statusCode())
        .isEqualTo(404);

    // a timeout, a string that reads as a number: stored, it stays a string
    String timed = "\"handler\": \"f.handler\", \"timeout\": \"30\"";
    assertThat(
            send(
                    admin,
                    "PUT",
                    "/api/resources/functions/default/fresh",
                    function("fresh", "a").replace("\"handler\": \"f.handler\"", timed))
                .statusCode())
        .isEqualTo(201);
    String stored = Files.readString(dir.resolve(".kubeless/applied/functions/default/fresh.yaml"));
    JsonNode change =
        JSON.readTree(
            send(
                    admin,
                    "PUT",
                    "/api/resources/functions/default/fresh" + dry,
                    function("fresh", "b").replace("\"handler\": \"f.handler\"", timed))
                .body());
    assertThat(change.at("/current/spec/function").asText()).contains("return \"a\"");
    assertThat(change.at("/resource/spec/function").asText()).contains("return \"b\"");
    assertThat(change.at("/resource/metadata/creationTimestamp"))
        .isEqualTo(change.at("/current/metadata/creationTimestamp"));
    // only the code differs: what is stored reads back as it was sent
    ((com.fasterxml.jackson.databind.node.ObjectNode) change.at("/current/spec"))
        .remove("function");
    ((com.fasterxml.jackson.databind.node.ObjectNode) change.at("/resource/spec"))
        .remove("function");
    assertThat(change.get("resource")).isEqualTo(change.get("current"));
    assertThat(Files.readString(dir.resolve(".kubeless/applied/functions/default/fresh.yaml")))
        .isEqualTo(stored);
  }

  @Test
  void anHttpTriggerAppliedThroughTheApiIsServedAndListed() throws Exception {
    Files.writeString(dir.resolve("hello.yaml"), HELLO);
    LocalPlatform platform = start();
    await().atMost(Duration.ofSeconds(60)).until(() -> platform.ready("default/hello"));
    String trigger =
        """
        apiVersion: kubeless.io/v1beta1
        kind: HTTPTrigger
        metadata: {name: web}
        spec: {function-name: hello, path: greet}
        """;
    HttpResponse<String> put =
        send(platform.adminUrl(), "PUT", "/api/resources/httptriggers/default/web", trigger);
    assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
    assertThat(JSON.readTree(put.body()).path("kind").asText()).isEqualTo("HTTPTrigger");

    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              HttpResponse<String> greeted =
                  HTTP.send(
                      HttpRequest.newBuilder(URI.create(platform.httpUrl().orElseThrow() + "greet"))
                          .build(),
                      HttpResponse.BodyHandlers.ofString());
              assertThat(greeted.statusCode()).isEqualTo(200);
              assertThat(greeted.body()).isEqualTo("hello");
            });
    JsonNode listed =
        JSON.readTree(send(platform.adminUrl(), "GET", "/api/resources/httptriggers", null).body());
    assertThat(listed).hasSize(1);
    assertThat(listed.get(0).at("/resource/spec/function-name").asText()).isEqualTo("hello");
    assertThat(listed.get(0).at("/resource/metadata/namespace").asText()).isEqualTo("default");
    assertThat(listed.get(0).has("runs")).isFalse();
  }
}
