package io.kubeless.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kubeless.testing.KinesisLocal;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.engine.BindingState;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * KinesisTriggers in local mode, against the kinesis-local emulator: a Python function invoked for
 * the records of every shard, and after a restart of local mode only the records put meanwhile (the
 * checkpoints live under {@code .kubeless/kinesis}).
 */
@Tag("broker")
class LocalKinesisTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(90);
  private static final TriggerId ORDERS = new TriggerId("default", "orders");

  @TempDir Path dir;

  private final ByteArrayOutputStream log = new ByteArrayOutputStream();

  private Path files(String endpoint) throws Exception {
    Path events = dir.resolve("events.txt");
    Files.writeString(
        dir.resolve("recorder.yaml"),
        """
        apiVersion: kubeless.io/v1beta1
        kind: Function
        metadata: {name: recorder}
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
                    f.write(str(data) + "\\n")
                return "recorded"
        ---
        apiVersion: kubeless.io/v1beta1
        kind: KinesisTrigger
        metadata: {name: orders}
        spec:
          function-name: recorder
          stream: orders
          aws-region: us-east-1
          endpoint: %s
          startFrom: trim_horizon
          secret: aws
        ---
        apiVersion: kubeless.io/v1beta1
        kind: KinesisTrigger
        metadata: {name: broken}
        spec:
          function-name: recorder
          stream: audit
          aws-region: us-east-1
          endpoint: %s
          secret: partial
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: aws}
        stringData: {aws_access_key_id: AKIDLOCAL, aws_secret_access_key: s3cr3t}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: partial}
        stringData: {aws_access_key_id: AKIDLOCAL}
        """
            .formatted("\"" + events.toAbsolutePath() + "\"", endpoint, endpoint));
    return events;
  }

  private LocalPlatform start() throws Exception {
    PrintStream out = new PrintStream(new TeeStream(log, System.out), true, StandardCharsets.UTF_8);
    return LocalPlatform.start(
        Manifests.load(List.of(dir)),
        new LocalPlatform.Options(
            dir.resolve(".kubeless"), Path.of("..", "runtimes"), null, 0, null, 0, out));
  }

  private static void awaitReading(LocalPlatform platform) {
    await("the KinesisTrigger reading for the function")
        .atMost(TIMEOUT)
        .until(
            () ->
                platform
                    .kinesisTrigger(ORDERS)
                    .map(
                        s ->
                            !s.functions().isEmpty()
                                && s.functions().stream().allMatch(BindingState::ready))
                    .orElse(false));
  }

  private static void put(KinesisClient kinesis, int from, int to) {
    for (int i = from; i < to; i++) {
      int n = i;
      kinesis.putRecord(
          r ->
              r.streamName("orders")
                  .partitionKey("key-" + n)
                  .data(SdkBytes.fromString("order-" + n, StandardCharsets.UTF_8)));
    }
  }

  private static List<String> lines(Path events) throws Exception {
    return Files.exists(events) ? Files.readAllLines(events) : List.of();
  }

  @Test
  void everyShardIsDeliveredAndARestartResumesAfterTheCheckpoint() throws Exception {
    try (KinesisLocal emulator = KinesisLocal.start();
        KinesisClient kinesis =
            KinesisClient.builder()
                .endpointOverride(URI.create(emulator.endpoint()))
                .region(Region.US_EAST_1)
                .credentialsProvider(
                    StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")))
                .httpClient(UrlConnectionHttpClient.create())
                .build()) {
      kinesis.createStream(r -> r.streamName("orders").shardCount(2));
      await()
          .atMost(TIMEOUT)
          .until(
              () ->
                  kinesis
                          .describeStreamSummary(r -> r.streamName("orders"))
                          .streamDescriptionSummary()
                          .streamStatus()
                      == StreamStatus.ACTIVE);
      Path events = files(emulator.endpoint());
      put(kinesis, 0, 20);

      LocalPlatform platform = start();
      try {
        assertThat(log.toString(StandardCharsets.UTF_8))
            .contains("  kinesis: checkpoints in " + dir.resolve(".kubeless").resolve("kinesis"));
        awaitReading(platform);
        // the Secrets of the files: the one naming a Secret without a key reads nothing
        await("the trigger whose Secret lacks a key reported")
            .atMost(TIMEOUT)
            .until(
                () ->
                    platform.kinesisTrigger(new TriggerId("default", "broken")).stream()
                        .flatMap(s -> s.functions().stream())
                        .anyMatch(
                            b ->
                                b.reason().equals("CredentialsInvalid")
                                    && b.message()
                                        .contains(
                                            "Secret partial in namespace default (of the files)"
                                                + " has no key aws_secret_access_key")));
        assertThat(log.toString(StandardCharsets.UTF_8)).doesNotContain("is not in the files");
        await("the 20 records delivered").atMost(TIMEOUT).until(() -> lines(events).size() >= 20);
      } finally {
        platform.close();
      }
      assertThat(lines(events)).hasSize(20).doesNotHaveDuplicates();

      // put while local mode is down: a restart takes exactly those, after the checkpoints
      put(kinesis, 20, 30);
      LocalPlatform again = start();
      try {
        awaitReading(again);
        await("the 10 records put meanwhile delivered")
            .atMost(TIMEOUT)
            .until(() -> lines(events).size() >= 30);
      } finally {
        again.close();
      }
      assertThat(lines(events)).hasSize(30).doesNotHaveDuplicates();
      assertThat(lines(events))
          .containsExactlyInAnyOrderElementsOf(
              java.util.stream.IntStream.range(0, 30).mapToObj(i -> "order-" + i).toList());
    }
  }
}
