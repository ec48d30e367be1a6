package io.kubeless.runtime.python;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.kubeless.runtime.testing.RuntimeContractTest;
import io.kubeless.runtime.testing.RuntimeProcess;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The runtime contract against {@code runtimes/python/run}. */
class PythonRuntimeTest extends RuntimeContractTest {

  private static final String WHEEL = "kubeless_dep-1.0-py3-none-any.whl";
  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  protected String suffix() {
    return ".py";
  }

  @Override
  protected String depsFile() {
    return "requirements.txt";
  }

  @Override
  protected Map<String, String> installEnv() {
    // PyPI is out of reach of the build machines: the test's wheel is all pip may use.
    return Map.of("PIP_NO_INDEX", "1");
  }

  /** A local wheel, built here as pip would, named by a relative path in requirements.txt. */
  @Override
  protected void writeDependencies(Path volume) throws IOException {
    writeWheel(volume.resolve(WHEEL));
    Files.writeString(volume.resolve(depsFile()), "./" + WHEEL + "\n");
  }

  private static void writeWheel(Path file) throws IOException {
    try (OutputStream out = Files.newOutputStream(file);
        ZipOutputStream wheel = new ZipOutputStream(out)) {
      add(wheel, "kubeless_dep/__init__.py", "def shout(text):\n    return text.upper() + '!'\n");
      add(
          wheel,
          "kubeless_dep-1.0.dist-info/METADATA",
          "Metadata-Version: 2.1\nName: kubeless-dep\nVersion: 1.0\n");
      add(
          wheel,
          "kubeless_dep-1.0.dist-info/WHEEL",
          "Wheel-Version: 1.0\nGenerator: kubeless-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n");
      add(
          wheel,
          "kubeless_dep-1.0.dist-info/RECORD",
          "kubeless_dep/__init__.py,,\nkubeless_dep-1.0.dist-info/METADATA,,\n"
              + "kubeless_dep-1.0.dist-info/WHEEL,,\nkubeless_dep-1.0.dist-info/RECORD,,\n");
    }
  }

  /** Coroutines run together on a worker's event loop: one worker runs all 20. */
  @Test
  void runsAsyncHandlersConcurrentlyOnOneWorker() throws Exception {
    RuntimeProcess runtime =
        start("overlap_async", Map.of("FUNC_TIMEOUT", "3", "FUNC_WORKERS", "1"));

    assertRunTogether(runtime, 20);
  }

  /** Plain functions run in a worker's thread pool, as large as FUNC_CONCURRENCY says. */
  @Test
  void runsSyncHandlersInFuncConcurrencyThreadsPerWorker() throws Exception {
    RuntimeProcess runtime =
        start(
            "overlap", Map.of("FUNC_TIMEOUT", "3", "FUNC_WORKERS", "1", "FUNC_CONCURRENCY", "20"));

    assertRunTogether(runtime, 20);
  }

  /** An async handler that never awaits blocks its worker's loop: the worker is killed. */
  @Test
  void stopsARunawayAsyncHandlerAndKeepsServing() throws Exception {
    RuntimeProcess runtime = start("loop_async", Map.of("FUNC_TIMEOUT", "2"));
    Path ticks = volume().resolve("ticks");

    CompletableFuture<HttpResponse<String>> runaway = runtime.postAsync("/", "spin");
    await("the runaway handler is running")
        .atMost(Duration.ofSeconds(10))
        .until(() -> Files.exists(ticks));

    assertThat(runtime.post("/", "quick").body()).isEqualTo("ok");
    assertThat(runaway.get().statusCode()).isEqualTo(408);
    assertStopsTicking(ticks);
    assertThat(runtime.post("/", "quick").body()).isEqualTo("ok");
    assertThat(runtime.isAlive()).as("the server was not restarted").isTrue();
  }

