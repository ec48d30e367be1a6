package io.kubeless.cli;

import io.fabric8.kubernetes.api.model.Secret;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * {@code kubeless trigger kinesis publish} and {@code create-stream}: AWS SDK calls made from the
 * command line, as Kubeless's, with the AWS keys of a Kubernetes Secret ({@code --secret}, keys
 * {@code aws_access_key_id}, {@code aws_secret_access_key} and optionally {@code
 * aws_session_token}) or, without {@code --secret}, of the AWS default chain (environment, system
 * properties, profiles, container and instance roles). {@code --endpoint} points them at another
 * service URL (an emulator, a VPC endpoint).
 */
final class KinesisStreamCommands {

  static final String ACCESS_KEY = "aws_access_key_id";
  static final String SECRET_KEY = "aws_secret_access_key";
  static final String SESSION_TOKEN = "aws_session_token";

  /** The keys used against an {@code --endpoint} when there are none: local mode's too. */
  static final String PLACEHOLDER = "local";

  /** PutRecords takes at most 500 records a call. */
  private static final int MAX_BATCH = 500;

  private static final Duration POLL = Duration.ofMillis(250);

  private KinesisStreamCommands() {}

  /** The flags both commands share, and the client they build. */
  abstract static class AwsCommand implements Callable<Integer> {
    final Cli cli;

    @Spec CommandSpec spec;

    @Option(
        names = "--aws-region",
        required = true,
        description = "AWS region in which the stream is (e.g. us-east-1)")
    String region;

    @Option(
        names = "--secret",
        description =
            "Kubernetes secret that has AWS access key and secret key (keys "
                + ACCESS_KEY
                + ", "
                + SECRET_KEY
                + ", optional "
                + SESSION_TOKEN
                + "); default: the AWS default credentials chain (AWS_ACCESS_KEY_ID etc.)")
    String secret;

    @Option(
        names = "--endpoint",
        description = "Override AWS's default service URL with the given URL")
    String endpoint;

    @Option(
        names = {"-n", "--namespace"},
        description = "Namespace of the --secret (default: the kube context's, else default)")
    String namespace;

    AwsCommand(Cli cli) {
      this.cli = cli;
    }

    private URI endpointUri() {
      if (endpoint == null || endpoint.isBlank()) {
        return null;
      }
      try {
        URI uri = new URI(endpoint);
        if (!uri.isAbsolute() || uri.getHost() == null) {
          throw usage("Invalid --endpoint \"" + endpoint + "\": expected an absolute URL");
        }
        return uri;
      } catch (URISyntaxException e) {
        throw usage("Invalid --endpoint \"" + endpoint + "\": " + e.getMessage());
      }
    }

    CommandLine.ParameterException usage(String message) {
      return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /** The credentials of {@code --secret}, else of the default chain, resolved now. */
    private AwsCredentialsProvider credentials() {
      if (secret == null || secret.isBlank()) {
        DefaultCredentialsProvider chain = DefaultCredentialsProvider.builder().build();
        try {
          chain.resolveCredentials();
        } catch (SdkClientException e) {
          if (endpointUri() != null) {
            // as local mode does: an emulator (kinesis-local) takes any keys
            cli.err()
                .println(
                    "note: no AWS credentials (--secret or the default chain); using placeholder"
                        + " ones for --endpoint "
                        + endpoint
                        + ", which an emulator such as kinesis-local accepts and AWS refuses");
            cli.err().flush();
            return StaticCredentialsProvider.create(
                AwsBasicCredentials.create(PLACEHOLDER, PLACEHOLDER));
          }
          throw new Cli.CliException(
              "No AWS credentials: give --secret NAME (a Secret with keys %s and %s) or set them"
                      .formatted(ACCESS_KEY, SECRET_KEY)
                  + " for the AWS default chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,"
                  + " a profile, a role)",
              e);
        }
        return chain;
      }
      String ns = cli.namespace(namespace);
      Secret stored = cli.client().resources(Secret.class).inNamespace(ns).withName(secret).get();
      if (stored == null) {
        throw new Cli.CliException(
            "Unable to find Secret %s in namespace %s (it holds the AWS keys for --secret)"
                .formatted(secret, ns));
      }
      String accessKey = value(stored, ACCESS_KEY, ns, true);
      String secretKey = value(stored, SECRET_KEY, ns, true);
      String token = value(stored, SESSION_TOKEN, ns, false);
      AwsCredentials credentials =
          token == null
              ? AwsBasicCredentials.create(accessKey, secretKey)
              : AwsSessionCredentials.create(accessKey, secretKey, token);
      return StaticCredentialsProvider.create(credentials);
    }

    /** A key of the Secret, from {@code data} (base64) or {@code stringData}. */
    private String value(Secret stored, String key, String ns, boolean required) {
      String value = null;
      if (stored.getData() != null && stored.getData().get(key) != null) {
        try {
          value =
              new String(
                  Base64.getMimeDecoder().decode(stored.getData().get(key)),
                  StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          throw new Cli.CliException(
              "Secret %s in namespace %s: key %s is not base64".formatted(secret, ns, key), e);
        }
      } else if (stored.getStringData() != null) {
        value = stored.getStringData().get(key);
      }
      value = value == null ? null : value.strip();
      if (value == null || value.isEmpty()) {
        if (required) {
          throw new Cli.CliException(
              "Secret %s in namespace %s has no key %s (it needs %s and %s)"
                  .formatted(secret, ns, key, ACCESS_KEY, SECRET_KEY));
        }
        return null;
      }
      return value;
    }

    /** The sync client on the JDK's URLConnection, failing fast on an unreachable endpoint. */
    KinesisClient client() {
      URI uri = endpointUri();
      var builder =
          KinesisClient.builder()
              .region(Region.of(region))
              .credentialsProvider(credentials())
              .httpClientBuilder(
                  UrlConnectionHttpClient.builder()
                      .connectionTimeout(Duration.ofSeconds(5))
                      .socketTimeout(Duration.ofSeconds(30)));
      if (uri != null) {
        builder.endpointOverride(uri);
      }
      return builder.build();
    }

    /** Where the calls go, for messages. */
    String where() {
      return endpoint == null || endpoint.isBlank()
          ? "the Kinesis endpoint of region " + region
          : endpoint;
    }

    /** A one-line message for an SDK failure of {@code what} on stream {@code stream}. */
    Cli.CliException failure(SdkException e, String what, String stream) {
      if (e instanceof ResourceNotFoundException) {
        return new Cli.CliException(
            "stream %s not found in region %s%s".formatted(stream, region, atEndpoint()), e);
      }
      if (e instanceof AwsServiceException service && service.awsErrorDetails() != null) {
        var details = service.awsErrorDetails();
        return new Cli.CliException(
            "Failed %s: %s (%s, HTTP %d from %s)"
                .formatted(
                    what,
                    details.errorMessage() == null ? service.getMessage() : details.errorMessage(),
                    details.errorCode(),
                    service.statusCode(),
                    where()),
            e);
      }
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof IOException) {
          return new Cli.CliException(
              "Failed %s: cannot reach %s: %s".formatted(what, where(), rootCause(e)), e);
        }
      }
      return new Cli.CliException("Failed %s: %s".formatted(what, e.getMessage()), e);
    }

