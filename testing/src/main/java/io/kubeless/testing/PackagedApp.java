package io.kubeless.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A packaged Quarkus application ({@code target/quarkus-app/quarkus-run.jar}) running as its own OS
 * process in the prod profile, as in its container: what a crash, a second replica or a leader
 * election is tested with. Its output goes to {@code target/<identity>.log}.
 */
public final class PackagedApp implements AutoCloseable {

  private static final Duration STARTUP = Duration.ofSeconds(90);
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final Process process;
  private final int port;

  private PackagedApp(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Prepares to run the jar named by the system property (set by the module's failsafe). */
  public static Builder of(String jarProperty) {
    return new Builder(
        Path.of(System.getProperty(jarProperty, "target/quarkus-app/quarkus-run.jar")));
  }

  public int port() {
    return port;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** SIGKILL, as the OOM killer or a node loss: nothing runs after it. */
  public void kill() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  /** SIGTERM, as a rolling update: the application shuts down gracefully. */
  public boolean terminate(Duration timeout) throws InterruptedException {
    process.destroy();
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The body of {@code GET <path>} on the application's HTTP port. */
  public String get(String path) throws IOException, InterruptedException {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }

  /** How to start one replica. */
  public static final class Builder {
    private final Path jar;
    private final Map<String, String> properties = new LinkedHashMap<>();
    private final Map<String, String> environment = new LinkedHashMap<>();
    private final List<String> jvmOptions = new ArrayList<>(List.of("-Xmx256m"));

    private Builder(Path jar) {
      this.jar = jar;
    }

    /** Points the application at an API server, with {@code namespace} as its own namespace. */
    public Builder apiServer(MockApiServer api, String namespace) {
      properties.put("quarkus.kubernetes-client.api-server-url", api.url());
      properties.put("quarkus.kubernetes-client.namespace", namespace);
      return this;
    }

    /**
     * Points the application at a real API server as a ServiceAccount of namespace {@code kubeless}
     * (installed by {@link KubeCluster#install}), authenticated by a token from the TokenRequest
     * API, as its pod would be: it can do exactly what the manifests' RBAC grants.
     */
    public Builder cluster(KubeCluster cluster, String serviceAccount) {
      properties.put("quarkus.kubernetes-client.api-server-url", cluster.url());
      properties.put("quarkus.kubernetes-client.token", cluster.token("kubeless", serviceAccount));
      properties.put("quarkus.kubernetes-client.ca-cert-file", cluster.caCertificate().toString());
      properties.put("quarkus.kubernetes-client.namespace", "kubeless");
      environment.put("KUBELESS_NAMESPACE", "kubeless");
      environment.put("KUBECONFIG", "/nonexistent");
      return this;
    }

    /** A configuration property, passed as {@code -Dkey=value}. */
    public Builder property(String key, String value) {
      properties.put(key, value);
      return this;
    }

    /** An environment variable. */
    public Builder env(String key, String value) {
      environment.put(key, value);
      return this;
    }

    /**
     * Starts the application as {@code identity} (its HOSTNAME, as a pod's name) and waits until
     * {@code /q/health/live} answers.
     */
    public PackagedApp start(String identity) {
      int port;
      try (ServerSocket socket = new ServerSocket(0)) {
        port = socket.getLocalPort();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(jvmOptions);
      command.add("-Dquarkus.http.port=" + port);
      properties.forEach((k, v) -> command.add("-D" + k + "=" + v));
      command.add("-jar");
      command.add(jar.toString());
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(Path.of("target", identity + ".log").toFile());
      builder.environment().putAll(environment);
      builder.environment().put("HOSTNAME", identity);
      Process process;
      try {
        process = builder.start();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      PackagedApp app = new PackagedApp(process, port);
      try {
        await()
            .atMost(STARTUP)
            .ignoreExceptions()
            .until(
                () ->
                    HTTP.send(
                                HttpRequest.newBuilder(
                                        URI.create("http://localhost:" + port + "/q/health/live"))
                                    .build(),
                                HttpResponse.BodyHandlers.discarding())
                            .statusCode()
                        == 200);
      } catch (RuntimeException e) {
        app.close();
        throw new AssertionError(identity + " did not start; see target/" + identity + ".log", e);
      }
      return app;
    }
  }
}
