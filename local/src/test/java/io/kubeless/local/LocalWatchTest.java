package io.kubeless.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kubeless local up} applying the changes of the watched directory while it runs. */
class LocalWatchTest {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  @TempDir Path dir;

  private final ByteArrayOutputStream log = new ByteArrayOutputStream();
  private final PrintStream out =
      new PrintStream(new TeeStream(log, System.out), true, StandardCharsets.UTF_8);

  private static String function(String name, String handler, String answer) {
    return """
        apiVersion: kubeless.io/v1beta1
        kind: Function
        metadata: {name: %s}
        spec:
          runtime: python3.12
          handler: %s
          function: |
            def handler(event, context):
                return "%s"
        """
        .formatted(name, handler, answer);
  }

  private LocalPlatform start() throws Exception {
    return start(Path.of("..", "runtimes"));
  }

  private LocalPlatform start(Path runtimes) throws Exception {
    LocalPlatform platform =
        LocalPlatform.start(
            Manifests.load(List.of(dir)),
            new LocalPlatform.Options(
                dir.resolve(".kubeless"), runtimes, null, EmbeddedKafka.freePort(), out));
    platform.watch(List.of(dir));
    return platform;
  }

  private String printed() {
    return log.toString(StandardCharsets.UTF_8);
  }

  private static String call(URI url) throws IOException, InterruptedException {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(url)
                .timeout(Duration.ofSeconds(5))
                .POST(HttpRequest.BodyPublishers.ofString("x"))
                .header("Content-Type", "text/plain")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return r.statusCode() + " " + r.body();
  }

  private static String answer(URI url) {
    try {
      return call(url);
    } catch (IOException e) {
      return "refused: " + e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  @Test
  void restartsAChangedFunctionStartsAndStopsOthersAndIgnoresEditorFiles() throws Exception {
    Path hello = dir.resolve("hello.yaml");
    Files.writeString(hello, function("hello", "hello.handler", "v1"));
    LocalPlatform platform = start();
    List<ProcessHandle> all;
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> platform.ready("default/hello"));
      URI url = platform.functionUrls().get("default/hello");
      assertThat(call(url)).isEqualTo("200 v1");
      long first = platform.process("default/hello").orElseThrow().pid();

      // a changed Function: restarted on the same port
      long written = System.nanoTime();
      Files.writeString(hello, function("hello", "hello.handler", "v2"));
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> answer(url).equals("200 v2"));
      // not asserted (the machine may be busy); about 1 s is the aim
      out.printf(
          "[test] v2 answered %d ms after the write%n", (System.nanoTime() - written) / 1_000_000);
      assertThat(platform.functionUrls().get("default/hello")).isEqualTo(url);
      assertThat(printed()).contains("[watch] hello changed: restarting");
      ProcessHandle helloProcess = platform.process("default/hello").orElseThrow();
      assertThat(helloProcess.pid()).isNotEqualTo(first);

      // a new file: its Function starts
      Path second = dir.resolve("second.yaml");
      Files.writeString(second, function("second", "second.handler", "two"));
      await().atMost(Duration.ofSeconds(30)).until(() -> platform.ready("default/second"));
      URI secondUrl = platform.functionUrls().get("default/second");
      assertThat(call(secondUrl)).isEqualTo("200 two");
      assertThat(printed()).contains("[watch] second added: starting");

      // editor files: nothing restarts; a later real change shows the watcher has caught up
      String v3 = function("hello", "hello.handler", "v3");
      Files.writeString(dir.resolve(".hello.yaml.swp"), v3);
      Files.writeString(dir.resolve("hello.yaml~"), v3);
      Files.writeString(dir.resolve("4913"), v3);
      Files.writeString(dir.resolve("#hello.yaml#"), v3);
      Files.writeString(
          dir.resolve("marker.yaml"),
          "apiVersion: v1\nkind: Service\nmetadata: {name: marker-1}\n");
      await().atMost(Duration.ofSeconds(30)).until(() -> printed().contains("Service marker-1"));
      assertThat(platform.process("default/hello").orElseThrow().pid())
          .isEqualTo(helloProcess.pid());
      assertThat(helloProcess.isAlive()).isTrue();
      assertThat(call(url)).isEqualTo("200 v2");

      // a removed file: its Function stops and its URL refuses
      ProcessHandle secondProcess = platform.process("default/second").orElseThrow();
      Files.delete(second);
      await().atMost(Duration.ofSeconds(30)).until(() -> !secondProcess.isAlive());
      assertThat(platform.functionUrls()).doesNotContainKey("default/second");
      assertThatThrownBy(() -> call(secondUrl)).isInstanceOf(IOException.class);
      assertThat(printed()).contains("[watch] second removed: stopping");

      // an invalid edit: reported, and the running function keeps running unchanged
      Files.writeString(hello, function("hello", "nodot", "v4"));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> printed().contains("has invalid documents; what runs from it keeps running"));
      assertThat(printed()).contains("invalid: function hello: InvalidHandler");
      assertThat(platform.process("default/hello").orElseThrow().pid())
          .isEqualTo(helloProcess.pid());
      assertThat(call(url)).isEqualTo("200 v2");

