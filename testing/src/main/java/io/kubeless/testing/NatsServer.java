package io.kubeless.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code nats-server} (Debian's package, or any on the PATH), started by a test on a free
 * port with JetStream and a store directory of its own, and a maximum payload of 8 MB (the
 * contract's largest payload is 5 MB; NATS's default limit is 1 MB); {@link #restart()} stops it
 * and starts it again on the same port and store, as a server restart in production.
 */
public final class NatsServer implements AutoCloseable {

  private final Path store;
  private final Path log;
  private final Path config;
  private final int port;
  private Process process;

  private NatsServer(Path store, int port) {
    this.store = store;
    this.log = store.resolveSibling(store.getFileName() + ".log");
    this.config = store.resolveSibling("nats-server.conf");
    this.port = port;
  }

  /** Starts a server with JetStream on a free port, its store under a fresh temporary directory. */
  public static NatsServer start() {
    try {
      Path dir = Files.createTempDirectory("nats-server-");
      NatsServer server = new NatsServer(dir.resolve("jetstream"), freePort());
      server.launch();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The {@code nats-server} binary: on the PATH, else Debian's {@code /usr/sbin/nats-server}. */
  public static String binary() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, "nats-server");
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    Path debian = Path.of("/usr/sbin/nats-server");
    if (Files.isExecutable(debian)) {
      return debian.toString();
    }
    throw new IllegalStateException(
        "nats-server is not installed: apt-get install -y nats-server (.ci/run does)");
  }

  /** {@code nats://127.0.0.1:<port>}. */
  public String url() {
    return "nats://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** Stops the server (SIGTERM) and waits until it is gone. */
  public void stop() {
    if (process != null && process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Stops the server and starts it again on the same port, with the same store. */
  public void restart() {
    stop();
    launch();
  }

  private void launch() {
    List<String> command = new ArrayList<>();
    command.add(binary());
    command.addAll(
        List.of(
            "-c",
            config.toString(),
            "-a",
            "127.0.0.1",
            "-p",
            String.valueOf(port),
            "-js",
            "-sd",
            store.toString()));
    try {
      Files.createDirectories(store);
      // the contract sends 5 MB payloads; NATS's default limit is 1 MB
      Files.writeString(config, "max_payload: 8388608\n");
      process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              if (!process.isAlive()) {
                throw new IllegalStateException(
                    "nats-server exited with "
                        + process.exitValue()
                        + ": "
                        + Files.readString(log));
              }
              return answers();
            });
  }

  private boolean answers() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() {
    stop();
  }
}
