package io.kubeless.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code trigger nats publish} against the real {@code nats-server}, read by a real subscriber. */
class NatsPublishTest {

  private static Process server;
  private static String url;

  @BeforeAll
  static void startServer() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    url = "nats://127.0.0.1:" + port;
    server =
        new ProcessBuilder("nats-server", "-a", "127.0.0.1", "-p", String.valueOf(port))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    await("nats-server accepting connections")
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(
            () -> {
              try (Connection probe = Nats.connect(url)) {
                return probe.getStatus() == Connection.Status.CONNECTED;
              }
            });
  }

  @AfterAll
  static void stopServer() {
    server.destroy();
  }

  /** Publishes with the CLI while a subscriber listens; returns what it received. */
  private static List<String> published(String subject, String... args) throws Exception {
    List<String> received = new CopyOnWriteArrayList<>();
    try (Connection subscriber = Nats.connect(url)) {
      Dispatcher dispatcher =
          subscriber.createDispatcher(
              m -> received.add(m.getSubject() + " " + new String(m.getData(), UTF_8)));
      dispatcher.subscribe(subject);
      subscriber.flush(Duration.ofSeconds(5));
      CliRun run = CliRun.offline(args);
      assertThat(run.code()).as(run.err()).isZero();
      await().atMost(Duration.ofSeconds(10)).until(() -> !received.isEmpty());
      received.add("out: " + run.out());
    }
    return received;
  }

  @Test
  void publishSendsTheMessageToTheTopic() throws Exception {
    List<String> received =
        published(
            "orders",
            "trigger",
            "nats",
            "publish",
            "--url",
            url,
            "--topic",
            "orders",
            "--message",
            "{\"id\":1}");

    assertThat(received.getFirst()).isEqualTo("orders {\"id\":1}");
    assertThat(received.getLast()).contains("Published [orders] : '{\"id\":1}'");
  }

  @Test
  void theTopicDefaultsToKubeless() throws Exception {
    List<String> received =
        published("kubeless", "trigger", "nats", "publish", "--url", url, "--message", "hi");

    assertThat(received.getFirst()).isEqualTo("kubeless hi");
  }

  @Test
  void anUnreachableServerIsAFailureNamingIt() throws IOException {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    CliRun run =
        CliRun.offline(
            "trigger", "nats", "publish", "--url", "nats://127.0.0.1:" + port, "--message", "m");

    assertThat(run.code()).isEqualTo(1);
    assertThat(run.err()).contains("nats://127.0.0.1:" + port);
  }
}
