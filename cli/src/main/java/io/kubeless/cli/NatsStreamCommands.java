package io.kubeless.cli;

import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kubeless trigger nats publish}, {@code create-stream} and {@code delete-stream}: jnats
 * calls made from the command line against {@code --url}, else the NATS server of the local mode
 * running here, else Kubeless's default server. A NATSTrigger with {@code --stream} reads a
 * JetStream stream that neither controller creates; {@code create-stream} is how a user without the
 * {@code nats} tool makes one.
 */
final class NatsStreamCommands {

  /** Kubeless's default NATS server, {@code NATS_URL} of its NATS trigger controller. */
  static final String DEFAULT_URL = "nats://nats.nats-io.svc.cluster.local:4222";

  /** JetStream's API error code for a stream that does not exist. */
  private static final int STREAM_NOT_FOUND = 10059;

  private NatsStreamCommands() {}

  /** The flags every NATS command shares, and its connection. */
  abstract static class NatsCommand implements Callable<Integer> {
    final Cli cli;

    @Spec CommandSpec spec;

    @Option(
        names = "--url",
        description =
            "Specify NATS server details for e.g nats://localhost:4222 (default: the NATS server"
                + " of the running local mode, else "
                + DEFAULT_URL
                + ")")
    String url;

    @Mixin TargetOption target;

    NatsCommand(Cli cli) {
      this.cli = cli;
    }

    CommandLine.ParameterException usage(String message) {
      return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /**
     * {@code --url}, else the local mode's server when one runs here, else Kubeless's default. A
     * local mode that runs no NATS server yet (it starts one with its first NATSTrigger) is a
     * failure saying so when {@code local} is required.
     */
    String url(boolean local) {
      if (url != null && !url.isBlank()) {
        return url.trim();
      }
      Optional<LocalAdmin> running = cli.local(target);
      if (running.isEmpty()) {
        return DEFAULT_URL;
      }
      Optional<String> recorded = LocalAdmin.recordedNatsUrl();
      if (recorded.isEmpty() && local) {
        throw new Cli.CliException(
            "the local mode running here runs no NATS server yet: it starts one with its first"
                + " NATSTrigger (create the trigger first; it waits for its stream), or give --url");
      }
      return recorded.orElse(DEFAULT_URL);
    }

    /**
     * Connects (5 s timeout, no reconnect) and runs {@code work}; a connection or I/O failure is a
     * {@link Cli.CliException} "Failed to {@code what} at {@code url}: ..." with jnats's last
     * reported problem, which its error listener would otherwise log.
     */
    <T> T connected(String url, String what, Work<T> work) throws InterruptedException {
      AtomicReference<Exception> problem = new AtomicReference<>();
      Options options =
          Options.builder()
              .server(url)
              .connectionTimeout(Duration.ofSeconds(5))
              .noReconnect()
              .errorListener(
                  new ErrorListener() {
                    @Override
                    public void exceptionOccurred(Connection conn, Exception exp) {
                      problem.set(exp);
                    }

                    @Override
                    public void errorOccurred(Connection conn, String error) {
                      problem.set(new IOException(error));
                    }
                  })
              .build();
      try (Connection connection = Nats.connect(options)) {
        return work.run(connection);
      } catch (IOException | TimeoutException e) {
        Exception cause = problem.get();
        throw new Cli.CliException(
            "Failed to %s at %s: %s%s"
                .formatted(
                    what,
                    url,
                    e.getMessage(),
                    cause == null || cause.getMessage() == null
                        ? ""
                        : " (" + cause.getMessage() + ")"),
            e);
      }
    }

    /**
     * {@link #connected} with the server's JetStream API; a refusal of the API is a {@link
     * Cli.CliException} "Failed to {@code what} at {@code url}: ..." with the server's reason.
     */
    <T> T withJetStream(String url, String what, JetStreamWork<T> work)
        throws InterruptedException {
      return connected(
          url,
          what,
          connection -> {
            try {
              return work.run(jetStream(connection, url));
            } catch (JetStreamApiException e) {
              throw new Cli.CliException(
                  "Failed to %s at %s: %s".formatted(what, url, e.getMessage()), e);
            }
          });
    }

    /** What a command does with the server's JetStream API. */
    interface JetStreamWork<T> {
      T run(JetStreamManagement jsm) throws IOException, JetStreamApiException;
    }

    /** What a command does with its connection. */
    interface Work<T> {
      T run(Connection connection) throws IOException, TimeoutException, InterruptedException;
    }

    /**
     * The server's JetStream API, or a failure saying it has none (a {@code nats-server} started
     * without {@code -js}).
     */
    static JetStreamManagement jetStream(Connection connection, String url) throws IOException {
      try {
        JetStreamManagement jsm = connection.jetStreamManagement();
        jsm.getAccountStatistics();
        return jsm;
      } catch (JetStreamApiException | IOException e) {
        throw new Cli.CliException(
            "JetStream is not enabled at %s (%s): start nats-server with -js"
                .formatted(url, e.getMessage()),
            e);
      }
    }
  }

