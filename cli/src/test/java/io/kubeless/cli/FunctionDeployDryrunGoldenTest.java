package io.kubeless.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code function deploy --dryrun -o yaml} for each kind of source and the flags that shape the
 * Function, byte for byte, with no API call: {@code
 * src/test/resources/golden/function-deploy-<case>-dryrun.yaml} (regenerate with {@code
 * -Dgolden.update=true}). Every source file has fixed contents, and archives are written
 * uncompressed with fixed timestamps, so the checksums are the same on every machine. The URL
 * source is served by a JDK HttpServer on a random port, printed as {@code PORT} in the golden
 * file.
 */
class FunctionDeployDryrunGoldenTest {

  private static final String HELLO_PY = "def handler(event, context):\n    return 'hello'\n";
  private static final String HELLO_JS =
      "module.exports = { hello: (event, context) => 'hello' };\n";

  @TempDir static Path dir;

  private static HttpServer server;

  @BeforeAll
  static void serveTheUrlSource() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/functions/hello.py",
        exchange -> {
          byte[] body = HELLO_PY.getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
  }

  @AfterAll
  static void stopServer() {
    server.stop(0);
  }

  private static String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/functions/hello.py";
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("zip", List.of("-r", "python3.12", "--handler", "hello.handler", "-f", "ZIP")),
        Arguments.of(
            "tarball", List.of("-r", "nodejs20", "--handler", "hello.hello", "-f", "TARBALL")),
        Arguments.of(
            "directory", List.of("-r", "python3.12", "--handler", "hello.handler", "-f", "DIR")),
        Arguments.of("url", List.of("-r", "python3.12", "--handler", "hello.handler", "-f", "URL")),
        Arguments.of(
            "flags",
            List.of(
                "-r",
                "python3.12",
                "--handler",
                "hello.handler",
                "-f",
                "PY",
                "--dependencies",
                "DEPS",
                "--env",
                "GREETING=hi",
                "-e",
                "LEVEL:debug",
                "--label",
                "team=demo",
                "-l",
                "tier:backend",
                "--secrets",
                "db-credentials",
                "--secrets",
                "api-token",
                "--memory",
                "256Mi",
                "--cpu",
                "500m",
                "--timeout",
                "60",
                "--port",
                "9090",
                "--servicePort",
                "80",
                "--image-pull-policy",
                "IfNotPresent")),
        Arguments.of(
            "schedule",
            List.of(
                "-r",
                "python3.12",
                "--handler",
                "hello.handler",
                "-f",
                "PY",
                "--schedule",
                "*/5 * * * *")));
  }

  @ParameterizedTest(name = "function deploy --dryrun: {0}")
  @MethodSource("cases")
  void dryrunYamlMatchesTheGoldenFile(String name, List<String> flags) throws IOException {
    Map<String, String> files = sources();
    List<String> args =
        new ArrayList<>(List.of("function", "deploy", "hello", "-n", "default", "--dryrun"));
    flags.forEach(f -> args.add(files.getOrDefault(f, f)));

    CliRun run = CliRun.offline(args.toArray(String[]::new));

    assertThat(run.code()).as(run.err()).isZero();
    String out = run.out().replace(url(), "http://127.0.0.1:PORT/functions/hello.py");
    GoldenFiles.assertMatches("function-deploy-" + name + "-dryrun.yaml", out);
  }

  /**
   * The placeholders of {@link #cases} and the sources they stand for, written into {@link #dir}.
   */
  private static Map<String, String> sources() throws IOException {
    Map<String, String> files = new LinkedHashMap<>();
    files.put("PY", write("hello.py", HELLO_PY.getBytes(StandardCharsets.UTF_8)));
    files.put("DEPS", write("requirements.txt", "requests==2.32.3\nPyYAML==6.0.2\n".getBytes()));
    files.put(
        "ZIP",
        write(
            "hello.zip",
            storedZip(Map.of("hello.py", HELLO_PY, "requirements.txt", "requests==2.32.3\n"))));
    files.put("TARBALL", write("hello.tar.gz", tarGz("hello.js", HELLO_JS)));
    Path tree = dir.resolve("hello");
    Files.createDirectories(tree.resolve("lib"));
    Files.writeString(tree.resolve("hello.py"), HELLO_PY);
    Files.writeString(tree.resolve("lib/greeting.py"), "GREETING = 'hello'\n");
    files.put("DIR", tree.toString());
    files.put("URL", url());
    return files;
  }

  private static String write(String name, byte[] bytes) throws IOException {
    Path file = dir.resolve(name);
    Files.write(file, bytes);
    return file.toString();
  }

  /** A zip of stored (uncompressed) entries in name order with a fixed timestamp. */
  private static byte[] storedZip(Map<String, String> entries) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      for (String name : entries.keySet().stream().sorted().toList()) {
        byte[] content = entries.get(name).getBytes(StandardCharsets.UTF_8);
        ZipEntry entry = new ZipEntry(name);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(content.length);
        CRC32 crc = new CRC32();
        crc.update(content);
        entry.setCrc(crc.getValue());
        entry.setTimeLocal(java.time.LocalDateTime.of(1980, 2, 1, 0, 0));
        zip.putNextEntry(entry);
        zip.write(content);
        zip.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  /** A ustar archive of one file, gzipped without compression (stored deflate blocks). */
  private static byte[] tarGz(String name, String content) throws IOException {
    byte[] data = content.getBytes(StandardCharsets.UTF_8);
    byte[] header = new byte[512];
    put(header, 0, name);
    put(header, 100, "0000644");
    put(header, 108, "0000000");
    put(header, 116, "0000000");
    put(header, 124, "%011o".formatted(data.length));
    put(header, 136, "%011o".formatted(0));
    java.util.Arrays.fill(header, 148, 156, (byte) ' ');
    header[156] = '0';
    put(header, 257, "ustar");
    put(header, 263, "00");
    int sum = 0;
    for (byte b : header) {
      sum += b & 0xff;
    }
    put(header, 148, "%06o".formatted(sum));
    header[155] = ' ';
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    tar.write(header);
    tar.write(data);
    tar.write(new byte[(512 - data.length % 512) % 512]);
    tar.write(new byte[1024]);
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out =
        new GZIPOutputStream(gz) {
          {
            def.setLevel(Deflater.NO_COMPRESSION);
          }
        }) {
      out.write(tar.toByteArray());
    }
    return gz.toByteArray();
  }

  private static void put(byte[] header, int offset, String value) {
    byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(bytes, 0, header, offset, bytes.length);
  }
}