      // and a valid one again is applied
      Files.writeString(hello, function("hello", "hello.handler", "v5"));
      await().atMost(Duration.ofSeconds(30)).until(() -> answer(url).equals("200 v5"));
      all = platform.processes();
    } finally {
      platform.close();
    }
    assertThat(all).noneMatch(ProcessHandle::isAlive);
    assertThat(ProcessHandle.current().descendants()).noneMatch(ProcessHandle::isAlive);
  }

  @Test
  void aDependencyInstallUnderWayIsRecordedAndStopsWithLocalMode(@TempDir Path elsewhere)
      throws Exception {
    // the Python runtime, with an install step that never ends (a package index that never
    // answers, say), itself waiting on a child as pip would
    Path runtimes = elsewhere.resolve("runtimes");
    Path python = Files.createDirectories(runtimes.resolve("python"));
    Path run = python.resolve("run");
    Files.writeString(
        run,
        "#!/bin/sh\nexec "
            + Path.of("..", "runtimes", "python", "run").toAbsolutePath().normalize()
            + " \"$@\"\n");
    Path install = python.resolve("install");
    Files.writeString(install, "#!/bin/sh\nsleep 600 &\nwait\n");
    run.toFile().setExecutable(true);
    install.toFile().setExecutable(true);
    Path hello = dir.resolve("hello.yaml");
    Files.writeString(hello, function("hello", "hello.handler", "v1"));
    LocalPlatform platform = start(runtimes);
    Path state = dir.resolve(".kubeless/local.json");
    ProcessHandle installer;
    List<ProcessHandle> tree;
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> platform.ready("default/hello"));

      // the function gains dependencies: restarted, it waits on their install
      Files.writeString(
          hello,
          function("hello", "hello.handler", "v2")
              .replace("  handler:", "  deps: requests\n  handler:"));
      com.fasterxml.jackson.databind.JsonNode entry =
          await("local.json naming the install")
              .atMost(Duration.ofSeconds(30))
              .until(
                  () -> {
                    for (var p :
                        new com.fasterxml.jackson.databind.ObjectMapper()
                            .readTree(state.toFile())
                            .path("processes")) {
                      if (p.path("what")
                          .asText()
                          .equals("dependency install of function default/hello")) {
                        return p;
                      }
                    }
                    return null;
                  },
                  java.util.Objects::nonNull);
      installer = ProcessHandle.of(entry.path("pid").asLong()).orElseThrow();
      await().atMost(Duration.ofSeconds(10)).until(() -> installer.descendants().count() == 1);
      tree = List.of(installer, installer.descendants().findFirst().orElseThrow());
    } catch (Throwable e) {
      platform.close();
      throw e;
    }

    // Ctrl-C meanwhile: the install and what it started stop, and so does local mode
    Thread closing = Thread.ofVirtual().start(platform::close);
    assertThat(closing.join(Duration.ofSeconds(30))).as("local mode stopped").isTrue();
    assertThat(tree).noneMatch(ProcessHandle::isAlive);
    assertThat(state).doesNotExist();
  }

  @Test
  @Tag("broker")
  void startsKafkaForTheFirstTriggerReappliesAChangedOneAndDeletesARemovedOne() throws Exception {
    Path events = dir.resolve("events.txt");
    Files.writeString(
        dir.resolve("recorder.yaml"),
        """
        apiVersion: kubeless.io/v1beta1
        kind: Function
        metadata: {name: recorder, labels: {topic: orders}}
        spec:
          runtime: python3.12
          handler: recorder.handler
          function: |
            def handler(event, context):
                data = event["data"]
                if isinstance(data, bytes):
                    data = data.decode()
                with open(%s, "a") as f:
                    f.write(str(data) + "\\n")
                return "recorded"
        """
            .formatted("\"" + events.toAbsolutePath() + "\""));
    Path trigger = dir.resolve("trigger.yaml");
    LocalPlatform platform = start();
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> platform.ready("default/recorder"));
      long pid = platform.process("default/recorder").orElseThrow().pid();
      assertThat(platform.kafkaBootstrap()).isEmpty();

      // the first KafkaTrigger: Kafka (the embedded broker) starts, then the trigger runs
      Files.writeString(trigger, trigger("orders"));
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> printed().contains("[watch] trigger default/orders added"));
      String bootstrap = platform.kafkaBootstrap().orElseThrow();
      produce(bootstrap, "orders", "order-1");
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> Files.exists(events) && Files.readString(events).contains("order-1"));

      // a changed topic: the trigger is re-applied and reads the new one
      Files.writeString(trigger, trigger("payments"));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> printed().contains("[watch] trigger default/orders changed: applying"));
      produce(bootstrap, "payments", "payment-1");
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> Files.readString(events).contains("payment-1"));
      // the function itself did not change
      assertThat(platform.process("default/recorder").orElseThrow().pid()).isEqualTo(pid);

      Files.delete(trigger);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> printed().contains("[watch] trigger default/orders removed"));
    } finally {
      platform.close();
    }
  }

  private static void produce(String bootstrap, String topic, String value) throws Exception {
    try (var producer =
        new KafkaProducer<String, String>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                StringSerializer.class))) {
      producer.send(new ProducerRecord<>(topic, value)).get();
    }
  }

  private static String trigger(String topic) {
    return """
        apiVersion: kubeless.io/v1beta1
        kind: KafkaTrigger
        metadata: {name: orders}
        spec:
          topic: %s
          initialOffset: earliest
          functionSelector: {matchLabels: {topic: orders}}
        """
        .formatted(topic);
  }
}