  /**
   * {@code trigger nats publish --url --topic --message}: one message, flushed to the server.
   * Without {@code --url}: the NATS server of the local mode running here when it runs one ({@code
   * nats} of its {@code .kubeless/local.json}), else Kubeless's default server.
   */
  @Command(
      name = "publish",
      description = "publish message to a topic",
      mixinStandardHelpOptions = true)
  static final class Publish extends NatsCommand {

    @Option(
        names = "--topic",
        defaultValue = "kubeless",
        description = "Specify topic name (default: ${DEFAULT-VALUE})")
    String topic;

    @Option(names = "--message", required = true, description = "Specify message to be published")
    String message;

    Publish(Cli cli) {
      super(cli);
    }

    @Override
    public Integer call() throws InterruptedException {
      connected(
          url(false),
          "publish message to topic " + topic,
          connection -> {
            connection.publish(topic, message.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            connection.flush(Duration.ofSeconds(5));
            return null;
          });
      cli.out().printf("Published [%s] : '%s'%n", topic, message);
      return 0;
    }
  }

  /**
   * {@code trigger nats create-stream STREAM --subjects S[,S] --storage file|memory --max-age
   * --max-msgs --replicas}: a JetStream stream with limits retention. An existing stream of that
   * name, subjects another stream captures, or a server without JetStream exit 1 naming it.
   */
  @Command(
      name = "create-stream",
      description =
          "Create a JetStream stream for NATS triggers with --stream. Provided for convenience and"
              + " quick testing",
      mixinStandardHelpOptions = true)
  static final class CreateStream extends NatsCommand {

    @Parameters(paramLabel = "STREAM", description = "The stream's name")
    String name;

    @Option(
        names = "--subjects",
        required = true,
        split = ",",
        paramLabel = "SUBJECT",
        description = "The subjects the stream captures, wildcards allowed (e.g. orders.>)")
    List<String> subjects;

    @Option(
        names = "--storage",
        defaultValue = "file",
        paramLabel = "file|memory",
        description = "file or memory (default: ${DEFAULT-VALUE})")
    String storage;

    @Option(
        names = "--max-age",
        paramLabel = "AGE",
        description = "How long a message is kept, e.g. 1h, 7d (default: until a limit is reached)")
    String maxAge;

    @Option(
        names = "--max-msgs",
        paramLabel = "N",
        description = "Most messages kept, the oldest discarded (default: no limit)")
    Long maxMessages;

    @Option(
        names = "--replicas",
        defaultValue = "1",
        paramLabel = "N",
        description = "Copies in a JetStream cluster (default: ${DEFAULT-VALUE})")
    int replicas;

    CreateStream(Cli cli) {
      super(cli);
    }

    @Override
    public Integer call() throws InterruptedException {
      StreamConfiguration configuration = configuration();
      String server = url(true);
      StreamInfo created =
          withJetStream(
              server,
              "create stream " + name,
              jsm -> {
                Optional<StreamInfo> existing = info(jsm, name, server);
                if (existing.isPresent()) {
                  throw new Cli.CliException(
                      "stream %s already exists at %s (subjects %s)"
                          .formatted(
                              name,
                              server,
                              String.join(",", existing.get().getConfiguration().getSubjects())));
                }
                return jsm.addStream(configuration);
              });
      StreamConfiguration c = created.getConfiguration();
      cli.out()
          .printf(
              "JetStream stream %s created at %s: subjects %s, %s storage%s%s%n",
              name,
              server,
              String.join(",", c.getSubjects()),
              c.getStorageType().toString().toLowerCase(java.util.Locale.ROOT),
              c.getMaxAge().isZero() ? "" : ", max age " + human(c.getMaxAge()),
              c.getMaxMsgs() < 0 ? "" : ", max " + c.getMaxMsgs() + " messages");
      return 0;
    }

