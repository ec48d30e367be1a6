package io.kubeless.function.dependent;

import static io.kubeless.function.dependent.TestingPlans.plan;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.kubeless.function.spec.FunctionPlan;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs the {@code prepare} init container's script with a real shell, the ConfigMap's files in a
 * source directory and an empty install directory, as the pod does.
 */
class PrepareScriptTest {

  private static final String CODE = "def handler(event, context):\n    return 'hello'\n";

  @TempDir Path src;
  @TempDir Path install;
  @TempDir Path work;
  private HttpServer server;
  private volatile byte[] served = new byte[0];

  @BeforeEach
  void serveCode() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        exchange -> {
          exchange.sendResponseHeaders(200, served.length);
          exchange.getResponseBody().write(served);
          exchange.close();
        });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  @Test
  void copiesTextCodeAndDependencies() throws Exception {
    FunctionPlan plan = plan(s -> s.setDeps("requests==2.31.0\n"));

    assertThat(run(plan).exitCode).isZero();
    assertThat(install.resolve("hello.py")).hasContent(CODE);
    assertThat(install.resolve("requirements.txt")).hasContent("requests==2.31.0\n");
  }

  @Test
  void decodesBase64AndChecksTheChecksum() throws Exception {
    FunctionPlan plan =
        plan(
            s -> {
              s.setFunctionContentType("base64");
              s.setFunction(base64(CODE.getBytes(StandardCharsets.UTF_8)));
              s.setChecksum("sha256:" + sha256(CODE.getBytes(StandardCharsets.UTF_8)));
            });

    assertThat(run(plan).exitCode).isZero();
    assertThat(install.resolve("hello.py")).hasContent(CODE);
  }

  @Test
  void downloadsFromAUrlAndRefusesContentThatDoesNotMatchItsChecksum() throws Exception {
    served = CODE.getBytes(StandardCharsets.UTF_8);
    String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/hello.py";
    FunctionPlan good =
        plan(
            s -> {
              s.setFunctionContentType("url");
              s.setFunction(url);
              s.setChecksum("sha256:" + sha256(served));
            });
    FunctionPlan tampered =
        plan(
            s -> {
              s.setFunctionContentType("url");
              s.setFunction(url);
              s.setChecksum("sha256:" + "a".repeat(64));
            });

    assertThat(run(good).exitCode).isZero();
    assertThat(install.resolve("hello.py")).hasContent(CODE);
    Files.delete(install.resolve("hello.py"));
    Result failed = run(tampered);
    assertThat(failed.exitCode).isNotZero();
    assertThat(failed.output).contains("FAILED");
    assertThat(install.resolve("hello.py")).doesNotExist();
  }

  @Test
  void codeFromHttpsIsNeverFetchedOverHttpAfterARedirect() throws Exception {
    served = CODE.getBytes(StandardCharsets.UTF_8);
    String plainUrl = "http://127.0.0.1:" + server.getAddress().getPort() + "/hello.py";
    Path ca = work.resolve("ca.pem");
    HttpsServer tls = httpsServer(ca);
    tls.createContext(
        "/direct.py",
        exchange -> {
          exchange.sendResponseHeaders(200, served.length);
          exchange.getResponseBody().write(served);
          exchange.close();
        });
    tls.createContext(
        "/moved.py",
        exchange -> {
          exchange.getResponseHeaders().add("Location", plainUrl);
          exchange.sendResponseHeaders(302, -1);
          exchange.close();
        });
    tls.start();
    try {
      String base = "https://127.0.0.1:" + tls.getAddress().getPort();
      Map<String, String> trust = Map.of("CURL_CA_BUNDLE", ca.toString());

      // the same TLS set-up serves code that is fetched directly
      assertThat(runWith(urlPlan(base + "/direct.py"), trust).exitCode).isZero();
      assertThat(install.resolve("hello.py")).hasContent(CODE);
      Files.delete(install.resolve("hello.py"));

      Result downgraded = runWith(urlPlan(base + "/moved.py"), trust);
      assertThat(downgraded.exitCode).isNotZero();
      assertThat(downgraded.output).contains("a redirect from https to http is refused");
      assertThat(install.resolve("hello.py")).doesNotExist();
    } finally {
      tls.stop(0);
    }
  }

  private Result runWith(FunctionPlan plan, Map<String, String> env) throws Exception {
    return runWith(plan, ConfigMapDependent.data(plan), env);
  }

  private static FunctionPlan urlPlan(String url) {
    return plan(
        s -> {
          s.setFunctionContentType("url");
          s.setFunction(url);
        });
  }

  /** An https server on 127.0.0.1 with a fresh self-signed certificate, written to {@code ca}. */
  private HttpsServer httpsServer(Path ca) throws Exception {
    Path key = work.resolve("key.pem");
    Path keyStore = work.resolve("server.p12");
    exec(
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        key.toString(),
        "-out",
        ca.toString());
    exec(
        "openssl",
        "pkcs12",
        "-export",
        "-in",
        ca.toString(),
        "-inkey",
        key.toString(),
        "-out",
        keyStore.toString(),
        "-passout",
        "pass:changeit");
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (var in = Files.newInputStream(keyStore)) {
      store.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(store, "changeit".toCharArray());
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys.getKeyManagers(), null, null);
    HttpsServer tls = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    tls.setHttpsConfigurator(new HttpsConfigurator(context));
    return tls;
  }

  private static void exec(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
  }

  @Test
  void unpacksAZipCarryingItsOwnDependencies() throws Exception {
    byte[] zip =
        zip(
            Map.of(
                "hello.py", CODE, "requirements.txt", "from-archive\n", "lib/util.py", "X = 1\n"));
    FunctionPlan plan =
        plan(
            s -> {
              s.setFunctionContentType("base64+zip+deps");
              s.setFunction(base64(zip));
              s.setDeps("from-configmap\n");
            });

    assertThat(run(plan).exitCode).isZero();
    assertThat(install.resolve("hello.py")).hasContent(CODE);
    assertThat(install.resolve("lib/util.py")).hasContent("X = 1\n");
    assertThat(install.resolve("requirements.txt")).hasContent("from-archive\n");
    assertThat(plan.installsDeps()).isTrue();
  }

  @Test
  void unpacksACompressedTarFromAUrl() throws Exception {
    Path tree = Files.createDirectories(work.resolve("tree"));
    Files.writeString(tree.resolve("hello.py"), CODE);
    Path tar = work.resolve("fn.tar.gz");
    Process p =
        new ProcessBuilder("tar", "czf", tar.toString(), "-C", tree.toString(), "hello.py").start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    served = Files.readAllBytes(tar);
    FunctionPlan plan =
        plan(
            s -> {
              s.setFunctionContentType("url+compressedtar");
              s.setFunction("http://127.0.0.1:" + server.getAddress().getPort() + "/fn.tar.gz");
            });

    assertThat(run(plan).exitCode).isZero();
    assertThat(install.resolve("hello.py")).hasContent(CODE);
  }

  @ParameterizedTest(name = "tar {0}")
  @ValueSource(strings = {"z", "j", "J"})
  void unpacksGzipBzip2AndXzTarsAsKubelessDid(String compression) throws Exception {
    Path tree = Files.createDirectories(work.resolve("tree-" + compression));
    Files.writeString(tree.resolve("hello.py"), CODE);
    Path tar = work.resolve("fn-" + compression + ".tar");
    Process p =
        new ProcessBuilder(
                "tar", "c" + compression + "f", tar.toString(), "-C", tree.toString(), "hello.py")
            .start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    String code = base64(Files.readAllBytes(tar));
    FunctionPlan plan =
        plan(
            s -> {
              s.setFunctionContentType("base64+compressedtar");
              s.setFunction(code);
            });

    assertThat(run(plan).exitCode).isZero();
    assertThat(install.resolve("hello.py")).hasContent(CODE);
  }

  @Test
  void waitsForTheCurrentConfigMapRatherThanRunningStaleCode() throws Exception {
    FunctionPlan plan = plan(s -> {});
    Result result = run(plan, Map.of("hello.py", "def handler(e, c):\n    return 'old'\n"));

    assertThat(result.exitCode).isNotZero();
    assertThat(install.resolve("hello.py")).doesNotExist();
  }

  private Result run(FunctionPlan plan) throws Exception {
    return runWith(plan, ConfigMapDependent.data(plan), Map.of());
  }

  private Result run(FunctionPlan plan, Map<String, String> files) throws Exception {
    return runWith(plan, files, Map.of());
  }

  /** Writes the ConfigMap's files into the source directory and runs the script. */
  private Result runWith(FunctionPlan plan, Map<String, String> files, Map<String, String> env)
      throws Exception {
    for (var file : files.entrySet()) {
      Files.writeString(src.resolve(file.getKey()), file.getValue());
    }
    Map<String, String> data = ConfigMapDependent.data(plan);
    String script =
        PrepareScript.build(
            plan,
            DeploymentDependent.sha256(data.get(plan.codeKey())),
            DeploymentDependent.sha256(plan.deps()),
            src.toString(),
            install.toString());
    ProcessBuilder builder = new ProcessBuilder("sh", "-c", script).redirectErrorStream(true);
    builder.environment().put("TMPDIR", work.toString());
    builder.environment().putAll(env);
    if (PrepareScript.downloads(plan.contentType())) {
      builder.environment().put(PrepareScript.URL_ENV, plan.code());
    }
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(process.exitValue(), output);
  }

  private record Result(int exitCode, String output) {}

  private static byte[] zip(Map<String, String> files) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      for (var file : files.entrySet()) {
        zip.putNextEntry(new ZipEntry(file.getKey()));
        zip.write(file.getValue().getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  private static String base64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