  /** event['extensions']['request'] is bottle's request, as in Kubeless: a form post. */
  @Test
  void givesTheHandlerBottlesRequest() throws Exception {
    RuntimeProcess runtime = start("request_info", Map.of());

    HttpResponse<String> response =
        runtime.post(
            "/orders/a%20b?greeting=Hola&x=1",
            "name=kubeless&size=2",
            "Content-Type",
            "application/x-www-form-urlencoded",
            "X-Custom",
            "custom-value",
            "Cookie",
            "flavour=vanilla; other=1");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode request = JSON.readTree(response.body());
    assertThat(request.path("class").asBoolean()).isTrue();
    assertThat(request.path("method").asText()).isEqualTo("POST");
    assertThat(request.path("path").asText()).isEqualTo("/orders/a b");
    assertThat(request.path("fullpath").asText()).isEqualTo("/orders/a b");
    assertThat(request.path("url").asText())
        .isEqualTo(runtime.uri("/orders/a%20b?greeting=Hola&x=1").toString());
    assertThat(request.path("query"))
        .isEqualTo(JSON.readTree("{\"greeting\":\"Hola\",\"x\":\"1\"}"));
    assertThat(request.path("query_attribute").asText()).isEqualTo("Hola");
    assertThat(request.path("query_missing_attribute").asText()).isEmpty();
    assertThat(request.path("GET")).isEqualTo(request.path("query"));
    assertThat(request.path("forms"))
        .isEqualTo(JSON.readTree("{\"name\":\"kubeless\",\"size\":\"2\"}"));
    assertThat(request.path("POST").toString()).isEqualTo("[\"name\",\"size\"]");
    assertThat(request.path("params"))
        .isEqualTo(
            JSON.readTree(
                "{\"greeting\":\"Hola\",\"x\":\"1\",\"name\":\"kubeless\",\"size\":\"2\"}"));
    assertThat(request.path("cookies"))
        .isEqualTo(JSON.readTree("{\"flavour\":\"vanilla\",\"other\":\"1\"}"));
    assertThat(request.path("cookie").asText()).isEqualTo("vanilla");
    assertThat(request.path("environ"))
        .isEqualTo(
            JSON.readTree(
                "{\"REQUEST_METHOD\":\"POST\",\"PATH_INFO\":\"/orders/a b\","
                    + "\"QUERY_STRING\":\"greeting=Hola&x=1\",\"REMOTE_ADDR\":\"127.0.0.1\","
                    + "\"HTTP_X_CUSTOM\":\"custom-value\"}"));
    assertThat(request.path("content_length").asInt()).isEqualTo(20);
    assertThat(request.path("content_type").asText())
        .isEqualTo("application/x-www-form-urlencoded");
    assertThat(request.path("remote_addr").asText()).isEqualTo("127.0.0.1");
    assertThat(request.path("json").isNull()).isTrue();
    assertThat(request.path("body").asText()).isEqualTo("name=kubeless&size=2");
    assertThat(request.path("header").asText()).isEqualTo("custom-value");
    assertThat(request.path("header_default").asText()).isEqualTo("fallback");
    assertThat(request.path("headers_any_case").toString())
        .isEqualTo("[\"custom-value\",\"custom-value\"]");
    assertThat(request.path("data").asText()).isEqualTo("bytes");
  }

  @Test
  void givesTheHandlerTheJsonBodyThroughBottlesRequestToo() throws Exception {
    RuntimeProcess runtime = start("request_info", Map.of());

    JsonNode request =
        JSON.readTree(
            runtime.post("/", "{\"a\":[1,2]}", "Content-Type", "application/json").body());

    assertThat(request.path("json")).isEqualTo(JSON.readTree("{\"a\":[1,2]}"));
    assertThat(request.path("data").asText()).isEqualTo("dict");
    assertThat(request.path("content_length").asInt()).isEqualTo(11);
  }