    private StreamConfiguration configuration() {
      if (name.isBlank() || name.chars().anyMatch(ch -> " \t.*>/\\".indexOf(ch) >= 0)) {
        throw usage(
            "invalid stream name \"%s\": no spaces, '.', '*', '>', '/' or '\\'".formatted(name));
      }
      List<String> given = subjects.stream().map(String::trim).toList();
      if (given.isEmpty() || given.stream().anyMatch(String::isEmpty)) {
        throw usage("--subjects must name at least one subject, none empty");
      }
      StorageType type =
          switch (storage) {
            case "file" -> StorageType.File;
            case "memory" -> StorageType.Memory;
            default -> throw usage("invalid --storage \"" + storage + "\": use file or memory");
          };
      if (replicas < 1 || replicas > 5) {
        throw usage("--replicas must be 1 to 5, not " + replicas);
      }
      StreamConfiguration.Builder builder =
          StreamConfiguration.builder()
              .name(name)
              .subjects(given)
              .storageType(type)
              .replicas(replicas);
      if (maxAge != null) {
        try {
          builder.maxAge(WaitOption.parse(maxAge));
        } catch (IllegalArgumentException e) {
          throw usage("Invalid value for --max-age \"%s\": %s".formatted(maxAge, e.getMessage()));
        }
      }
      if (maxMessages != null) {
        if (maxMessages < 1) {
          throw usage("--max-msgs must be at least 1, not " + maxMessages);
        }
        builder.maxMessages(maxMessages);
      }
      return builder.build();
    }
  }

  /** {@code trigger nats delete-stream STREAM}: the stream, its messages and its consumers. */
  @Command(
      name = "delete-stream",
      description = "Delete a JetStream stream, its messages and its consumers",
      mixinStandardHelpOptions = true)
  static final class DeleteStream extends NatsCommand {

    @Parameters(paramLabel = "STREAM", description = "The stream's name")
    String name;

    DeleteStream(Cli cli) {
      super(cli);
    }

    @Override
    public Integer call() throws InterruptedException {
      String server = url(true);
      long messages =
          withJetStream(
              server,
              "delete stream " + name,
              jsm -> {
                StreamInfo existing =
                    info(jsm, name, server)
                        .orElseThrow(
                            () ->
                                new Cli.CliException(
                                    "stream %s not found at %s".formatted(name, server)));
                jsm.deleteStream(name);
                return existing.getStreamState().getMsgCount();
              });
      cli.out()
          .printf(
              "JetStream stream %s deleted at %s (%d message%s)%n",
              name, server, messages, messages == 1 ? "" : "s");
      return 0;
    }
  }

  /** The stream's info, or empty when it does not exist. */
  private static Optional<StreamInfo> info(JetStreamManagement jsm, String name, String server)
      throws IOException {
    try {
      return Optional.of(jsm.getStreamInfo(name));
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() == STREAM_NOT_FOUND) {
        return Optional.empty();
      }
      throw new Cli.CliException(
          "Failed to read stream %s at %s: %s".formatted(name, server, e.getMessage()), e);
    }
  }

  /** {@code 1d12h}, {@code 90s}: a duration as the flags take it. */
  static String human(Duration d) {
    long s = d.toSeconds();
    StringBuilder b = new StringBuilder();
    long[] parts = {s / 86_400, s % 86_400 / 3_600, s % 3_600 / 60, s % 60};
    String units = "dhms";
    for (int i = 0; i < parts.length; i++) {
      if (parts[i] > 0) {
        b.append(parts[i]).append(units.charAt(i));
      }
    }
    return b.isEmpty() ? d.toMillis() + "ms" : b.toString();
  }
}
