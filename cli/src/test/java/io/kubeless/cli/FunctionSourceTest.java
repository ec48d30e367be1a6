package io.kubeless.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FunctionSourceTest {

  static final byte[] BINARY = {(byte) 0xff, (byte) 0xfe, 0x00};

  @Test
  void contentTypesFollowKubeless() {
    byte[] text = "x = 1".getBytes(StandardCharsets.UTF_8);
    assertThat(FunctionSource.contentType("hello.py", text)).isEqualTo("text");
    assertThat(FunctionSource.contentType("hello.bin", BINARY)).isEqualTo("base64");
    assertThat(FunctionSource.contentType("code.zip", BINARY)).isEqualTo("base64+zip");
    for (String tar :
        new String[] {"a.tar.gz", "a.tgz", "a.taz", "a.tar.bz2", "a.tbz", "a.tbz2", "a.tar.xz"}) {
      assertThat(FunctionSource.contentType(tar, BINARY)).as(tar).isEqualTo("base64+compressedtar");
    }
    assertThat(FunctionSource.contentType("https://example.com/f.py", null)).isEqualTo("url");
    assertThat(FunctionSource.contentType("http://example.com/f.zip", null)).isEqualTo("url+zip");
  }

  @Test
  void urlSourceKeepsTheUrlAndChecksumsTheDownloadedBytes() throws Exception {
    byte[] code = "def handler(event, context):\n    return 1\n".getBytes(StandardCharsets.UTF_8);
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/hello.py",
        exchange -> {
          exchange.sendResponseHeaders(200, code.length);
          exchange.getResponseBody().write(code);
          exchange.close();
        });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/hello.py";

      FunctionSource source = FunctionSource.read(url);

      assertThat(source.content()).isEqualTo(url);
      assertThat(source.contentType()).isEqualTo("url");
      assertThat(source.checksum()).isEqualTo(FunctionSource.checksum(code));
    } finally {
      server.stop(0);
    }
  }

  @Test
  void binaryContentIsBase64AndTheChecksumCoversTheBytes() {
    FunctionSource source = FunctionSource.of("f.bin", BINARY);

    assertThat(source.content()).isEqualTo("//4A");
    assertThat(source.checksum())
        .startsWith("sha256:")
        .isEqualTo(FunctionSource.checksum(BINARY))
        .hasSize("sha256:".length() + 64);
  }
}