  /** Kubeless's request example: a multipart upload saved with FileUpload.save(). */
  @Test
  void savesAMultipartUploadAsKubelessRequestExampleDoes() throws Exception {
    RuntimeProcess runtime = start("upload", Map.of());
    String boundary = "kubeless-boundary-4711";
    String body =
        "--"
            + boundary
            + "\r\nContent-Disposition: form-data; name=\"category\"\r\n\r\nreports\r\n--"
            + boundary
            + "\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"q1.txt\"\r\n"
            + "Content-Type: text/plain\r\n\r\nfirst quarter\nall good\r\n--"
            + boundary
            + "--\r\n";

    HttpResponse<String> response =
        runtime.post(
            "/?greeting=Hola",
            body,
            "Content-Type",
            "multipart/form-data; boundary=" + boundary,
            "Say-Hello-To",
            "John");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("Hola John");
    assertThat(volume().resolve("uploads/reports/q1.txt")).hasContent("first quarter\nall good");
  }

  @Test
  void uploadsReachTheHandlerAsBottleFileUploads() throws Exception {
    RuntimeProcess runtime = start("request_info", Map.of());
    String body =
        "--b\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"a.csv\"\r\n\r\n"
            + "1,2\r\n--b\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n--b--\r\n";

    JsonNode request =
        JSON.readTree(
            runtime.post("/", body, "Content-Type", "multipart/form-data; boundary=b").body());

    assertThat(request.path("file"))
        .isEqualTo(
            JSON.readTree("{\"name\":\"upload\",\"filename\":\"a.csv\",\"content\":\"1,2\"}"));
    assertThat(request.path("forms")).isEqualTo(JSON.readTree("{\"note\":\"hi\"}"));
    assertThat(request.path("POST").toString()).isEqualTo("[\"note\",\"upload\"]");
  }