    private String atEndpoint() {
      return endpoint == null || endpoint.isBlank() ? "" : " (endpoint " + endpoint + ")";
    }

    private static String rootCause(Throwable e) {
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      String message = root.getMessage();
      return message == null
          ? root.getClass().getSimpleName()
          : root.getClass().getSimpleName() + ": " + message;
    }
  }

  /**
   * {@code trigger kinesis publish --stream --aws-region --partition-key --records R [--records R2
   * ...]}: each {@code --records} is one record (its UTF-8 bytes, commas included, as Kubeless's
   * string array), all with the same partition key, in order, by PutRecords.
   */
  @Command(
      name = "publish",
      description = "publish message to a Kinesis stream",
      mixinStandardHelpOptions = true)
  static final class Publish extends AwsCommand {

    @Option(names = "--stream", required = true, description = "Name of the AWS Kinesis stream")
    String stream;

    @Option(
        names = "--partition-key",
        required = true,
        description = "partition key to use put message in AWS kinesis stream")
    String partitionKey;

    @Option(
        names = "--records",
        required = true,
        arity = "1",
        paramLabel = "RECORD",
        description =
            "A record to publish to the stream; repeat the flag for several (--records a --records"
                + " b); a value is one record, commas included")
    List<String> records;

    Publish(Cli cli) {
      super(cli);
    }

    @Override
    public Integer call() {
      if (partitionKey.isEmpty()) {
        throw usage("--partition-key must not be empty");
      }
      // shard -> [count, first sequence number, last sequence number], in the order first seen
      Map<String, String[]> shards = new LinkedHashMap<>();
      int published = 0;
      List<String> failures = new ArrayList<>();
      try (KinesisClient kinesis = client()) {
        for (int from = 0; from < records.size(); from += MAX_BATCH) {
          List<String> batch = records.subList(from, Math.min(records.size(), from + MAX_BATCH));
          List<PutRecordsRequestEntry> entries =
              batch.stream()
                  .map(
                      r ->
                          PutRecordsRequestEntry.builder()
                              .data(SdkBytes.fromUtf8String(r))
                              .partitionKey(partitionKey)
                              .build())
                  .toList();
          PutRecordsResponse response;
          try {
            response = kinesis.putRecords(b -> b.streamName(stream).records(entries));
          } catch (SdkException e) {
            if (published > 0) {
              print(published, shards);
            }
            throw failure(e, "to put records into stream " + stream, stream);
          }
          List<PutRecordsResultEntry> results = response.records();
          for (int i = 0; i < results.size(); i++) {
            PutRecordsResultEntry result = results.get(i);
            if (result.errorCode() != null) {
              failures.add(
                  "record %d: %s: %s"
                      .formatted(from + i + 1, result.errorCode(), result.errorMessage()));
              continue;
            }
            published++;
            String[] shard =
                shards.computeIfAbsent(
                    result.shardId(), s -> new String[] {"0", result.sequenceNumber(), null});
            shard[0] = String.valueOf(Integer.parseInt(shard[0]) + 1);
            shard[2] = result.sequenceNumber();
          }
        }
      }
      print(published, shards);
      if (!failures.isEmpty()) {
        throw new Cli.CliException(
            "%d of %d records were not published to stream %s: %s"
                .formatted(failures.size(), records.size(), stream, String.join("; ", failures)));
      }
      return 0;
    }

