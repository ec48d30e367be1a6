package io.kubeless.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kubeless.local.LocalCommand;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code kubeless}: the root command. */
@Command(
    name = "kubeless",
    description = "Serverless framework for Kubernetes",
    mixinStandardHelpOptions = true,
    versionProvider = VersionCommand.Provider.class,
    subcommands = {
      FunctionCommand.class,
      TriggerCommand.class,
      TopicCommand.class,
      AutoscaleCommand.class,
      GetServerConfigCommand.class,
      VersionCommand.class,
      LocalCommand.class,
      CompletionCommand.class,
      CompleteCommand.class
    })
public final class Kubeless implements Callable<Integer> {

  @Spec CommandSpec spec;

  public static void main(String[] args) {
    quietLibraries();
    interruptible();
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    Holder holder = new Holder();
    int code = run(holder, out, err, args);
    if (holder.client != null) {
      holder.client.close();
    }
    System.exit(code);
  }

  /**
   * Ctrl-C (SIGINT) ends the command through the shutdown hooks, which stop what it started (local
   * mode's processes), even when the shell started it with SIGINT ignored (a background job of a
   * script), where the JVM would not install its own handler.
   */
  @SuppressWarnings("restriction")
  private static void interruptible() {
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("INT"), signal -> System.exit(130));
    } catch (IllegalArgumentException e) {
      // the platform has no SIGINT: nothing to do
    }
  }

  /** Strong references: java.util.logging forgets the level of a logger nobody holds. */
  private static final List<Logger> LIBRARY_LOGGERS =
      List.of(Logger.getLogger("org.apache.kafka"), Logger.getLogger("io.fabric8"));

  /**
   * Client libraries log onto java.util.logging (through SLF4J); a command prints only its own
   * output and its errors, which name the server it could not reach. Local mode sets its own levels
   * for its log lines.
   */
  private static void quietLibraries() {
    Logger.getLogger("").setLevel(Level.WARNING);
    LIBRARY_LOGGERS.forEach(l -> l.setLevel(Level.SEVERE));
  }

  /**
   * Runs one command line against {@code client} and returns its exit code: 0 on success, 1 when
   * the command failed, 2 on a usage error.
   */
  public static int run(KubernetesClient client, PrintWriter out, PrintWriter err, String... args) {
    return run(() -> client, out, err, args);
  }

  static int run(
      Supplier<KubernetesClient> client, PrintWriter out, PrintWriter err, String... args) {
    Cli cli = new Cli(client, out, err);
    CommandLine commandLine = commandLine(cli);
    int code = commandLine.execute(args);
    out.flush();
    err.flush();
    return code;
  }

  /** The command tree bound to {@code cli}; commands with a {@code (Cli)} constructor get it. */
  static CommandLine commandLine(Cli cli) {
    CommandLine.IFactory defaults = CommandLine.defaultFactory();
    CommandLine.IFactory factory =
        new CommandLine.IFactory() {
          @Override
          public <K> K create(Class<K> cls) throws Exception {
            try {
              return cls.getDeclaredConstructor(Cli.class).newInstance(cli);
            } catch (NoSuchMethodException e) {
              return defaults.create(cls);
            }
          }
        };
    CommandLine commandLine = new CommandLine(Kubeless.class, factory);
    // `function call -d @file` reads a payload file; picocli must not expand it into arguments.
    commandLine.setExpandAtFiles(false);
    commandLine.setOut(cli.out());
    commandLine.setErr(cli.err());
    commandLine.setParameterExceptionHandler(
        (e, args) -> {
          CommandLine cmd = e.getCommandLine();
          cmd.getErr().println("Error: " + e.getMessage());
          cmd.getErr().printf("Run '%s --help' for usage.%n", cmd.getCommandSpec().qualifiedName());
          return CommandLine.ExitCode.USAGE;
        });
    commandLine.setExecutionExceptionHandler(
        (e, cmd, parseResult) -> {
          cmd.getErr().println("Error: " + describe(e, cli));
          return 1;
        });
    return commandLine;
  }

  /** A one-line message for a failure, naming the API server when it could not be reached. */
  static String describe(Exception e, Cli cli) {
    if (e instanceof Cli.CliException) {
      return e.getMessage();
    }
    if (e instanceof KubernetesClientException kce && unreachable(kce)) {
      var config = cli.client().getConfiguration();
      String context =
          config.getCurrentContext() == null ? "" : config.getCurrentContext().getName();
      return "cannot reach the Kubernetes API server at %s%s: %s"
          .formatted(
              config.getMasterUrl(),
              context == null || context.isBlank() ? "" : " (context \"" + context + "\")",
              rootCause(e));
    }
    return rootMessage(e);
  }

  private static boolean unreachable(KubernetesClientException e) {
    if (e.getCode() > 0) {
      return false;
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof IOException) {
        return true;
      }
    }
    return false;
  }

  private static String rootCause(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
  }

  private static String rootMessage(Throwable e) {
    return e.getMessage() != null ? e.getMessage() : rootCause(e);
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return CommandLine.ExitCode.USAGE;
  }

  /** Creates the default client on first use and remembers it so {@code main} can close it. */
  private static final class Holder implements Supplier<KubernetesClient> {
    private KubernetesClient client;

    @Override
    public KubernetesClient get() {
      if (client == null) {
        // kubeconfig, then in-cluster; one retry, so an unreachable server fails in seconds.
        Config config = Config.autoConfigure(null);
        config.setRequestRetryBackoffLimit(1);
        client = new KubernetesClientBuilder().withConfig(config).build();
      }
      return client;
    }
  }
}
