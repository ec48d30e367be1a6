package io.kubeless.local;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kubeless local}: the platform on one machine, without Kubernetes. */
@Command(
    name = "local",
    description = "Run functions and triggers from YAML on this machine, without Kubernetes",
    mixinStandardHelpOptions = true,
    subcommands = LocalCommand.Up.class)
public class LocalCommand implements Callable<Integer> {

  @Override
  public Integer call() {
    System.err.println("usage: kubeless local up [DIR|FILE...]");
    return 2;
  }

  /** Runs {@code kubeless local} on its own, until the CLI jar is there. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new LocalCommand()).execute(args));
  }

  /** {@code kubeless local up [DIR|FILE...]}. */
  @Command(
      name = "up",
      mixinStandardHelpOptions = true,
      description = {
        "Run the Functions of the files as local processes, their KafkaTriggers against an"
            + " embedded Kafka broker (or --kafka-bootstrap) and their NATSTriggers against a"
            + " nats-server it starts (or --nats-url), until Ctrl-C.",
        "Files are read as kubectl apply -f reads them: directories, multi-document YAML, JSON.",
        "What `kubeless function deploy` and `kubeless trigger ... create` applied is kept in"
            + " <state-dir>/applied/ and runs again at the next start."
      })
  public static class Up implements Callable<Integer> {

    @Parameters(paramLabel = "DIR|FILE", description = "manifests (default: examples/)")
    List<Path> paths = new ArrayList<>();

    @Option(
        names = "--kafka-bootstrap",
        paramLabel = "HOST:PORT",
        description =
            "use these Kafka brokers instead of the embedded one (also: env KAFKA_BROKERS)")
    String kafkaBootstrap;

    @Option(
        names = "--kafka-port",
        description = "port of the embedded broker (default: 9092 when free, else any free port)")
    int kafkaPort;

    @Option(
        names = "--nats-url",
        paramLabel = "URL",
        description =
            "use this NATS server (nats://host:4222) instead of starting nats-server (also: env"
                + " NATS_URL)")
    String natsUrl;

    @Option(
        names = "--nats-port",
        description =
            "port of the nats-server local mode starts (default: 4222 when free, else any free"
                + " port)")
    int natsPort;

    @Option(
        names = "--http-port",
        description =
            "port of the HTTP gateway serving the HTTPTriggers on 127.0.0.1 (default: 8090 when"
                + " free, else any free port; 0: any free port)")
    Integer httpPort;

    @Option(
        names = "--state-dir",
        description = "where local mode keeps its state (default: .kubeless)")
    Path stateDir = Path.of(".kubeless");

    @Option(
        names = "--runtimes",
        description =
            "the runtimes folder holding <language>/run (default: env KUBELESS_RUNTIMES, else"
                + " runtimes/ here or next to the kubeless jar)")
    Path runtimes;

    @Override
    public Integer call() throws Exception {
      PrintStream out = System.out;
      List<Path> sources = paths.isEmpty() ? List.of(Path.of("examples")) : paths;
      Path runtimesDir = runtimes != null ? runtimes : findRuntimes();
      if (runtimesDir == null) {
        System.err.println(
            "error: no runtimes/ folder found; give --runtimes or set KUBELESS_RUNTIMES");
        return 1;
      }
      Manifests manifests;
      try {
        manifests = Manifests.load(sources);
      } catch (java.io.IOException e) {
        System.err.println("error: " + e.getMessage());
        return 1;
      }
      if (manifests.functions().isEmpty()
          && manifests.kafkaTriggers().isEmpty()
          && manifests.natsTriggers().isEmpty()
          && manifests.kinesisTriggers().isEmpty()
          && manifests.httpTriggers().isEmpty()
          && manifests.cronJobTriggers().isEmpty()) {
        // the resources applied earlier (kubeless function deploy) may still run
        out.println(
            "note: no Function, KafkaTrigger or NATSTrigger in "
                + sources
                + "; add files there, or deploy with `kubeless function deploy`");
      }
      CountDownLatch stopped = new CountDownLatch(1);
      LocalPlatform platform;
      try {
        platform =
            LocalPlatform.start(
                manifests,
                new LocalPlatform.Options(
                    stateDir,
                    runtimesDir,
                    kafkaBootstrap,
                    kafkaPort,
                    natsUrl,
                    natsPort,
                    out,
                    httpPort == null ? -1 : httpPort));
      } catch (IllegalStateException e) {
        System.err.println("error: " + e.getMessage());
        return 1;
      } catch (Exception e) {
        System.err.println("error: " + e);
        return 1;
      }
      try {
        platform.watch(sources);
        out.println("  watching " + sources + " for changes");
      } catch (java.io.IOException e) {
        out.println("[watch] not watching " + sources + ": " + e.getMessage());
      }
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    out.println("stopping…");
                    platform.close();
                    out.println("stopped");
                    stopped.countDown();
                  },
                  "kubeless-local-stop"));
      stopped.await();
      return 0;
    }

    private static Path findRuntimes() {
      String env = System.getenv("KUBELESS_RUNTIMES");
      if (env != null && !env.isBlank()) {
        return Path.of(env);
      }
      List<Path> starts = new ArrayList<>();
      starts.add(Path.of("").toAbsolutePath());
      try {
        starts.add(
            Path.of(LocalCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .toAbsolutePath());
      } catch (Exception e) {
        // no code source
      }
      for (Path start : starts) {
        for (Path dir = start; dir != null; dir = dir.getParent()) {
          if (Files.isExecutable(dir.resolve("runtimes/python/run"))) {
            return dir.resolve("runtimes");
          }
        }
      }
      return null;
    }
  }
}
