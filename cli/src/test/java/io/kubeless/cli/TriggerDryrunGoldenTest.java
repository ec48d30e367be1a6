package io.kubeless.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code trigger <kind> create --dryrun -o yaml} of each kind, byte for byte, with no API call: the
 * objects a script gets are those of {@code src/test/resources/golden/trigger-<kind>-dryrun.yaml}
 * (regenerate with {@code -Dgolden.update=true}).
 */
class TriggerDryrunGoldenTest {

  static Stream<Arguments> kinds() {
    return Stream.of(
        Arguments.of(
            "kafka",
            new String[] {
              "--trigger-topic", "orders", "--function-selector", "app=shop,tier=backend"
            }),
        Arguments.of(
            "nats",
            new String[] {"--trigger-topic", "events", "--function-selector", "function=hello"}),
        Arguments.of(
            "http",
            new String[] {
              "--function-name",
              "hello",
              "--hostname",
              "hello.example.com",
              "--path",
              "greet",
              "--tls-secret",
              "hello-tls",
              "--basic-auth-secret",
              "users",
              "--cors-enable"
            }),
        Arguments.of(
            "cronjob",
            new String[] {
              "--function",
              "hello",
              "--schedule",
              "*/5 * * * *",
              "-p",
              "{\"user\":\"cron\",\"n\":1}"
            }),
        Arguments.of(
            "kinesis",
            new String[] {
              "--function-name",
              "hello",
              "--stream",
              "orders",
              "--aws-region",
              "eu-west-1",
              "--shard-id",
              "shardId-000000000000",
              "--secret",
              "aws-keys",
              "--endpoint",
              "http://localstack:4566"
            }));
  }

  @ParameterizedTest(name = "trigger {0} create --dryrun")
  @MethodSource("kinds")
  void dryrunYamlMatchesTheGoldenFile(String kind, String[] flags) throws IOException {
    List<String> args =
        new ArrayList<>(
            List.of("trigger", kind, "create", "hello-" + kind, "-n", "default", "--dryrun"));
    args.addAll(List.of(flags));

    CliRun run = CliRun.offline(args.toArray(String[]::new));

    assertThat(run.code()).as(run.err()).isZero();
    GoldenFiles.assertMatches("trigger-" + kind + "-dryrun.yaml", run.out());
  }
}
