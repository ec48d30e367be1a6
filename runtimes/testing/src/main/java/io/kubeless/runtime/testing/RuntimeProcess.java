package io.kubeless.runtime.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A runtime started as a real process through its {@code run} launcher, exactly as the function pod
 * and local mode start it, on a free port, with its output captured in a log file.
 */
public final class RuntimeProcess implements AutoCloseable {

  private static final HttpClient CLIENT =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private final Process process;
  private final int port;
  private final Path log;

  private RuntimeProcess(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  /**
   * Starts {@code <runtimeDir>/run} serving {@code module.handler} from {@code volume} and waits
   * until it answers HTTP.
   */
  public static RuntimeProcess start(
      Path runtimeDir, Path volume, String module, String handler, Map<String, String> env) {
    int port = freePort();
    Path log = volume.resolveSibling(volume.getFileName() + "-" + module + "-" + port + ".log");
    Map<String, String> all = new LinkedHashMap<>();
    all.put("KUBELESS_INSTALL_VOLUME", volume.toString());
    all.put("MOD_NAME", module);
    all.put("FUNC_HANDLER", handler);
    all.put("FUNC_PORT", Integer.toString(port));
    all.put("FUNC_TIMEOUT", "180");
    all.put("FUNC_MEMORY_LIMIT", "0");
    all.putAll(env);
    ProcessBuilder builder =
        new ProcessBuilder(runtimeDir.resolve("run").toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().putAll(all);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    RuntimeProcess runtime = new RuntimeProcess(process, port, log);
    try {
      await("runtime answering on port " + port)
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(50))
          .ignoreException(ConnectException.class)
          .until(
              () -> {
                if (!process.isAlive()) {
                  throw new IllegalStateException("runtime exited: " + runtime.log());
                }
                return runtime.get("/healthz").statusCode() > 0;
              });
    } catch (RuntimeException e) {
      runtime.close();
      throw e;
    }
    return runtime;
  }

  /**
   * Runs {@code <runtimeDir>/install} against {@code volume} as the "install" init container does
   * and returns its exit code; its output goes to {@code <volume>/../install.log}.
   */
  public static int install(
      Path runtimeDir, Path volume, String depsFile, Map<String, String> env) {
    ProcessBuilder builder =
        new ProcessBuilder(runtimeDir.resolve("install").toString())
            .directory(volume.toFile())
            .redirectErrorStream(true)
            .redirectOutput(volume.resolveSibling("install.log").toFile());
    builder.environment().put("KUBELESS_INSTALL_VOLUME", volume.toString());
    builder.environment().put("KUBELESS_DEPS_FILE", volume.resolve(depsFile).toString());
    builder.environment().putAll(env);
    try {
      Process process = builder.start();
      if (!process.waitFor(5, TimeUnit.MINUTES)) {
        process.destroyForcibly();
        return -1;
      }
      return process.exitValue();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The runtime's base URL plus {@code path}. */
  public URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  /** GET {@code path}. */
  public HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(uri(path)).GET().build());
  }

  /** POST {@code body} to {@code path} with the given headers (name, value, name, value...). */
  public HttpResponse<String> post(String path, String body, String... headers)
      throws IOException, InterruptedException {
    return send(postRequest(path, body, headers));
  }

  /** POST without waiting for the answer. */
  public CompletableFuture<HttpResponse<String>> postAsync(
      String path, String body, String... headers) {
    return CLIENT.sendAsync(postRequest(path, body, headers), HttpResponse.BodyHandlers.ofString());
  }

  /** Sends any request. */
  public HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
    return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest postRequest(String path, String body, String... headers) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri(path))
            .timeout(Duration.ofSeconds(60))
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return request.build();
  }

  /** The process id of the runtime (the launcher execs the server, so this is the server). */
  public long pid() {
    return process.pid();
  }

  /** Whether the runtime process is still running. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** Everything the runtime printed so far. */
  public String log() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  @Override
  public void close() {
    // Children first: a worker process must not outlive its server, even if the server is stuck.
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