    /** {@code Published 3 records to stream S in R}, then a line per shard. */
    private void print(int published, Map<String, String[]> shards) {
      cli.out()
          .printf(
              "Published %d record%s to stream %s in %s%n",
              published, published == 1 ? "" : "s", stream, region);
      shards.forEach(
          (shard, s) ->
              cli.out()
                  .printf(
                      "  %s: %s record%s, sequence numbers %s%n",
                      shard,
                      s[0],
                      s[0].equals("1") ? "" : "s",
                      s[1].equals(s[2]) ? s[1] : s[1] + " .. " + s[2]));
      cli.out().flush();
    }
  }

  /**
   * {@code trigger kinesis create-stream --stream-name --shard-count (1) --aws-region}: creates the
   * stream and waits until it is ACTIVE. Kubeless's usage line also shows the name as an argument,
   * so {@code create-stream NAME} works too.
   */
  @Command(
      name = "create-stream",
      description =
          "Create a Kinesis stream and wait until it is ACTIVE. Provided for convenience and"
              + " quick testing",
      mixinStandardHelpOptions = true)
  static final class CreateStream extends AwsCommand {

    @Parameters(
        arity = "0..1",
        paramLabel = "STREAM",
        description = "The stream's name, instead of --stream-name")
    String positionalName;

    @Option(names = "--stream-name", description = "A name to identify the stream.")
    String streamName;

    @Option(
        names = "--shard-count",
        defaultValue = "1",
        description = "The number of shards that the stream will use (default: ${DEFAULT-VALUE})")
    int shardCount;

    @Option(
        names = "--timeout",
        defaultValue = "2m",
        paramLabel = "TIMEOUT",
        description =
            "How long to wait for the stream to become ACTIVE, e.g. 90s, 5m"
                + " (default: ${DEFAULT-VALUE})")
    String timeout;

    CreateStream(Cli cli) {
      super(cli);
    }

    @Override
    public Integer call() throws InterruptedException {
      String name = name();
      if (shardCount < 1) {
        throw usage("--shard-count must be at least 1, not " + shardCount);
      }
      Duration limit;
      try {
        limit = WaitOption.parse(timeout);
      } catch (IllegalArgumentException e) {
        throw usage("Invalid value for --timeout \"%s\": %s".formatted(timeout, e.getMessage()));
      }
      try (KinesisClient kinesis = client()) {
        try {
          kinesis.createStream(b -> b.streamName(name).shardCount(shardCount));
        } catch (ResourceInUseException e) {
          throw new Cli.CliException(
              "stream %s already exists in region %s%s"
                  .formatted(
                      name,
                      region,
                      endpoint == null || endpoint.isBlank() ? "" : " (endpoint " + endpoint + ")"),
              e);
        } catch (SdkException e) {
          throw failure(e, "to create stream " + name, name);
        }
        awaitActive(kinesis, name, limit);
      }
      cli.out()
          .printf(
              "Kinesis stream %s created in %s with %d shard%s%n",
              name, region, shardCount, shardCount == 1 ? "" : "s");
      return 0;
    }

    private String name() {
      boolean flag = streamName != null && !streamName.isBlank();
      boolean argument = positionalName != null && !positionalName.isBlank();
      if (flag && argument && !streamName.equals(positionalName)) {
        throw usage(
            "Two stream names: \"%s\" and --stream-name \"%s\""
                .formatted(positionalName, streamName));
      }
      if (!flag && !argument) {
        throw usage("Missing required option: '--stream-name=<streamName>'");
      }
      return flag ? streamName : positionalName;
    }

    /** Polls the stream's status, printing it on stderr when it changes, until ACTIVE. */
    private void awaitActive(KinesisClient kinesis, String name, Duration limit)
        throws InterruptedException {
      Instant deadline = Instant.now().plus(limit);
      StreamStatus last = null;
      while (true) {
        StreamStatus status;
        try {
          status =
              kinesis
                  .describeStreamSummary(b -> b.streamName(name))
                  .streamDescriptionSummary()
                  .streamStatus();
        } catch (SdkException e) {
          throw failure(e, "to describe stream " + name, name);
        }
        if (status == StreamStatus.ACTIVE) {
          return;
        }
        if (status != last) {
          cli.err().printf("Waiting for stream %s to become ACTIVE: %s%n", name, status);
          cli.err().flush();
          last = status;
        }
        if (status == StreamStatus.DELETING || Instant.now().isAfter(deadline)) {
          throw new Cli.CliException(
              "stream %s is %s, not ACTIVE, %s"
                  .formatted(
                      name,
                      status,
                      status == StreamStatus.DELETING
                          ? "it is being deleted"
                          : "after " + timeout + " (--timeout)"));
        }
        Thread.sleep(POLL);
      }
    }
  }
}
