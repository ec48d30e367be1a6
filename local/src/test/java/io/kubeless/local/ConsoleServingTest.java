package io.kubeless.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin API serves the web console: its page and hashed bundle with their content types and
 * cache headers, nothing outside the bundle, behind the API's loopback, Host and Origin guards; and
 * the endpoints the console adds (runtimes, test messages).
 */
class ConsoleServingTest {

  @TempDir Path dir;

  private final ByteArrayOutputStream log = new ByteArrayOutputStream();
  private LocalPlatform platform;

  @AfterEach
  void stop() {
    if (platform != null) {
      platform.close();
    }
    System.out.print(log.toString(StandardCharsets.UTF_8));
  }

  @Test
  void servesTheConsoleWithItsTypesAndCacheHeadersBehindTheSameGuards() throws Exception {
    platform =
        LocalPlatform.start(
            Manifests.load(List.of(dir)),
            new LocalPlatform.Options(
                dir.resolve(".kubeless"),
                Path.of("..", "runtimes"),
                null,
                0,
                new PrintStream(log, true, StandardCharsets.UTF_8)));
    URI admin = platform.adminUrl();
    HttpClient http = HttpClient.newHttpClient();

    HttpResponse<String> index =
        http.send(HttpRequest.newBuilder(admin).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(index.statusCode()).isEqualTo(200);
    assertThat(index.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
    assertThat(index.headers().firstValue("Cache-Control")).hasValue("no-cache");
    assertThat(index.headers().firstValue("Content-Security-Policy"))
        .hasValueSatisfying(csp -> assertThat(csp).contains("default-src 'self'"));
    assertThat(index.headers().firstValue("X-Frame-Options")).hasValue("DENY");
    var script =
        java.util.regex.Pattern.compile("src=\"(app-[A-Z0-9]{8}\\.js)\"").matcher(index.body());
    assertThat(script.find()).as(index.body()).isTrue();

    HttpResponse<byte[]> js =
        http.send(
            HttpRequest.newBuilder(admin.resolve(script.group(1))).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(js.statusCode()).isEqualTo(200);
    assertThat(js.headers().firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
    assertThat(js.headers().firstValue("Cache-Control"))
        .hasValue("public, max-age=31536000, immutable");
    assertThat(js.body().length).isGreaterThan(1000);

    for (String missing : List.of("/nope.js", "/..%2Fpom.xml", "/a/b.js", "/app.exe")) {
      assertThat(
              http.send(
                      HttpRequest.newBuilder(admin.resolve(missing)).build(),
                      HttpResponse.BodyHandlers.discarding())
                  .statusCode())
          .as(missing)
          .isEqualTo(404);
    }
    assertThat(
            http.send(
                    HttpRequest.newBuilder(admin)
                        .POST(HttpRequest.BodyPublishers.ofString("x"))
                        .build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode())
        .isEqualTo(405);
    // a page of another origin, or a name that is not loopback (DNS rebinding), gets nothing
    assertThat(
            http.send(
                    HttpRequest.newBuilder(admin).header("Origin", "http://evil.example").build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode())
        .isEqualTo(403);
    try (var socket = new java.net.Socket(admin.getHost(), admin.getPort())) {
      socket
          .getOutputStream()
          .write(
              "GET / HTTP/1.1\r\nHost: evil.example:%d\r\nConnection: close\r\n\r\n"
                  .formatted(admin.getPort())
                  .getBytes(StandardCharsets.US_ASCII));
      String status =
          new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1)
              .lines()
              .findFirst()
              .orElse("");
      assertThat(status).startsWith("HTTP/1.1 403");
    }

    HttpResponse<String> runtimes =
        http.send(
            HttpRequest.newBuilder(admin.resolve("/api/runtimes")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(runtimes.body()).contains("\"python3.12\"", "\"nodejs20\"", "\"python3.8\"");
    HttpResponse<String> noKafka =
        http.send(
            HttpRequest.newBuilder(admin.resolve("/api/publish/kafka/orders"))
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(noKafka.statusCode()).isEqualTo(409);
    assertThat(noKafka.body()).contains("runs no Kafka");
  }
}
