package io.kubeless.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.engine.BindingState;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CronJobTriggers in local mode, as a user runs them: a per-second trigger in YAML reaches a local
 * Python function with its payload, each tick once, with event ids made of the trigger's uid and
 * the tick's second.
 */
class LocalCronTriggerTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(90);
  private static final TriggerId REPORT = new TriggerId("default", "report");

  @TempDir Path dir;

  private final ByteArrayOutputStream log = new ByteArrayOutputStream();

  @Test
  void aPerSecondTriggerInYamlReachesTheLocalFunctionOncePerTick() throws Exception {
    Path events = dir.resolve("events.txt");
    Files.writeString(
        dir.resolve("report.yaml"),
        """
        apiVersion: kubeless.io/v1beta1
        kind: Function
        metadata: {name: reporter}
        spec:
          runtime: python3.12
          handler: reporter.handler
          timeout: "10"
          function: |
            def handler(event, context):
                with open(%s, "a") as f:
                    f.write(event["event-id"] + " " + str(event["data"]["report"]) + "\\n")
                return "done"
        ---
        apiVersion: kubeless.io/v1beta1
        kind: CronJobTrigger
        metadata: {name: report, uid: 6f1c2d3e-0000-4000-8000-000000000001}
        spec:
          function-name: reporter
          schedule: "@every 1s"
          payload: {report: daily}
        """
            .formatted("\"" + events.toAbsolutePath() + "\""));
    PrintStream out = new PrintStream(new TeeStream(log, System.out), true, StandardCharsets.UTF_8);

    LocalPlatform platform =
        LocalPlatform.start(
            Manifests.load(List.of(dir)),
            new LocalPlatform.Options(
                dir.resolve(".kubeless"), Path.of("..", "runtimes"), null, 0, null, 0, out));
    try {
      assertThat(log.toString(StandardCharsets.UTF_8))
          .contains("cron trigger report: schedule @every 1s -> reporter");
      await("the trigger firing")
          .atMost(TIMEOUT)
          .until(
              () ->
                  platform
                      .cronTrigger(REPORT)
                      .map(
                          s ->
                              !s.functions().isEmpty()
                                  && s.functions().stream().allMatch(BindingState::ready))
                      .orElse(false));
      await("three ticks delivered").atMost(TIMEOUT).until(() -> lines(events).size() >= 3);
    } finally {
      platform.close();
    }
    List<String> lines = lines(events);
    assertThat(lines)
        .doesNotHaveDuplicates()
        .allSatisfy(
            l -> assertThat(l).matches("6f1c2d3e-0000-4000-8000-000000000001-\\d{10} daily"));
  }

  @Test
  void aTriggerWithoutUidGetsTheSameDerivedOneEveryTime() {
    assertThat(CronTriggers.derivedUid(REPORT))
        .isEqualTo(CronTriggers.derivedUid(new TriggerId("default", "report")))
        .isNotEqualTo(CronTriggers.derivedUid(new TriggerId("other", "report")));
  }

  private static List<String> lines(Path events) throws Exception {
    return Files.exists(events) ? Files.readAllLines(events) : List.of();
  }
}
