package io.kubeless.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.kubeless.testing.BrokerTest;
import io.kubeless.testing.KinesisLocal;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * {@code trigger kinesis create-stream} and {@code publish} against the real {@code kinesis-local}
 * emulator, checked with the AWS SDK; {@code --secret} read from the mock API server.
 */
@BrokerTest
@EnableKubernetesMockClient(crud = true)
class KinesisStreamCommandsTest {

  private static final String REGION = "us-east-1";

  /** kinesis-local keeps the streams of a 12-digit access key id apart, as that account's. */
  private static final String ACCOUNT_KEY = "123456789012";

  private static final AtomicInteger STREAMS = new AtomicInteger();

  private static KinesisLocal emulator;
  private static KinesisClient sdk;

  KubernetesClient client;

  @BeforeAll
  static void startEmulator() {
    emulator = KinesisLocal.start();
    sdk = sdk("test-key");
  }

  @AfterAll
  static void stopEmulator() {
    if (sdk != null) {
      sdk.close();
    }
    if (emulator != null) {
      emulator.close();
    }
  }

  private static KinesisClient sdk(String accessKey) {
    return KinesisClient.builder()
        .region(Region.of(REGION))
        .endpointOverride(URI.create(emulator.endpoint()))
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, "test-secret")))
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        .build();
  }

  private static String newStreamName() {
    return "stream-" + STREAMS.incrementAndGet();
  }

  /** A stream made with the SDK, once ACTIVE. */
  private static String activeStream(int shards) {
    String name = newStreamName();
    sdk.createStream(b -> b.streamName(name).shardCount(shards));
    await("stream " + name + " ACTIVE")
        .atMost(Duration.ofSeconds(30))
        .until(() -> summary(sdk, name).streamStatus() == StreamStatus.ACTIVE);
    return name;
  }

  private static StreamDescriptionSummary summary(KinesisClient kinesis, String stream) {
    return kinesis.describeStreamSummary(b -> b.streamName(stream)).streamDescriptionSummary();
  }

  /** Every record of every shard of the stream, from the oldest, shard after shard. */
  private static List<Record> readAll(KinesisClient kinesis, String stream, int expected) {
    List<Record> records = new ArrayList<>();
    await("records of " + stream)
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              records.clear();
              for (Shard shard : kinesis.listShards(b -> b.streamName(stream)).shards()) {
                String iterator =
                    kinesis
                        .getShardIterator(
                            b ->
                                b.streamName(stream)
                                    .shardId(shard.shardId())
                                    .shardIteratorType(ShardIteratorType.TRIM_HORIZON))
                        .shardIterator();
                String current = iterator;
                records.addAll(
                    kinesis.getRecords(b -> b.shardIterator(current).limit(1000)).records());
              }
              return records.size() >= expected;
            });
    return records;
  }

  private void secret(String namespace, String name, Map<String, String> keys) {
    Map<String, String> data = new java.util.HashMap<>();
    keys.forEach((k, v) -> data.put(k, Base64.getEncoder().encodeToString(v.getBytes())));
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .endMetadata()
                .withData(data)
                .build())
        .create();
  }

  private void awsSecret(String namespace, String name) {
    secret(
        namespace,
        name,
        Map.of("aws_access_key_id", "test-key", "aws_secret_access_key", "test-secret"));
  }

  @Test
  void createStreamWaitsUntilTheStreamIsActiveWithItsShards() {
    awsSecret("streams", "aws");
    String name = newStreamName();

    CliRun run =
        CliRun.run(
            client,
            "trigger",
            "kinesis",
            "create-stream",
            "--stream-name",
            name,
            "--shard-count",
            "3",
            "--aws-region",
            REGION,
            "--endpoint",
            emulator.endpoint(),
            "--secret",
            "aws",
            "-n",
            "streams");

    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out()).isEqualTo("Kinesis stream %s created in us-east-1 with 3 shards%n", name);
    // kinesis-local keeps a new stream CREATING for 500 ms
    assertThat(run.err()).contains("Waiting for stream " + name + " to become ACTIVE: CREATING");
    // the command returned once ACTIVE: no waiting here
    StreamDescriptionSummary summary = summary(sdk, name);
    assertThat(summary.streamStatus()).isEqualTo(StreamStatus.ACTIVE);
    assertThat(summary.openShardCount()).isEqualTo(3);
    assertThat(sdk.listShards(b -> b.streamName(name)).shards()).hasSize(3);
  }

  @Test
  void createStreamTakesTheNameAsArgumentAndOneShardByDefault() {
    awsSecret(client.getNamespace(), "aws");
    String name = newStreamName();

    CliRun run =
        CliRun.run(
            client,
            "trigger",
            "kinesis",
            "create-stream",
            name,
            "--aws-region",
            REGION,
            "--endpoint",
            emulator.endpoint(),
            "--secret",
            "aws");

    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out()).contains("with 1 shard\n");
    assertThat(summary(sdk, name).openShardCount()).isEqualTo(1);
  }

  @Test
  void createStreamOfAnExistingStreamFailsNamingIt() {
    awsSecret(client.getNamespace(), "aws");
    String name = activeStream(1);

    CliRun run =
        CliRun.run(
            client,
            "trigger",
            "kinesis",
            "create-stream",
            "--stream-name",
            name,
            "--shard-count",
            "2",
            "--aws-region",
            REGION,
            "--endpoint",
            emulator.endpoint(),
            "--secret",
            "aws");

    assertThat(run.code()).isEqualTo(1);
    assertThat(run.err())
        .startsWith("Error: stream " + name + " already exists in region us-east-1");
    assertThat(summary(sdk, name).openShardCount()).as("the stream is unchanged").isEqualTo(1);
  }

  @Test
  void theSecretsKeysSignTheCalls() {
    // a 12-digit access key id is an account of its own to kinesis-local: the stream shows up
    // there, and not in the account of other keys, only if the Secret's keys signed the call
    secret(
        "team",
        "account",
        Map.of(
            "aws_access_key_id",
            ACCOUNT_KEY,
            "aws_secret_access_key",
            "s3cret",
            "aws_session_token",
            "token"));
    String name = newStreamName();

    CliRun run =
        CliRun.run(
            client,
            "trigger",
            "kinesis",
            "create-stream",
            "--stream-name",
            name,
            "--aws-region",
            REGION,
            "--endpoint",
            emulator.endpoint(),
            "--secret",
            "account",
            "-n",
            "team");

    assertThat(run.code()).as(run.err()).isZero();
    try (KinesisClient account = sdk(ACCOUNT_KEY)) {
      assertThat(summary(account, name).streamStatus()).isEqualTo(StreamStatus.ACTIVE);
    }
    assertThat(sdk.listStreams().streamNames()).doesNotContain(name);
  }

  @Test
  void publishPutsEveryRecordWithThePartitionKeyInOrder() {
    awsSecret(client.getNamespace(), "aws");
    String stream = activeStream(1);
    List<String> records = List.of("{\"id\":1,\"tags\":\"a,b\"}", "two", "drei ünï");

    CliRun run =
        CliRun.run(
            client,
            "trigger",
            "kinesis",
            "publish",
            "--stream",
            stream,
            "--aws-region",
            REGION,
            "--partition-key",
            "order-42",
            "--records",
            records.get(0),
            "--records",
            records.get(1),
            "--records",
            records.get(2),
            "--endpoint",
            emulator.endpoint(),
            "--secret",
            "aws");

    assertThat(run.code()).as(run.err()).isZero();
    List<Record> read = readAll(sdk, stream, 3);
    assertThat(read).extracting(r -> r.data().asUtf8String()).containsExactlyElementsOf(records);
    assertThat(read).extracting(Record::partitionKey).containsOnly("order-42");
    assertThat(run.out())
        .startsWith("Published 3 records to stream " + stream + " in us-east-1\n")
        .contains(
            "  shardId-000000000000: 3 records, sequence numbers "
                + read.getFirst().sequenceNumber()
                + " .. "
                + read.getLast().sequenceNumber());
  }

  @Test
  void publishSpreadsRecordsOverTheShardsByPartitionKey() {
    awsSecret(client.getNamespace(), "aws");
    String stream = activeStream(4);
    List<String> keys = List.of("a", "b", "c", "d", "e", "f", "g", "h");
    List<String> shardsUsed = new ArrayList<>();

    for (String key : keys) {
      CliRun run =
          CliRun.run(
              client,
              "trigger",
              "kinesis",
              "publish",
              "--stream",
              stream,
              "--aws-region",
              REGION,
              "--partition-key",
              key,
              "--records",
              "record-" + key,
              "--endpoint",
              emulator.endpoint(),
              "--secret",
              "aws");
      assertThat(run.code()).as(run.err()).isZero();
      assertThat(run.out()).startsWith("Published 1 record to stream ");
      shardsUsed.add(run.out().lines().toList().get(1).strip().split(":")[0]);
    }

    List<Record> read = readAll(sdk, stream, keys.size());
    assertThat(read)
        .extracting(r -> r.partitionKey() + "=" + r.data().asUtf8String())
        .containsExactlyInAnyOrderElementsOf(keys.stream().map(k -> k + "=record-" + k).toList());
    assertThat(shardsUsed).allMatch(s -> s.startsWith("shardId-")).hasSize(keys.size());
    assertThat(shardsUsed.stream().distinct().count()).as(shardsUsed.toString()).isGreaterThan(1);
  }

  @Test
  void withoutSecretTheDefaultChainIsUsedAndNoApiServerIsNeeded() {
    String stream = activeStream(1);
    System.setProperty("aws.accessKeyId", "chain-key");
    System.setProperty("aws.secretAccessKey", "chain-secret");
    CliRun run;
    try {
      run =
          CliRun.offline(
              "trigger",
              "kinesis",
              "publish",
              "--stream",
              stream,
              "--aws-region",
              REGION,
              "--partition-key",
              "k",
              "--records",
              "from the chain",
              "--endpoint",
              emulator.endpoint());
    } finally {
      System.clearProperty("aws.accessKeyId");
      System.clearProperty("aws.secretAccessKey");
    }

    assertThat(run.code()).as(run.err()).isZero();
    assertThat(readAll(sdk, stream, 1))
        .extracting(r -> r.data().asUtf8String())
        .containsExactly("from the chain");
  }

  @Test
  void withoutAnyCredentialsAnEndpointGetsPlaceholderKeysAsLocalMode() {
    // the default chain without profiles or an instance role: only the environment's keys remain
    Map<String, String> none =
        Map.of(
            "aws.sharedCredentialsFile", "/nonexistent/credentials",
            "aws.configFile", "/nonexistent/config",
            "aws.disableEc2Metadata", "true");
    none.forEach(System::setProperty);
    boolean chain;
    CliRun run;
    String stream = "placeholder-" + STREAMS.incrementAndGet();
    try {
      try {
        DefaultCredentialsProvider.builder().build().resolveCredentials();
        chain = true;
      } catch (SdkClientException e) {
        chain = false;
      }
      run =
          CliRun.offline(
              "trigger",
              "kinesis",
              "create-stream",
              stream,
              "--aws-region",
              REGION,
              "--endpoint",
              emulator.endpoint());
    } finally {
      none.keySet().forEach(System::clearProperty);
    }

    assertThat(run.code()).as(run.err()).isZero();
    if (!chain) { // this machine's environment has no AWS keys: the placeholders made the stream
      assertThat(run.err())
          .contains("note: no AWS credentials (--secret or the default chain); using placeholder")
          .contains("--endpoint " + emulator.endpoint());
      try (KinesisClient asLocalMode =
          KinesisClient.builder()
              .endpointOverride(URI.create(emulator.endpoint()))
              .region(Region.of(REGION))
              .credentialsProvider(
                  StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")))
              .httpClient(UrlConnectionHttpClient.create())
              .build()) {
        assertThat(asLocalMode.listStreams().streamNames()).contains(stream);
      }
    }
  }

  @Test
  void publishToAnUnknownStreamFailsNamingStreamAndRegion() {
    awsSecret(client.getNamespace(), "aws");

    CliRun run =
        CliRun.run(
            client,
            "trigger",
            "kinesis",
            "publish",
            "--stream",
            "no-such-stream",
            "--aws-region",
            REGION,
            "--partition-key",
            "k",
            "--records",
            "r",
            "--endpoint",
            emulator.endpoint(),
            "--secret",
            "aws");

    assertThat(run.code()).isEqualTo(1);
    assertThat(run.err())
        .startsWith("Error: stream no-such-stream not found in region us-east-1")
        .contains(emulator.endpoint());
    assertThat(run.out()).isEmpty();
    assertThat(sdk.listStreams().streamNames()).doesNotContain("no-such-stream");
  }

  @Test
  void aMissingSecretFailsNamingItAndItsNamespace() {
    String name = newStreamName();

    CliRun run =
        CliRun.run(
            client,
            "trigger",
            "kinesis",
            "create-stream",
            "--stream-name",
            name,
            "--aws-region",
            REGION,
            "--endpoint",
            emulator.endpoint(),
            "--secret",
            "missing",
            "-n",
            "team");

    assertThat(run.code()).isEqualTo(1);
    assertThat(run.err()).startsWith("Error: Unable to find Secret missing in namespace team");
    assertThat(sdk.listStreams().streamNames()).doesNotContain(name);
  }

  @Test
  void aSecretWithoutTheSecretKeyFailsNamingTheKey() {
    secret(client.getNamespace(), "half", Map.of("aws_access_key_id", "test-key"));

    CliRun run =
        CliRun.run(
            client,
            "trigger",
            "kinesis",
            "publish",
            "--stream",
            "any",
            "--aws-region",
            REGION,
            "--partition-key",
            "k",
            "--records",
            "r",
            "--endpoint",
            emulator.endpoint(),
            "--secret",
            "half");

    assertThat(run.code()).isEqualTo(1);
    assertThat(run.err())
        .startsWith(
            "Error: Secret half in namespace "
                + client.getNamespace()
                + " has no key aws_secret_access_key");
  }

  @Test
  void anUnreachableEndpointFailsNamingIt() throws IOException {
    awsSecret(client.getNamespace(), "aws");
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    String endpoint = "http://127.0.0.1:" + port;

    CliRun run =
        CliRun.run(
            client,
            "trigger",
            "kinesis",
            "create-stream",
            "--stream-name",
            "s",
            "--aws-region",
            REGION,
            "--endpoint",
            endpoint,
            "--secret",
            "aws");

    assertThat(run.code()).isEqualTo(1);
    assertThat(run.err())
        .startsWith("Error: Failed to create stream s: cannot reach " + endpoint + ":");
  }

  @Test
  void missingFlagsAndBadValuesAreUsageErrors() {
    CliRun noRecords =
        CliRun.offline(
            "trigger",
            "kinesis",
            "publish",
            "--stream",
            "s",
            "--aws-region",
            REGION,
            "--partition-key",
            "k");
    CliRun noName = CliRun.offline("trigger", "kinesis", "create-stream", "--aws-region", REGION);
    CliRun badEndpoint =
        CliRun.offline(
            "trigger",
            "kinesis",
            "create-stream",
            "s",
            "--aws-region",
            REGION,
            "--endpoint",
            "not a url");
    CliRun noShards =
        CliRun.offline(
            "trigger",
            "kinesis",
            "create-stream",
            "s",
            "--aws-region",
            REGION,
            "--shard-count",
            "0");

    assertThat(noRecords.code()).isEqualTo(2);
    assertThat(noRecords.err()).contains("--records");
    assertThat(noName.code()).isEqualTo(2);
    assertThat(noName.err()).contains("--stream-name");
    assertThat(badEndpoint.code()).isEqualTo(2);
    assertThat(badEndpoint.err()).contains("Invalid --endpoint \"not a url\"");
    assertThat(noShards.code()).isEqualTo(2);
    assertThat(noShards.err()).contains("--shard-count must be at least 1");
  }
}
