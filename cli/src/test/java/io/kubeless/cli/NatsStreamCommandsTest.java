package io.kubeless.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code trigger nats create-stream} and {@code delete-stream} against the real {@code
 * nats-server}, one with JetStream and one without, checked with jnats.
 */
class NatsStreamCommandsTest {

  @TempDir static Path store;

  private static Process jetStream;
  private static Process core;
  private static String url;
  private static String coreUrl;

  @BeforeAll
  static void startServers() throws Exception {
    int port = freePort();
    url = "nats://127.0.0.1:" + port;
    jetStream =
        start("-a", "127.0.0.1", "-p", String.valueOf(port), "-js", "-sd", store.toString());
    int corePort = freePort();
    coreUrl = "nats://127.0.0.1:" + corePort;
    core = start("-a", "127.0.0.1", "-p", String.valueOf(corePort));
    for (String u : List.of(url, coreUrl)) {
      await("nats-server at " + u)
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(
              () -> {
                try (Connection probe = Nats.connect(u)) {
                  return probe.getStatus() == Connection.Status.CONNECTED;
                }
              });
    }
  }

  private static Process start(String... args) throws IOException {
    List<String> command = new java.util.ArrayList<>(List.of("nats-server"));
    command.addAll(List.of(args));
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
  }

  private static int freePort() throws IOException {
    try (ServerSocket free = new ServerSocket(0)) {
      return free.getLocalPort();
    }
  }

  @AfterAll
  static void stopServers() {
    jetStream.destroy();
    core.destroy();
  }

  private static StreamConfiguration stored(String name) throws Exception {
    try (Connection c = Nats.connect(url)) {
      return c.jetStreamManagement().getStreamInfo(name).getConfiguration();
    }
  }

  @Test
  void createStreamMakesTheStreamWithItsLimitsAndItCapturesItsSubjects() throws Exception {
    CliRun run =
        CliRun.offline(
            "trigger",
            "nats",
            "create-stream",
            "ORDERS",
            "--url",
            url,
            "--subjects",
            "orders.>,refunds.*",
            "--storage",
            "memory",
            "--max-age",
            "1d12h",
            "--max-msgs",
            "100");

    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out())
        .isEqualTo(
            "JetStream stream ORDERS created at %s: subjects orders.>,refunds.*, memory storage,"
                    .formatted(url)
                + " max age 1d12h, max 100 messages\n");
    StreamConfiguration c = stored("ORDERS");
    assertThat(c.getSubjects()).containsExactly("orders.>", "refunds.*");
    assertThat(c.getStorageType()).isEqualTo(StorageType.Memory);
    assertThat(c.getMaxAge()).isEqualTo(Duration.ofHours(36));
    assertThat(c.getMaxMsgs()).isEqualTo(100);
    assertThat(c.getReplicas()).isEqualTo(1);

