package io.kubeless.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Kinesis emulator: the npm package {@code kinesis-local} (kinesis-mock built for Node),
 * pinned with its lock file in {@code testing/kinesis-local/}, started by a test on free ports. The
 * first use runs {@code npm ci} there when its {@code node_modules} is missing, so a fresh clone
 * needs only Node.js and npm. Talk to it over plain HTTP at {@link #endpoint()}, with any
 * credentials; streams are created in the signing region (e.g. {@code us-east-1}).
 */
public final class KinesisLocal implements AutoCloseable {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final Process process;
  private final Path log;
  private final int port;
  private final int tlsPort;

  private KinesisLocal(Process process, Path log, int port, int tlsPort) {
    this.process = process;
    this.log = log;
    this.port = port;
    this.tlsPort = tlsPort;
  }

  /** The folder holding the pinned package.json and package-lock.json. */
  public static Path directory() {
    return Repository.root().resolve("testing/kinesis-local");
  }

  /** Installs the package when needed and starts the emulator; returns once its port answers. */
  public static KinesisLocal start() {
    Path dir = directory();
    Path main = install(dir);
    try {
      int plain = freePort();
      int tls = freePort();
      while (tls == plain) {
        tls = freePort();
      }
      Path log = Files.createTempFile("kinesis-local-", ".log");
      ProcessBuilder builder =
          new ProcessBuilder("node", main.toString())
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      var env = builder.environment();
      env.put("KINESIS_MOCK_PLAIN_PORT", String.valueOf(plain));
      env.put("KINESIS_MOCK_TLS_PORT", String.valueOf(tls));
      env.put("KINESIS_MOCK_CERT_PATH", main.resolveSibling("server.json").toString());
      env.put("AWS_REGION", "us-east-1");
      env.put("LOG_LEVEL", "WARN");
      env.put("SHOULD_PERSIST_DATA", "false");
      KinesisLocal emulator = new KinesisLocal(builder.start(), log, plain, tls);
      try {
        emulator.awaitAnswering();
      } catch (RuntimeException | Error e) {
        emulator.close();
        throw e;
      }
      return emulator;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start kinesis-local (is node on the PATH?)", e);
    }
  }

  /**
   * {@code node_modules/kinesis-local/main.js}, after {@code npm ci --no-audit --no-fund} when it
   * is missing (under a file lock, as test JVMs may start together).
   */
  private static Path install(Path dir) {
    Path main = dir.resolve("node_modules/kinesis-local/main.js");
    if (Files.isRegularFile(main)) {
      return main;
    }
    Path lockFile = Path.of(System.getProperty("java.io.tmpdir"), "kubeless-kinesis-local.lock");
    try (FileChannel channel =
            FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock ignored = channel.lock()) {
      if (Files.isRegularFile(main)) {
        return main;
      }
      Path log = Files.createTempFile("kinesis-local-npm-", ".log");
      Process npm =
          new ProcessBuilder(List.of("npm", "ci", "--no-audit", "--no-fund"))
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
      if (!npm.waitFor(5, TimeUnit.MINUTES)) {
        destroyTree(npm);
        throw new IllegalStateException("npm ci in " + dir + " took over 5 minutes");
      }
      if (npm.exitValue() != 0 || !Files.isRegularFile(main)) {
        throw new IllegalStateException(
            "npm ci in %s failed (exit %d): %s"
                .formatted(dir, npm.exitValue(), Files.readString(log)));
      }
      return main;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run npm ci in " + dir + " (is npm on the PATH?)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running npm ci in " + dir, e);
    }
  }

  private void awaitAnswering() {
    await("kinesis-local answering on port " + port)
        .atMost(START_TIMEOUT)
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              if (!process.isAlive()) {
                throw new IllegalStateException(
                    "kinesis-local exited with "
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

  /** {@code http://127.0.0.1:<port>}: the plain-HTTP port. */
  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /**
   * {@code https://127.0.0.1:<port>}: the TLS port (a self-signed certificate), which speaks HTTP/2
   * as enhanced fan-out's SubscribeToShard needs.
   */
  public String tlsEndpoint() {
    return "https://127.0.0.1:" + tlsPort;
  }

  /** What the emulator printed so far. */
  public String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops the emulator and anything it started, and waits until they are gone. */
  @Override
  public void close() {
    destroyTree(process);
  }

  private static void destroyTree(Process process) {
    List<ProcessHandle> descendants = process.descendants().toList();
    process.destroy();
    descendants.forEach(ProcessHandle::destroy);
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      for (ProcessHandle child : descendants) {
        if (child.isAlive()) {
          child.destroyForcibly();
        }
        child.onExit().get(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("a kinesis-local process did not stop", e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
