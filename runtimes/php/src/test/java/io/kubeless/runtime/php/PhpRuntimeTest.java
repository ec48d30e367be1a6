package io.kubeless.runtime.php;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubeless.runtime.testing.RuntimeContractTest;
import io.kubeless.runtime.testing.RuntimeProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The runtime contract against {@code runtimes/php/run}. */
class PhpRuntimeTest extends RuntimeContractTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  protected String suffix() {
    return ".php";
  }

  @Override
  protected String depsFile() {
    return "composer.json";
  }

  /**
   * A local package in a Composer {@code path} repository, with Packagist switched off, so no
   * registry is needed; the {@code deps} function requires {@code vendor/autoload.php} as
   * Kubeless's example did.
   */
  @Override
  protected void writeDependencies(Path volume) throws IOException {
    Path dep = Files.createDirectories(volume.resolve("kubeless-dep/src"));
    Files.writeString(
        dep.resolveSibling("composer.json"),
        "{\"name\": \"kubeless/dep\", \"version\": \"1.0.0\","
            + " \"autoload\": {\"psr-4\": {\"KubelessDep\\\\\": \"src/\"}}}\n");
    Files.writeString(
        dep.resolve("Text.php"),
        "<?php\nnamespace KubelessDep;\n\nfinal class Text\n{\n"
            + "    public static function shout(string $text): string\n    {\n"
            + "        return strtoupper($text) . '!';\n    }\n}\n");
    Files.writeString(
        volume.resolve(depsFile()),
        "{\"repositories\": [{\"type\": \"path\", \"url\": \"./kubeless-dep\","
            + " \"options\": {\"symlink\": false}}, {\"packagist.org\": false}],"
            + " \"require\": {\"kubeless/dep\": \"^1.0\"}}\n");
  }

  /**
   * The event and context are objects, JSON data is decoded to objects as Kubeless's {@code
   * json_decode($body)} did, the request reads like a PSR-7 request, the superglobals hold the
   * request, top-level variables are globals, and the function runs in the volume.
   */
  @Test
  void givesTheHandlerKubelessShapedEventAndRequest() throws Exception {
    RuntimeProcess runtime = start("shape", Map.of());

    JsonNode json =
        JSON.readTree(
            runtime
                .post(
                    "/path?q=1&list[]=a",
                    "{\"name\":\"kubeless\",\"empty\":{}}",
                    "Content-Type",
                    "application/cloudevents+json; charset=utf-8",
                    "X-Custom",
                    "custom value",
                    "event-id",
                    "id-7")
                .body());

    assertThat(json.path("greeting").asText()).isEqualTo("hi");
    assertThat(json.path("eventIsObject").asBoolean()).isTrue();
    assertThat(json.path("contextIsObject").asBoolean()).isTrue();
    assertThat(json.path("dataIsObject").asBoolean()).isTrue();
    assertThat(json.path("name").asText()).isEqualTo("kubeless");
    assertThat(JSON.readTree(json.path("reencoded").asText()))
        .isEqualTo(JSON.readTree("{\"name\":\"kubeless\",\"empty\":{}}"));
    assertThat(json.path("header").asText()).isEqualTo("custom value");
    assertThat(json.path("query")).isEqualTo(JSON.readTree("{\"q\":\"1\",\"list\":[\"a\"]}"));
    assertThat(json.path("get")).isEqualTo(json.path("query"));
    assertThat(json.path("body").asText()).isEqualTo("{\"name\":\"kubeless\",\"empty\":{}}");
    assertThat(json.path("serverEventId").asText()).isEqualTo("id-7");
    assertThat(json.path("serverMethod").asText()).isEqualTo("POST");
    assertThat(Path.of(json.path("cwd").asText()).toRealPath()).isEqualTo(volume().toRealPath());
  }

  @Test
  void encodesReturnValuesByType() throws Exception {
    RuntimeProcess runtime = start("values", Map.of());

    HttpResponse<String> none = runtime.post("/", "null");
    assertThat(none.statusCode()).isEqualTo(200);
    assertThat(none.body()).isEmpty();
    HttpResponse<String> list = runtime.post("/", "list");
    assertThat(list.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(list.body()).isEqualTo("[1,\"two\",3.0]");
    assertThat(runtime.post("/", "number").body()).isEqualTo("42");
    HttpResponse<byte[]> binary =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(runtime.uri("/"))
                    .POST(HttpRequest.BodyPublishers.ofString("binary"))
                    .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    assertThat(binary.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
    assertThat(binary.body()).containsExactly((byte) 0xff, (byte) 0xfe, (byte) 0x00);
  }

  @Test
  void answers400ForInvalidJson() throws Exception {
    RuntimeProcess runtime = start("echo", Map.of());

    HttpResponse<String> response =
        runtime.post("/", "{not json", "Content-Type", "application/json");

    assertThat(response.statusCode()).isEqualTo(400);
  }

  /**
   * What the function prints (echo, php://stdout, error_log) reaches the log, as Monolog's does.
   */
  @Test
  void logsWhatTheFunctionPrints() throws Exception {
    RuntimeProcess runtime = start("values", Map.of());

    assertThat(runtime.post("/", "log").body()).isEqualTo("logged");

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(runtime.log())
                    .contains("echoed by the function")
                    .contains("written to php://stdout")
                    .contains("written with error_log"));
  }

  /**
   * exit() ends the worker, not the server: a 500, then a fresh worker serves the very next request
   * (the exiting worker is never given it, however soon it comes).
   */
  @Test
  void answers500WhenTheHandlerExitsAndKeepsServing() throws Exception {
    RuntimeProcess runtime = start("values", Map.of("FUNC_WORKERS", "1"));

    for (int i = 0; i < 20; i++) {
      assertThat(runtime.post("/", "exit").statusCode()).isEqualTo(500);
      assertThat(runtime.post("/", "text").body()).as("after exit() %d", i).isEqualTo("text");
    }
    assertThat(runtime.isAlive()).isTrue();
    await().atMost(Duration.ofSeconds(10)).until(() -> runtime.log().contains("exit()"));
  }

  @Test
  void healthzFailsWhenTheFunctionFailsWhileLoading() throws Exception {
    RuntimeProcess runtime = start("badload", Map.of());

    HttpResponse<String> health = runtime.get("/healthz");

    assertThat(health.statusCode()).isEqualTo(500);
    assertThat(health.body()).contains("badload").contains("vendor/autoload.php");
    assertThat(runtime.post("/", "x").statusCode()).isEqualTo(500);
  }

  /**
   * FUNC_CONCURRENCY caps the worker processes; invocations beyond it wait for a free worker, and
   * that wait does not count toward FUNC_TIMEOUT: six one-second handlers on two workers with a
   * two-second timeout all answer.
   */
  @Test
  void waitingForAFreeWorkerDoesNotCountTowardTheTimeout() throws Exception {
    RuntimeProcess runtime =
        start("overlap", Map.of("FUNC_TIMEOUT", "2", "FUNC_WORKERS", "1", "FUNC_CONCURRENCY", "2"));

    List<CompletableFuture<HttpResponse<String>>> responses =
        IntStream.range(0, 6).mapToObj(i -> runtime.postAsync("/", "request-" + i)).toList();

    for (CompletableFuture<HttpResponse<String>> response : responses) {
      assertThat(response.get().statusCode()).isEqualTo(200);
    }
    String workers =
        runtime.log().lines().filter(l -> l.contains("worker processes")).findFirst().orElseThrow();
    assertThat(workers).contains("1 to 2 worker processes");
  }

  /** A handler blocked in a sleep (no CPU used) is stopped at the deadline as well. */
  @Test
  void stopsASleepingHandlerAtTheTimeout() throws Exception {
    RuntimeProcess runtime = start("overlap", Map.of("FUNC_TIMEOUT", "0.5"));

    assertThat(runtime.post("/", "x").statusCode()).isEqualTo(408);
    assertThat(runtime.get("/healthz").statusCode()).isEqualTo(200);
  }

  /**
   * The server speaks HTTP/1.1 itself: pipelined requests are answered in order, a chunked body is
   * decoded, and {@code Expect: 100-continue} gets its interim answer.
   */
  @Test
  void servesPipelinedChunkedAndExpectContinueRequests() throws Exception {
    RuntimeProcess runtime = start("echo", Map.of());
    try (Socket socket = new Socket(runtime.uri("/").getHost(), runtime.uri("/").getPort())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\none"
                  + "POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  + "5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n"
                  + "POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                  + "Expect: 100-continue\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      InputStream in = socket.getInputStream();
      String first = readUntil(in, "one");
      String second = readUntil(in, "hello world");
      String interim = readUntil(in, "100 Continue\r\n\r\n");
      out.write("third".getBytes(StandardCharsets.US_ASCII));
      String third = new String(in.readAllBytes(), StandardCharsets.UTF_8);

      assertThat(first).startsWith("HTTP/1.1 200 OK").contains("Content-Length: 3");
      assertThat(second).startsWith("HTTP/1.1 200 OK").contains("Content-Length: 11");
      assertThat(interim).isEqualTo("HTTP/1.1 100 Continue\r\n\r\n");
      assertThat(third)
          .startsWith("HTTP/1.1 200 OK")
          .contains("Connection: close")
          .endsWith("third");
    }
  }

  private static String readUntil(InputStream in, String end) throws IOException {
    StringBuilder text = new StringBuilder();
    while (!text.toString().endsWith(end)) {
      int b = in.read();
      assertThat(b).as("connection closed after %s", text).isNotEqualTo(-1);
      text.append((char) b);
    }
    return text.toString();
  }
}
