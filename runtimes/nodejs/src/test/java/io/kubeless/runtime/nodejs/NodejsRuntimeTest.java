package io.kubeless.runtime.nodejs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.kubeless.runtime.testing.RuntimeContractTest;
import io.kubeless.runtime.testing.RuntimeProcess;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URLDecoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The runtime contract against {@code runtimes/nodejs/run}. */
class NodejsRuntimeTest extends RuntimeContractTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String BOUNDARY = "kubeless-test-boundary";

  @Override
  protected String suffix() {
    return ".js";
  }

  @Override
  protected String depsFile() {
    return "package.json";
  }

  /** A local package named by a {@code file:} dependency, so no registry is needed. */
  @Override
  protected void writeDependencies(Path volume) throws IOException {
    Path dep = Files.createDirectories(volume.resolve("kubeless-dep"));
    Files.writeString(
        dep.resolve("package.json"),
        "{\"name\": \"kubeless-dep\", \"version\": \"1.0.0\", \"main\": \"index.js\"}\n");
    Files.writeString(
        dep.resolve("index.js"), "exports.shout = (text) => text.toUpperCase() + '!';\n");
    Files.writeString(
        volume.resolve(depsFile()),
        "{\"name\": \"fn\", \"version\": \"1.0.0\","
            + " \"dependencies\": {\"kubeless-dep\": \"file:./kubeless-dep\"}}\n");
  }

  /** A handler returning a promise does not hold its worker: one worker runs hundreds at once. */
  @Test
  void runsHundredsOfAsyncHandlersConcurrentlyOnOneWorker() throws Exception {
    RuntimeProcess runtime =
        start(
            "overlap", Map.of("FUNC_TIMEOUT", "3", "FUNC_WORKERS", "1", "FUNC_CONCURRENCY", "200"));

    assertRunTogether(runtime, 200);
  }

  /** event.extensions.request is Express's request, with the body as Kubeless's parser left it. */
  @Test
  void givesTheHandlerExpressRequest() throws Exception {
    RuntimeProcess runtime = start("request", Map.of());

    JsonNode post =
        JSON.readTree(
            runtime
                .post(
                    "/orders/7?full=1&tag[]=a&tag[]=b&filter[state]=open",
                    "{\"n\":1}",
                    "Content-Type",
                    "application/json; charset=utf-8",
                    "X-Order-Id",
                    "o-42",
                    "Accept",
                    "application/json",
                    "Accept-Language",
                    "en-GB,en;q=0.8",
                    "Cookie",
                    "session=abc",
                    "X-Requested-With",
                    "XMLHttpRequest")
                .body());

    assertThat(post.path("data").path("n").asInt()).isEqualTo(1);
    assertThat(post.path("method").asText()).isEqualTo("POST");
    assertThat(post.path("url").asText())
        .isEqualTo("/orders/7?full=1&tag[]=a&tag[]=b&filter[state]=open");
    assertThat(post.path("originalUrl").asText()).isEqualTo(post.path("url").asText());
    assertThat(post.path("path").asText()).isEqualTo("/orders/7");
    assertThat(post.path("query"))
        .isEqualTo(
            JSON.readTree(
                "{\"full\":\"1\",\"tag\":[\"a\",\"b\"],\"filter\":{\"state\":\"open\"}}"));
    assertThat(post.path("params").path("0").asText()).isEqualTo("/orders/7");
    assertThat(post.path("get").asText()).isEqualTo("o-42");
    assertThat(post.path("header").asText()).isEqualTo("o-42");
    assertThat(post.path("isJson").asText()).isEqualTo("application/json");
    assertThat(post.path("isMultipart").asBoolean()).isFalse();
    assertThat(post.path("accepts").asText()).isEqualTo("application/json");
    assertThat(post.path("acceptsLanguages").asText()).isEqualTo("en");
    // Kubeless's runtime had no cookie parser: the header is there, req.cookies is not.
    assertThat(post.path("hasCookies").asBoolean()).isFalse();
    assertThat(post.path("cookieHeader").asText()).isEqualTo("session=abc");
    assertThat(post.path("ip").asText()).endsWith("127.0.0.1");
    assertThat(post.path("hostname").asText()).isEqualTo("127.0.0.1");
    assertThat(post.path("protocol").asText()).isEqualTo("http");
    assertThat(post.path("secure").asBoolean()).isFalse();
    assertThat(post.path("xhr").asBoolean()).isTrue();
    // Kubeless's raw body parser left the body in req.body as a Buffer.
    assertThat(post.path("body").path("buffer").asText()).isEqualTo("{\"n\":1}");
    assertThat(post.path("sameResponse").asBoolean()).isTrue();

    // Without a body (no Content-Length, no Transfer-Encoding), Kubeless gave {} as data and body.
    JsonNode get = JSON.readTree(runtime.get("/?q=1").body());
    assertThat(get.path("data").isObject()).isTrue();
    assertThat(get.path("data").size()).isZero();
    assertThat(get.path("body").isObject()).isTrue();
    assertThat(get.path("query").path("q").asText()).isEqualTo("1");
    assertThat(get.path("accepts").asText()).isEqualTo("text/html");
  }

  /**
   * A multipart body is streamed to the handler: multer, installed from npm by the install step,
   * parses it from event.extensions.request (Kubeless's hello-multipart example).
   */
  @Test
  void streamsAMultipartBodyToMulter() throws Exception {
    installMulter();
    RuntimeProcess runtime = start("upload", Map.of());
    byte[] file = fileOf(3 * 1024 * 1024);

    for (boolean chunked : List.of(false, true)) {
      HttpResponse<String> response =
          runtime.send(upload(runtime, "prop", "a normal prop", file, chunked));

      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      JsonNode parsed = JSON.readTree(response.body());
      assertThat(parsed.path("fields").path("prop").asText()).isEqualTo("a normal prop");
      assertThat(parsed.path("dataWasEmptyObject").asBoolean()).isTrue();
      assertThat(parsed.path("name").asText()).isEqualTo("input.bin");
      assertThat(parsed.path("type").asText()).isEqualTo("application/octet-stream");
      assertThat(parsed.path("size").asInt()).isEqualTo(file.length);
      assertThat(parsed.path("head").asText())
          .isEqualTo(new String(file, 0, 16, StandardCharsets.UTF_8));
      assertThat(parsed.path("tail").asText())
          .isEqualTo(new String(file, file.length - 16, 16, StandardCharsets.UTF_8));
    }
    assertThat(runtime.post("/", "plain").body()).isEqualTo("not multipart");
  }

  /**
   * REQ_MB_LIMIT holds for a streamed (multipart) body too: 413 whether the length is announced or
   * the body is chunked and the handler already reads it; the worker goes on serving.
   */
  @Test
  void rejectsAStreamedBodyOverTheLimit() throws Exception {
    installMulter();
    RuntimeProcess runtime = start("upload", Map.of("REQ_MB_LIMIT", "1", "FUNC_WORKERS", "1"));
    byte[] tooLarge = fileOf(2 * 1024 * 1024);

    assertThat(runtime.send(upload(runtime, "prop", "x", tooLarge, false)).statusCode())
        .isEqualTo(413);
    assertThat(runtime.send(upload(runtime, "prop", "x", tooLarge, true)).statusCode())
        .isEqualTo(413);

    HttpResponse<String> fits =
        runtime.send(upload(runtime, "prop", "x", fileOf(512 * 1024), true));
    assertThat(fits.statusCode()).as(fits.body()).isEqualTo(200);
    assertThat(JSON.readTree(fits.body()).path("size").asInt()).isEqualTo(512 * 1024);
    assertThat(runtime.log()).doesNotContain("timed out").doesNotContain("exited unexpectedly");
  }

  /**
   * A client that leaves in the middle of a multipart upload ends the invocation: the handler's
   * stream fails, nothing waits for its timeout, the worker is not replaced, and the line says 499.
   */
  @Test
  void endsTheInvocationWhenTheClientLeavesDuringAnUpload() throws Exception {
    installMulter();
    RuntimeProcess runtime = start("upload", Map.of("FUNC_TIMEOUT", "3", "FUNC_WORKERS", "1"));

    try (Socket socket = new Socket(runtime.uri("/").getHost(), runtime.uri("/").getPort())) {
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /abandoned HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data;"
                  + " boundary="
                  + BOUNDARY
                  + "\r\nContent-Length: 1000000\r\n\r\n--"
                  + BOUNDARY
                  + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n\r\n"
                  + "only the beginning")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }

    await("the invocation ended when the client left")
        .atMost(Duration.ofSeconds(10))
        .until(() -> runtime.log().contains("\"POST /abandoned HTTP/1.1\" 499 "));
    await("no timeout follows")
        .during(Duration.ofSeconds(4))
        .atMost(Duration.ofSeconds(6))
        .until(() -> !runtime.log().contains("timed out"));
    HttpResponse<String> next = runtime.send(upload(runtime, "prop", "x", fileOf(1024), false));
    assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
    assertThat(runtime.log()).doesNotContain("exited unexpectedly");
  }

  /**
   * A handler answers through event.extensions.response: status and headers it set, and a body
   * piped into it (8 MiB, more than the runtime holds in flight), are what the client gets; the
   * value its promise resolves to once the response finished is ignored, as in Kubeless.
   */
  @Test
  void streamsTheAnswerWrittenToExpressResponse() throws Exception {
    RuntimeProcess runtime = start("stream", Map.of());

    HttpResponse<String> small = runtime.get("/?count=3&size=8");
    assertThat(small.statusCode()).isEqualTo(203);
    assertThat(small.headers().firstValue("Content-Type"))
        .hasValue("text/event-stream; charset=utf-8");
    assertThat(small.headers().firstValue("X-Streamed-By")).hasValue("kubeless");
    assertThat(small.body()).isEqualTo("chunk 0\nchunk 1\nchunk 2\n");

    HttpResponse<String> large = runtime.get("/?count=2048&size=4096");
    assertThat(large.statusCode()).isEqualTo(203);
    assertThat(large.body()).hasSize(2048 * 4096);
    assertThat(large.body())
        .startsWith("chunk 0 ...")
        .endsWith("chunk 2047 " + ".".repeat(4096 - 12) + "\n");
  }

  /**
   * As in Kubeless, a handler that has not ended the response when its promise resolves answers
   * with its return value, keeping the status and headers it set on the response; one that ended
   * the response (Express's res.json) answered with it.
   */
  @Test
  void returnsTheValueWithTheStatusAndHeadersSetOnTheResponse() throws Exception {
    RuntimeProcess runtime = start("respond", Map.of());

    HttpResponse<String> returned = runtime.post("/", "x");
    assertThat(returned.statusCode()).isEqualTo(201);
    assertThat(returned.headers().firstValue("X-Created")).hasValue("yes");
    assertThat(returned.headers().firstValue("Content-Type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
    assertThat(JSON.readTree(returned.body()).path("created").asBoolean()).isTrue();

    HttpResponse<String> sent = runtime.post("/?send=1", "x");
    assertThat(sent.statusCode()).isEqualTo(202);
    assertThat(sent.body()).isEqualTo("{\"sent\":\"by res.json\"}");
    assertThat(sent.headers().firstValue("Content-Type"))
        .hasValue("application/json; charset=utf-8");
  }

  /**
   * NPM_REGISTRY names the registry and NPM_CONFIG_EXTRA adds npm settings (here the registry's
   * token), as in Kubeless: the package comes from the test's own registry, which saw the token.
   */
  @Test
  void installsFromNpmRegistryWithNpmConfigExtra() throws Exception {
    try (Registry registry = new Registry(tmp.resolve("registry"))) {
      registry.publish("kubeless-npm-dep", "hello from the test registry");
      Path volume = volume();
      Files.writeString(
          volume.resolve("package.json"),
          "{\"name\": \"fn\", \"version\": \"1.0.0\", \"dependencies\": {\"kubeless-npm-dep\": \"1.0.0\"}}\n");

      int exit =
          RuntimeProcess.install(
              runtimeDir(),
              volume,
              "package.json",
              Map.of(
                  "NPM_REGISTRY", registry.url(),
                  "NPM_CONFIG_EXTRA",
                      "//127.0.0.1:" + registry.port() + "/:_authToken=t0ken fetch-retries=0",
                  "npm_config_cache", tmp.resolve("npm-cache").toString()));

      assertThat(exit).as(installLog()).isZero();
      assertThat(registry.requests()).contains("/kubeless-npm-dep Bearer t0ken");
      assertThat(volume.resolve(".npmrc")).doesNotExist();
      RuntimeProcess runtime = start("npmdep", Map.of("NPM_DEP", "kubeless-npm-dep"));
      assertThat(runtime.get("/").body()).isEqualTo("hello from the test registry");
    }
  }

  /** With NPM_SCOPE, NPM_REGISTRY serves the packages of that scope. */
  @Test
  void installsAScopeFromNpmRegistryWhenNpmScopeIsSet() throws Exception {
    try (Registry registry = new Registry(tmp.resolve("registry"))) {
      registry.publish("@kubeless-test/scoped", "hello from the scope");
      Path volume = volume();
      Files.writeString(
          volume.resolve("package.json"),
          "{\"name\": \"fn\", \"version\": \"1.0.0\", \"dependencies\": {\"@kubeless-test/scoped\": \"1.0.0\"}}\n");

      int exit =
          RuntimeProcess.install(
              runtimeDir(),
              volume,
              "package.json",
              Map.of(
                  "NPM_REGISTRY", registry.url(),
                  "NPM_SCOPE", "@kubeless-test",
                  "npm_config_cache", tmp.resolve("npm-cache").toString()));

      assertThat(exit).as(installLog()).isZero();
      assertThat(registry.requests())
          .anyMatch(line -> line.startsWith("/@kubeless-test%2fscoped "));
      RuntimeProcess runtime = start("npmdep", Map.of("NPM_DEP", "@kubeless-test/scoped"));
      assertThat(runtime.get("/").body()).isEqualTo("hello from the scope");
    }
  }

  private void installMulter() throws IOException {
    Path volume = volume();
    Files.writeString(
        volume.resolve("package.json"),
        "{\"name\": \"upload\", \"version\": \"1.0.0\", \"dependencies\": {\"multer\": \"2.0.2\"}}\n");
    int exit = RuntimeProcess.install(runtimeDir(), volume, "package.json", Map.of());
    assertThat(exit).as(installLog()).isZero();
  }

  private String installLog() throws IOException {
    Path log = volume().resolveSibling("install.log");
    return Files.exists(log) ? Files.readString(log) : "(no install log)";
  }

  /** {@code size} bytes of printable text, different along the way. */
  private static byte[] fileOf(int size) {
    byte[] file = new byte[size];
    for (int i = 0; i < size; i++) {
      file[i] = (byte) ('a' + (i * 7 + i / 4096) % 26);
    }
    return file;
  }

  /** A multipart/form-data POST with one field and one file, chunked or with its length. */
  private static HttpRequest upload(
      RuntimeProcess runtime, String field, String value, byte[] file, boolean chunked)
      throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(
        ("--"
                + BOUNDARY
                + "\r\nContent-Disposition: form-data; name=\""
                + field
                + "\"\r\n\r\n"
                + value
                + "\r\n--"
                + BOUNDARY
                + "\r\nContent-Disposition: form-data; name=\"file\";"
                + " filename=\"input.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            .getBytes(StandardCharsets.UTF_8));
    body.write(file);
    body.write(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
    byte[] bytes = body.toByteArray();
    HttpRequest.BodyPublisher publisher =
        chunked
            ? HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes))
            : HttpRequest.BodyPublishers.ofByteArray(bytes);
    return HttpRequest.newBuilder(runtime.uri("/upload"))
        .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
        .POST(publisher)
        .build();
  }

  /**
   * A tiny npm registry: packuments and tarballs (made by {@code npm pack}) of the packages
   * published to it, and the requests it saw as {@code "<path> <Authorization>"}.
   */
  private static final class Registry implements AutoCloseable {
    private final Path dir;
    private final HttpServer server;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();

    Registry(Path dir) throws IOException {
      this.dir = Files.createDirectories(dir);
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.createContext("/", this::serve);
      server.start();
    }

    int port() {
      return server.getAddress().getPort();
    }

    String url() {
      return "http://127.0.0.1:" + port() + "/";
    }

    List<String> requests() {
      return requests;
    }

    /** Publishes version 1.0.0 of {@code name}, whose module exports {@code greeting}. */
    void publish(String name, String greeting) throws Exception {
      String simple = name.substring(name.indexOf('/') + 1);
      Path source = Files.createDirectories(dir.resolve("src-" + simple));
      Files.writeString(
          source.resolve("package.json"),
          "{\"name\": \"" + name + "\", \"version\": \"1.0.0\", \"main\": \"index.js\"}\n");
      Files.writeString(source.resolve("index.js"), "exports.greeting = '" + greeting + "';\n");
      Process pack =
          new ProcessBuilder("npm", "pack", "--pack-destination", dir.toString())
              .directory(source.toFile())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("pack.log").toFile())
              .start();
      assertThat(pack.waitFor(2, TimeUnit.MINUTES)).isTrue();
      assertThat(pack.exitValue()).as(Files.readString(dir.resolve("pack.log"))).isZero();
      Path tarball;
      try (Stream<Path> found = Files.list(dir)) {
        tarball =
            found
                .filter(p -> p.toString().endsWith(simple + "-1.0.0.tgz"))
                .findFirst()
                .orElseThrow();
      }
      byte[] tgz = Files.readAllBytes(tarball);
      String tarballPath = "/" + name + "/-/" + simple + "-1.0.0.tgz";
      files.put(tarballPath, tgz);
      String integrity =
          "sha512-"
              + Base64.getEncoder()
                  .encodeToString(MessageDigest.getInstance("SHA-512").digest(tgz));
      String shasum = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(tgz));
      String version =
          "{\"name\":\""
              + name
              + "\",\"version\":\"1.0.0\",\"main\":\"index.js\",\"dist\":{\"tarball\":\""
              + "http://127.0.0.1:"
              + port()
              + tarballPath
              + "\",\"integrity\":\""
              + integrity
              + "\",\"shasum\":\""
              + shasum
              + "\"}}";
      files.put(
          "/" + name,
          ("{\"name\":\""
                  + name
                  + "\",\"dist-tags\":{\"latest\":\"1.0.0\"},\"versions\":{\"1.0.0\":"
                  + version
                  + "}}")
              .getBytes(StandardCharsets.UTF_8));
    }

    private void serve(HttpExchange exchange) throws IOException {
      String raw = exchange.getRequestURI().getRawPath();
      requests.add(raw + " " + exchange.getRequestHeaders().getFirst("Authorization"));
      byte[] body = files.get(URLDecoder.decode(raw, StandardCharsets.UTF_8));
      if (body == null) {
        exchange.sendResponseHeaders(404, -1);
      } else {
        exchange
            .getResponseHeaders()
            .set(
                "Content-Type",
                raw.endsWith(".tgz") ? "application/octet-stream" : "application/json");
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
      }
      exchange.close();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }
}