  /**
   * event['data'] is the body's bytes unless the content type is JSON, as Kubeless's Python 3
   * runtimes gave it (req.body.read()); an empty JSON body is None.
   */
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "text/plain; charset=utf-8        | plain text        | bytes    | \"plain text\"",
        "application/x-www-form-urlencoded | a=1&b=2           | bytes    | \"a=1&b=2\"",
        "application/octet-stream          | raw               | bytes    | \"raw\"",
        "application/json                  | {\"n\":[1,true]}  | dict     | {\"n\":[1,true]}",
        "application/json; charset=utf-8   | [1,2]             | list     | [1,2]",
        "application/cloudevents+json      | \"text\"          | str      | \"text\"",
        "application/json                  | ''                | NoneType | null",
      })
  void givesTheBodyAsBytesUnlessItIsJson(String contentType, String body, String type, String value)
      throws Exception {
    RuntimeProcess runtime = start("data", Map.of());

    HttpResponse<String> response = runtime.post("/", body, "Content-Type", contentType);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode data = JSON.readTree(response.body());
    assertThat(data.path("type").asText()).isEqualTo(type);
    assertThat(data.path("value")).isEqualTo(JSON.readTree(value));
  }

  @Test
  void givesBytesForABodyWithoutContentType() throws Exception {
    RuntimeProcess runtime = start("data", Map.of());

    HttpResponse<String> response =
        runtime.send(
            HttpRequest.newBuilder(runtime.uri("/"))
                .PUT(HttpRequest.BodyPublishers.ofString("no type"))
                .build());

    assertThat(JSON.readTree(response.body()))
        .isEqualTo(JSON.readTree("{\"type\":\"bytes\",\"value\":\"no type\"}"));
  }

  @Test
  void answers400ForAnInvalidJsonBody() throws Exception {
    RuntimeProcess runtime = start("data", Map.of());

    HttpResponse<String> response =
        runtime.post("/", "{\"unfinished\":", "Content-Type", "application/json");

    assertThat(response.statusCode()).isEqualTo(400);
  }

  /**
   * What a handler returns becomes the answer as Kubeless's bottle made it, where that was useful;
   * where Kubeless failed (a 500, or a 408 for a value it could not pass between processes) the
   * runtime answers JSON or joins the strings instead. The README's table lists each case.
   */
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "none             | 200 | text/plain; charset=utf-8 | ''",
        "str              | 200 | text/plain; charset=utf-8 | héllo",
        "bytes-text       | 200 | text/plain; charset=utf-8 | bytes ü",
        "bytearray        | 200 | text/plain; charset=utf-8 | array",
        "dict             | 200 | application/json          | {\"a\": [1, \"b\"]}",
        "list-of-str      | 200 | text/plain; charset=utf-8 | abc",
        "tuple-of-bytes   | 200 | text/plain; charset=utf-8 | xy",
        "list-of-int      | 200 | application/json          | [1, 2]",
        "list-of-dict     | 200 | application/json          | [{\"a\": 1}]",
        "empty-list       | 200 | text/plain; charset=utf-8 | ''",
        "int              | 200 | application/json          | 42",
        "zero             | 200 | application/json          | 0",
        "float            | 200 | application/json          | 2.5",
        "bool             | 200 | application/json          | true",
        "generator        | 200 | text/plain; charset=utf-8 | one two",
        "file             | 200 | text/plain; charset=utf-8 | from a file",
        "response         | 201 | application/json          | {\"created\": 1}",
        "response-text    | 202 | text/plain; charset=utf-8 | made",
        "response-typed   | 200 | text/html                 | <b>hi</b>",
        "raise-response   | 302 | text/plain; charset=utf-8 | moved",
        "generator-of-int | 500 | text/plain; charset=utf-8 | Internal Server Error",
        "object           | 500 | text/plain; charset=utf-8 | Internal Server Error",
      })
  void sendsReturnValuesAsKubelessDid(String kind, int status, String contentType, String body)
      throws Exception {
    RuntimeProcess runtime = start("returns", Map.of());

    HttpResponse<String> response = runtime.get("/?kind=" + kind);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type")).hasValue(contentType);
    assertThat(response.body()).isEqualTo(body);
  }

  @Test
  void sendsBinaryBytesAsOctetStream() throws Exception {
    RuntimeProcess runtime = start("returns", Map.of());

    HttpResponse<byte[]> response =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .build()
            .send(
                HttpRequest.newBuilder(runtime.uri("/?kind=bytes-binary")).build(),
                HttpResponse.BodyHandlers.ofByteArray());

    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
    assertThat(response.body()).containsExactly(0xff, 0xfe, 0x00);
  }

  @Test
  void sendsHttpResponseHeadersAndBottlesErrorPages() throws Exception {
    RuntimeProcess runtime = start("returns", Map.of());

    HttpResponse<String> created = runtime.get("/?kind=response");
    HttpResponse<String> moved = runtime.get("/?kind=raise-response");
    HttpResponse<String> missing = runtime.get("/?kind=error");
    HttpResponse<String> forbidden = runtime.get("/?kind=abort");
    HttpResponse<String> noContent = runtime.get("/?kind=no-content");

    assertThat(created.headers().firstValue("X-Id")).hasValue("7");
    assertThat(moved.headers().firstValue("Location")).hasValue("/elsewhere");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.headers().firstValue("Content-Type")).hasValue("text/html; charset=UTF-8");
    assertThat(missing.body())
        .contains("Error: 404 Not Found")
        .contains("no such order")
        .contains(runtime.uri("/?kind=error").toString());
    assertThat(forbidden.statusCode()).isEqualTo(403);
    assertThat(forbidden.body()).contains("not yours");
    assertThat(noContent.statusCode()).isEqualTo(204);
    assertThat(noContent.body()).isEmpty();
    assertThat(noContent.headers().firstValue("Content-Type")).isEmpty();
    assertThat(runtime.get("/?kind=str").body())
        .as("the connection is still usable")
        .isEqualTo("héllo");
  }

  @Test
  void sendsAnAsyncHandlersReturnValuesAlike() throws Exception {
    RuntimeProcess runtime = start("returns_async", Map.of());

    HttpResponse<String> ok = runtime.get("/");
    HttpResponse<String> aborted = runtime.get("/?kind=abort");

    assertThat(ok.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(ok.body()).isEqualTo("{\"async\": true}");
    assertThat(aborted.statusCode()).isEqualTo(401);
    assertThat(aborted.body()).contains("who are you");
  }

  @Test
  void answersHeadWithoutABody() throws Exception {
    RuntimeProcess runtime = start("hello", Map.of());

    HttpResponse<String> head =
        runtime.send(
            HttpRequest.newBuilder(runtime.uri("/"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build());

    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.headers().firstValue("Content-Length")).hasValue("11");
    assertThat(head.body()).isEmpty();
    assertThat(runtime.get("/").body()).isEqualTo("hello world");
  }

  /** Kubeless's Python runtime took bodies up to 100 MB (FUNC_MEMFILE_MAX); so does this one. */
  @Test
  void acceptsBodiesUpTo100MiBByDefault() throws Exception {
    RuntimeProcess runtime = start("hello", Map.of());

    HttpResponse<String> overTheOldLimit = runtime.post("/", "x".repeat(12 * 1024 * 1024));

    assertThat(overTheOldLimit.statusCode()).isEqualTo(200);
    assertThat(runtime.log()).contains("bodies up to 104857600 bytes");
  }

  @Test
  void rejectsBodiesOverFuncMemfileMax() throws Exception {
    RuntimeProcess runtime = start("hello", Map.of("FUNC_MEMFILE_MAX", "1000"));

    assertThat(runtime.post("/", "x".repeat(1001)).statusCode()).isEqualTo(413);
    assertThat(runtime.post("/", "x".repeat(1000)).statusCode()).isEqualTo(200);
  }

  @Test
  void appliesTheSmallerOfReqMbLimitAndFuncMemfileMax() throws Exception {
    RuntimeProcess smallerMb =
        start("hello", Map.of("REQ_MB_LIMIT", "1", "FUNC_MEMFILE_MAX", "4194304"));
    RuntimeProcess smallerMemfile =
        start("echo", Map.of("REQ_MB_LIMIT", "4", "FUNC_MEMFILE_MAX", "1048576"));

    String overOneMiB = "x".repeat(1024 * 1024 + 1);
    assertThat(smallerMb.post("/", overOneMiB).statusCode()).isEqualTo(413);
    assertThat(smallerMemfile.post("/", overOneMiB).statusCode()).isEqualTo(413);
    assertThat(smallerMemfile.post("/", "x".repeat(1024 * 1024)).statusCode()).isEqualTo(200);
  }

  /** The install step is pip: PIP_INDEX_URL points it at another index (a mirror, a proxy). */
  @Test
  void installsDependenciesFromTheIndexInPipIndexUrl() throws Exception {
    Path volume = volume();
    byte[] wheel = wheelBytes();
    List<String> served = new CopyOnWriteArrayList<>();
    HttpServer index = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    index.createContext(
        "/",
        exchange -> {
          String path = exchange.getRequestURI().getPath();
          served.add(path);
          byte[] page =
              switch (path) {
                case "/simple/kubeless-dep/" ->
                    ("<html><body><a href=\"/files/" + WHEEL + "\">" + WHEEL + "</a></body></html>")
                        .getBytes(StandardCharsets.UTF_8);
                case "/files/" + WHEEL -> wheel;
                default -> null;
              };
          if (page == null) {
            exchange.sendResponseHeaders(404, -1);
          } else {
            exchange
                .getResponseHeaders()
                .set("Content-Type", page == wheel ? "application/octet-stream" : "text/html");
            exchange.sendResponseHeaders(200, page.length);
            exchange.getResponseBody().write(page);
          }
          exchange.close();
        });
    index.start();
    try {
      Files.writeString(volume.resolve(depsFile()), "kubeless-dep==1.0\n");
      String url = "http://127.0.0.1:" + index.getAddress().getPort() + "/simple/";

      int exit =
          RuntimeProcess.install(
              runtimeDir(),
              volume,
              depsFile(),
              Map.of("PIP_INDEX_URL", url, "PIP_TRUSTED_HOST", "127.0.0.1", "PIP_FIND_LINKS", ""));

      assertThat(exit).as(Files.readString(volume.resolveSibling("install.log"))).isZero();
    } finally {
      index.stop(0);
    }
    assertThat(served).contains("/simple/kubeless-dep/", "/files/" + WHEEL);
    assertThat(start("deps", Map.of()).get("/").body()).isEqualTo("DEPS!");
  }

  @Test
  void installsDependenciesFromPipFindLinks() throws Exception {
    Path volume = volume();
    Path wheels = Files.createDirectories(tmp.resolve("wheels"));
    writeWheel(wheels.resolve(WHEEL));
    Files.writeString(volume.resolve(depsFile()), "kubeless-dep==1.0\n");

    int exit =
        RuntimeProcess.install(
            runtimeDir(),
            volume,
            depsFile(),
            Map.of("PIP_NO_INDEX", "1", "PIP_FIND_LINKS", wheels.toString()));

    assertThat(exit).as(Files.readString(volume.resolveSibling("install.log"))).isZero();
    assertThat(start("deps", Map.of()).get("/").body()).isEqualTo("DEPS!");
  }

  /** Stopping the runtime (SIGTERM) while a request is in flight logs one line, no traceback. */
  @Test
  void stopsQuietlyWithARequestInFlight() throws Exception {
    RuntimeProcess runtime = start("wait", Map.of());
    CompletableFuture<HttpResponse<String>> inFlight = runtime.postAsync("/", "wait");
    await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(volume().resolve("started")));

    ProcessHandle.of(runtime.pid()).orElseThrow().destroy();

    await().atMost(Duration.ofSeconds(10)).until(() -> !runtime.isAlive());
    assertThat(runtime.log())
        .contains("Stopping; 1 invocations in flight are dropped")
        .doesNotContain("Traceback")
        .doesNotContain("CancelledError");
    assertThat(inFlight).failsWithin(Duration.ofSeconds(10));
  }

  @Test
  void aClientClosingItsConnectionMidRequestLeavesNoTraceback() throws Exception {
    RuntimeProcess runtime = start("wait", Map.of());
    try (Socket socket = new Socket("127.0.0.1", runtime.uri("/").getPort())) {
      socket
          .getOutputStream()
          .write(
              "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nwait"
                  .getBytes(StandardCharsets.US_ASCII));
      await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(volume().resolve("started")));
    }

    assertThat(runtime.post("/", "quick").body()).isEqualTo("ok");
    assertThat(runtime.log()).doesNotContain("Traceback");
  }

  /** Started with a package folder lacking bottle, the runtime says what to do and exits. */
  @Test
  void explainsAMissingBottle() throws Exception {
    Path empty = Files.createDirectories(tmp.resolve("empty-lib"));

    assertThatThrownBy(() -> start("hello", Map.of("KUBELESS_PYTHON_LIB", empty.toString())))
        .hasMessageContaining("The Python runtime needs bottle in " + empty)
        .hasMessageContaining("setup");
  }

  /**
   * Started from a checkout without the runtime's packages, run installs them first; when pip
   * cannot (here: no index at all), it says so and exits.
   */
  @Test
  void explainsWhyItCannotInstallItsPackagesOnFirstStart() throws Exception {
    Path checkout = Files.createDirectories(tmp.resolve("checkout"));
    for (String file : List.of("run", "setup", "_kubeless.py", "runtime-requirements.txt")) {
      Files.copy(
          runtimeDir().resolve(file), checkout.resolve(file), StandardCopyOption.COPY_ATTRIBUTES);
    }
    Files.copy(getClass().getResourceAsStream("/functions/hello.py"), volume().resolve("hello.py"));

    assertThatThrownBy(
            () ->
                RuntimeProcess.start(
                    checkout,
                    volume(),
                    "hello",
                    "handler",
                    Map.of("PIP_NO_INDEX", "1", "PIP_FIND_LINKS", "")))
        .hasMessageContaining("Cannot install the Python runtime's packages");
    assertThat(checkout.resolve("lib")).doesNotExist();
  }

  private byte[] wheelBytes() throws IOException {
    Path file = tmp.resolve("built-" + WHEEL);
    writeWheel(file);
    return Files.readAllBytes(file);
  }

  private static void add(ZipOutputStream zip, String name, String content) throws IOException {
    zip.putNextEntry(new ZipEntry(name));
    zip.write(content.getBytes(StandardCharsets.UTF_8));
    zip.closeEntry();
  }
}