    // what a JetStream NATSTrigger reads: a message published with the CLI is kept
    CliRun publish =
        CliRun.offline(
            "trigger", "nats", "publish", "--url", url, "--topic", "orders.new", "--message", "m1");
    assertThat(publish.code()).as(publish.err()).isZero();
    try (Connection connection = Nats.connect(url)) {
      JetStreamManagement jsm = connection.jetStreamManagement();
      await().until(() -> jsm.getStreamInfo("ORDERS").getStreamState().getMsgCount() == 1);
      assertThat(new String(jsm.getMessage("ORDERS", 1).getData(), UTF_8)).isEqualTo("m1");
    }
  }

  @Test
  void theDefaultsAreFileStorageWithoutLimits() throws Exception {
    CliRun run =
        CliRun.offline(
            "trigger", "nats", "create-stream", "JOBS", "--url", url, "--subjects", "jobs");

    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out())
        .isEqualTo(
            "JetStream stream JOBS created at %s: subjects jobs, file storage\n".formatted(url));
    StreamConfiguration c = stored("JOBS");
    assertThat(c.getStorageType()).isEqualTo(StorageType.File);
    assertThat(c.getMaxAge()).isEqualTo(Duration.ZERO);
    assertThat(c.getMaxMsgs()).isEqualTo(-1);
  }

  @Test
  void anExistingStreamOrSubjectsAnotherStreamCapturesAreFailuresNamingThem() throws Exception {
    assertThat(
            CliRun.offline(
                    "trigger",
                    "nats",
                    "create-stream",
                    "AUDIT",
                    "--url",
                    url,
                    "--subjects",
                    "audit.>")
                .code())
        .isZero();

    CliRun again =
        CliRun.offline(
            "trigger", "nats", "create-stream", "AUDIT", "--url", url, "--subjects", "other");
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err())
        .contains("stream AUDIT already exists at %s (subjects audit.>)".formatted(url));
    assertThat(stored("AUDIT").getSubjects()).containsExactly("audit.>");

    CliRun overlap =
        CliRun.offline(
            "trigger", "nats", "create-stream", "AUDIT2", "--url", url, "--subjects", "audit.x");
    assertThat(overlap.code()).isEqualTo(1);
    assertThat(overlap.err())
        .contains("Failed to create stream AUDIT2 at " + url)
        .contains("subjects overlap");
  }

  @Test
  void deleteStreamRemovesItAndSaysHowManyMessagesWent() throws Exception {
    assertThat(
            CliRun.offline(
                    "trigger", "nats", "create-stream", "GONE", "--url", url, "--subjects", "gone")
                .code())
        .isZero();
    try (Connection c = Nats.connect(url)) {
      c.jetStream().publish("gone", "a".getBytes(UTF_8));
      c.jetStream().publish("gone", "b".getBytes(UTF_8));
    }

    CliRun delete = CliRun.offline("trigger", "nats", "delete-stream", "GONE", "--url", url);

    assertThat(delete.code()).as(delete.err()).isZero();
    assertThat(delete.out())
        .isEqualTo("JetStream stream GONE deleted at %s (2 messages)\n".formatted(url));
    try (Connection c = Nats.connect(url)) {
      JetStreamManagement jsm = c.jetStreamManagement();
      assertThat(jsm.getStreamNames()).doesNotContain("GONE");
    }
    CliRun again = CliRun.offline("trigger", "nats", "delete-stream", "GONE", "--url", url);
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err()).contains("stream GONE not found at " + url);
  }

  @Test
  void aServerWithoutJetStreamIsAFailureSayingSo() {
    CliRun run =
        CliRun.offline(
            "trigger", "nats", "create-stream", "X", "--url", coreUrl, "--subjects", "x");

    assertThat(run.code()).isEqualTo(1);
    assertThat(run.err()).contains("JetStream is not enabled at " + coreUrl);
  }

  @Test
  void anUnreachableServerIsAFailureNamingIt() throws IOException {
    String nowhere = "nats://127.0.0.1:" + freePort();

    CliRun run =
        CliRun.offline(
            "trigger", "nats", "create-stream", "X", "--url", nowhere, "--subjects", "x");

    assertThat(run.code()).isEqualTo(1);
    assertThat(run.err()).contains("Failed to create stream X at " + nowhere);
  }

  @Test
  void badFlagsAreUsageErrorsAndCreateNothing() throws Exception {
    List<List<String>> bad =
        List.of(
            List.of("BAD1", "--subjects", "b", "--storage", "disk"),
            List.of("BAD.2", "--subjects", "b"),
            List.of("BAD3", "--subjects", "b", "--max-age", "soon"),
            List.of("BAD4", "--subjects", "b", "--max-msgs", "0"),
            List.of("BAD5", "--subjects", "b", "--replicas", "0"),
            List.of("BAD6"));
    for (List<String> args : bad) {
      List<String> command =
          new java.util.ArrayList<>(List.of("trigger", "nats", "create-stream", "--url", url));
      command.addAll(args);

      CliRun run = CliRun.offline(command.toArray(String[]::new));

      assertThat(run.code()).as(String.join(" ", args)).isEqualTo(2);
      assertThat(run.err())
          .as(String.join(" ", args))
          .containsAnyOf("invalid", "Invalid", "must be", "Missing required option");
    }
    try (Connection c = Nats.connect(url)) {
      assertThat(c.jetStreamManagement().getStreamNames()).noneMatch(n -> n.startsWith("BAD"));
    }
  }
}
