package io.kubeless.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubeless.testing.NatsServer;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.engine.BindingState;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NATSTriggers in local mode, against the real {@code nats-server}: the one local mode starts (and
 * stops), or the one it is given; a Python function invoked for a published message; a changed
 * subject re-subscribes.
 */
@Tag("broker")
class LocalNatsTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final TriggerId ORDERS = new TriggerId("default", "orders");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private Path events;
  private final ByteArrayOutputStream log = new ByteArrayOutputStream();

  private void files(String subject) throws Exception {
    events = dir.resolve("events.txt");
    Files.writeString(
        dir.resolve("recorder.yaml"),
        """
        apiVersion: kubeless.io/v1beta1
        kind: Function
        metadata: {name: recorder, labels: {app: recorder}}
        spec:
          runtime: python3.12
          handler: recorder.handler
          timeout: "10"
          function: |
            def handler(event, context):
                data = event["data"]
                if isinstance(data, bytes):
                    data = data.decode()
                with open(%s, "a") as f:
                    topic = event["extensions"]["request"].headers.get("event-topic")
                    f.write(str(topic) + " " + str(data) + "\\n")
                return "recorded"
        """
            .formatted("\"" + events.toAbsolutePath() + "\""));
    trigger(subject);
  }

  private void trigger(String subject) throws Exception {
    Files.writeString(
        dir.resolve("nats-trigger.yaml"),
        """
        apiVersion: kubeless.io/v1beta1
        kind: NATSTrigger
        metadata: {name: orders}
        spec:
          topic: "%s"
          functionSelector: {matchLabels: {app: recorder}}
        """
            .formatted(subject));
  }

  private LocalPlatform start(String natsUrl, int natsPort) throws Exception {
    PrintStream out = new PrintStream(new TeeStream(log, System.out), true, StandardCharsets.UTF_8);
    return LocalPlatform.start(
        Manifests.load(List.of(dir)),
        new LocalPlatform.Options(
            dir.resolve(".kubeless"), Path.of("..", "runtimes"), null, 0, natsUrl, natsPort, out));
  }

  private static void awaitSubscribed(LocalPlatform platform, String subject) {
    await("the NATSTrigger subscribed to " + subject + " for the function")
        .atMost(TIMEOUT)
        .until(
            () ->
                platform
                    .natsTrigger(ORDERS)
                    .filter(s -> s.source() != null && s.source().contains(subject))
                    .map(
                        s ->
                            !s.functions().isEmpty()
                                && s.functions().stream().allMatch(BindingState::ready))
                    .orElse(false));
  }

  private static void publish(String url, String subject, String message) throws Exception {
    try (Connection c = Nats.connect(url)) {
      c.publish(subject, message.getBytes(StandardCharsets.UTF_8));
      c.flush(Duration.ofSeconds(5));
    }
  }

  private String recorded() throws Exception {
    return Files.exists(events) ? Files.readString(events) : "";
  }

  @Test
  void startsNatsServerInvokesTheFunctionResubscribesOnAChangedSubjectAndStopsTheServer()
      throws Exception {
    files("orders.>");
    int port = EmbeddedKafka.freePort();
    LocalPlatform platform = start(null, port);
    ProcessHandle server;
    try {
      String url = "nats://127.0.0.1:" + port;
      assertThat(platform.natsUrl()).contains(url);
      server = platform.natsServer().orElseThrow();
      assertThat(server.isAlive()).isTrue();
      assertThat(server.info().command())
          .hasValueSatisfying(c -> assertThat(c).endsWith("nats-server"));
      assertThat(log.toString(StandardCharsets.UTF_8))
          .contains(
              "  nats: "
                  + url
                  + " (local nats-server, data in "
                  + dir.resolve(".kubeless").resolve("nats")
                  + ")")
          .contains("  nats trigger orders: subject orders.>")
          .contains("[nats] ");
      assertThat(Files.readString(dir.resolve(".kubeless/local.json")))
          .contains("\"nats\" : \"" + url + "\"")
          .contains("\"natsLocal\" : true");
      assertThat(platform.invalid()).isEmpty();

      awaitSubscribed(platform, "orders.>");
      List<Map<String, Object>> states = platform.triggerStates();
      assertThat(states)
          .singleElement()
          .satisfies(
              t -> {
                assertThat(t)
                    .containsEntry("kind", "NATSTrigger")
                    .containsEntry("topic", "orders.>");
                assertThat(t.get("problem")).isNull();
                assertThat(t.get("functions").toString())
                    .contains("function=recorder, phase=ACTIVE, reason=Subscribed");
              });

      publish(url, "orders.created", "order-1");
      await("the function invoked for orders.created")
          .atMost(TIMEOUT)
          .until(() -> recorded().contains("orders.created order-1"));

      // a changed subject re-subscribes: the old one no longer reaches the function
      platform.watch(List.of(dir));
      trigger("invoices.>");
      awaitSubscribed(platform, "invoices.>");
      publish(url, "orders.created", "order-2");
      publish(url, "invoices.sent", "invoice-1");
      await("the function invoked for invoices.sent")
          .atMost(TIMEOUT)
          .until(() -> recorded().contains("invoices.sent invoice-1"));
      assertThat(recorded().lines())
          .containsExactly("orders.created order-1", "invoices.sent invoice-1");
      assertThat(log.toString(StandardCharsets.UTF_8))
          .contains("[watch] trigger default/orders changed: applying");
    } finally {
      platform.close();
    }
    assertThat(server.isAlive()).as("nats-server pid " + server.pid()).isFalse();
    assertThat(ProcessHandle.current().descendants()).noneMatch(ProcessHandle::isAlive);
    assertThat(dir.resolve(".kubeless/nats/jetstream")).isDirectory();
    assertThat(dir.resolve(".kubeless/local.json")).doesNotExist();
  }

  @Test
  void withANatsUrlGivenStartsNoServerAndUsesThatOne() throws Exception {
    files("orders.>");
    try (NatsServer given = NatsServer.start()) {
      long before = natsServers();
      LocalPlatform platform = start(given.url(), 0);
      try {
        assertThat(platform.natsUrl()).contains(given.url());
        assertThat(platform.natsServer()).isEmpty();
        assertThat(natsServers()).isEqualTo(before);
        assertThat(dir.resolve(".kubeless/nats")).doesNotExist();
        assertThat(log.toString(StandardCharsets.UTF_8))
            .contains("  nats: " + given.url() + " (given)")
            .doesNotContain("starting nats-server");
        assertThat(Files.readString(dir.resolve(".kubeless/local.json")))
            .contains("\"nats\" : \"" + given.url() + "\"")
            .contains("\"natsLocal\" : false");

        awaitSubscribed(platform, "orders.>");
        publish(given.url(), "orders.paid", "order-3");
        await("the function invoked through the given server")
            .atMost(TIMEOUT)
            .until(() -> recorded().contains("orders.paid order-3"));
      } finally {
        platform.close();
      }
      // the given server is the user's: it keeps running
      assertThat(natsServers()).isEqualTo(before);
      publish(given.url(), "orders.after", "still-up");
    }
  }

  @Test
  void peeksWhatAStreamCapturedAndCountsTheBindingsEvents() throws Exception {
    files("orders.>");
    LocalPlatform platform = start(null, 0);
    try {
      String url = platform.natsUrl().orElseThrow();
      awaitSubscribed(platform, "orders.>");
      HttpClient http = HttpClient.newHttpClient();
      java.util.function.Function<String, HttpResponse<String>> get =
          path -> {
            try {
              return http.send(
                  HttpRequest.newBuilder(platform.adminUrl().resolve(path))
                      .timeout(Duration.ofSeconds(20))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          };

      HttpResponse<String> core = get.apply("/api/peek/nats/orders.created");
      assertThat(core.statusCode()).isEqualTo(409);
      assertThat(JSON.readTree(core.body()).path("error").asText())
          .isEqualTo(
              "core NATS keeps no messages: no JetStream stream captures \"orders.created\"");

      try (Connection c = Nats.connect(url)) {
        c.jetStreamManagement()
            .addStream(
                StreamConfiguration.builder()
                    .name("ORDERS")
                    .subjects("orders.>")
                    .storageType(StorageType.Memory)
                    .build());
      }
      for (String m : List.of("order-1", "order-2", "order-3")) {
        publish(url, "orders.created", m);
      }
      publish(url, "orders.paid", "paid-1");
      await("the function invoked for every message")
          .atMost(TIMEOUT)
          .until(() -> recorded().lines().count() == 4);

      JsonNode peek = JSON.readTree(get.apply("/api/peek/nats/orders.created?limit=2").body());
      assertThat(peek.path("stream").asText()).isEqualTo("ORDERS");
      assertThat(peek.path("messages").findValuesAsText("value"))
          .containsExactly("order-2", "order-3");
      assertThat(peek.path("messages").findValuesAsText("encoding"))
          .containsExactly("utf8", "utf8");
      assertThat(peek.path("messages").get(1).path("sequence").asLong()).isEqualTo(3);
      JsonNode all = JSON.readTree(get.apply("/api/peek/nats/orders.%3E").body());
      assertThat(all.path("messages").findValuesAsText("value"))
          .containsExactly("order-1", "order-2", "order-3", "paid-1");

      await("the binding's counts")
          .atMost(TIMEOUT)
          .untilAsserted(
              () -> {
                JsonNode binding =
                    JSON.readTree(get.apply("/api/triggers").body()).at("/0/functions/0");
                assertThat(binding.path("events").asLong()).isEqualTo(4);
                assertThat(binding.path("failures").asLong()).isZero();
              });
    } finally {
      platform.close();
    }
  }

  /** The live nats-server processes this JVM started. */
  private static long natsServers() {
    return ProcessHandle.current()
        .descendants()
        .filter(ProcessHandle::isAlive)
        .filter(p -> p.info().command().map(c -> c.endsWith("nats-server")).orElse(false))
        .count();
  }
}
