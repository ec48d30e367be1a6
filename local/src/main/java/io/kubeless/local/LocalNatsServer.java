package io.kubeless.local;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A {@code nats-server} process local mode starts for its NATSTriggers: on 127.0.0.1, with
 * JetStream and its store in a directory of local mode's state (so streams and consumers survive a
 * restart), its output in the merged log as {@code [nats]} lines. {@link #close()} stops it and
 * waits until it is gone.
 */
final class LocalNatsServer implements AutoCloseable {

  /** NATS's port. */
  static final int DEFAULT_PORT = 4222;

  /** How to get the server when it is missing. */
  static final String INSTALL =
      "nats-server is not installed (neither on the PATH nor in /usr/sbin): apt-get install"
          + " nats-server, or brew install nats-server, or point --nats-url / NATS_URL at a NATS"
          + " server";

  private final Process process;
  private final int port;
  private final Path store;

  private LocalNatsServer(Process process, int port, Path store) {
    this.process = process;
    this.port = port;
    this.store = store;
  }

  /** The binary: {@code nats-server} on the PATH, else Debian's {@code /usr/sbin/nats-server}. */
  static Optional<Path> binary() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, "nats-server");
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    Path debian = Path.of("/usr/sbin/nats-server");
    return Files.isExecutable(debian) ? Optional.of(debian) : Optional.empty();
  }

  /**
   * Starts {@code binary} on {@code port} (0: 4222 when free, else any free port) with JetStream
   * stored under {@code store}; returns once it accepts clients.
   */
  static LocalNatsServer start(Path binary, Path store, int port, PrintStream out)
      throws IOException, InterruptedException {
    int p =
        port != 0
            ? port
            : LocalPlatform.free(DEFAULT_PORT) ? DEFAULT_PORT : EmbeddedKafka.freePort();
    Files.createDirectories(store);
    Process process =
        new ProcessBuilder(
                List.of(
                    binary.toString(),
                    "-a",
                    "127.0.0.1",
                    "-p",
                    String.valueOf(p),
                    "-js",
                    "-sd",
                    store.toAbsolutePath().toString(),
                    "-n",
                    "kubeless-local"))
            .redirectErrorStream(true)
            .start();
    LocalNatsServer server = new LocalNatsServer(process, p, store);
    CountDownLatch ready = new CountDownLatch(1);
    Thread.ofPlatform()
        .daemon()
        .name("nats-server-log")
        .start(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                  out.println("[nats] " + line);
                  if (line.contains("Server is ready")) {
                    ready.countDown();
                  }
                }
              } catch (IOException e) {
                // the process ended
              }
              ready.countDown();
            });
    if (!ready.await(30, TimeUnit.SECONDS) || !process.isAlive()) {
      server.close();
      throw new IOException(
          "nats-server did not start on 127.0.0.1:"
              + p
              + (process.isAlive() ? " within 30 s" : " (exit " + process.exitValue() + ")")
              + "; see its [nats] lines above");
    }
    return server;
  }

  /** {@code nats://127.0.0.1:<port>}. */
  String url() {
    return "nats://127.0.0.1:" + port;
  }

  Path store() {
    return store;
  }

  /** The server's process, for whoever checks that it is gone. */
  ProcessHandle process() {
    return process.toHandle();
  }

  /** Stops the server (SIGTERM: it flushes its store), killing it when it takes too long. */
  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
