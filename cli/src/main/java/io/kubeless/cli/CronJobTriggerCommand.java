package io.kubeless.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubeless.api.v1beta1.CronJobTrigger;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kubeless trigger cronjob create|update|delete|list}. */
@Command(
    name = "cronjob",
    description = "cronjob trigger specific operations",
    mixinStandardHelpOptions = true,
    subcommands = {
      CronJobTriggerCommand.Create.class,
      CronJobTriggerCommand.Update.class,
      CronJobTriggerCommand.Delete.class,
      CronJobTriggerCommand.ListCronJob.class
    })
final class CronJobTriggerCommand implements Callable<Integer> {

  static final Triggers.Kind<CronJobTrigger> KIND =
      new Triggers.Kind<>(
          CronJobTrigger.class,
          "Cronjob trigger",
          CronJobTrigger::new,
          List.of("NAME", "NAMESPACE", "SCHEDULE", "FUNCTION NAME"),
          t -> Triggers.row(t, t.getSpec().getSchedule(), t.getSpec().getFunctionName()));

  private static final ObjectMapper JSON = new ObjectMapper();

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return CommandLine.ExitCode.USAGE;
  }

  abstract static class Write extends Triggers.Write<CronJobTrigger> {

    @Option(
        names = "--function",
        description = "Name of the function to be associated with trigger")
    String function;

    @Option(
        names = "--schedule",
        description =
            "Specify schedule in cron format for scheduled function (5 fields, @hourly,"
                + " @daily..., or @every <duration> such as @every 30s)")
    String schedule;

    @Option(
        names = {"-p", "--payload"},
        description = "Specify a stringified JSON data to pass to function upon execution")
    String payload;

    @Option(
        names = {"-f", "--payload-from-file"},
        description = "Specify a payload file to use. It must be a JSON file")
    Path payloadFromFile;

    @Option(
        names = "--timezone",
        description = "IANA time zone the schedule is read in, e.g. Europe/Paris (default UTC)")
    String timeZone;

    @Option(
        names = "--concurrency-policy",
        description =
            "Allow (default): a tick fires while the previous call still runs; Forbid: that tick"
                + " is skipped")
    String concurrencyPolicy;

    private JsonNode parsedPayload;

    Write(Cli cli, boolean create) {
      super(cli, KIND, create);
    }

    @Override
    void validate() {
      require(function, "You must specify a function (--function)");
      require(schedule, "You must specify a schedule (--schedule)");
      if (given(schedule)) {
        String problem = Triggers.scheduleProblem(schedule);
        if (problem != null) {
          throw usage("Invalid value for --schedule \"%s\": %s".formatted(schedule, problem));
        }
      }
      if (given(timeZone)) {
        try {
          java.time.ZoneId.of(timeZone.strip());
        } catch (java.time.DateTimeException e) {
          throw usage(
              "Invalid value for --timezone \"%s\": %s".formatted(timeZone, e.getMessage()));
        }
      }
      if (given(concurrencyPolicy)
          && !List.of("Allow", "Forbid").contains(concurrencyPolicy.strip())) {
        throw usage(
            "Invalid value for --concurrency-policy \"%s\": use Allow or Forbid"
                .formatted(concurrencyPolicy));
      }
      if (given(payload) && payloadFromFile != null) {
        throw usage("You can't provide both raw payload and a payload file");
      }
      if (given(payload)) {
        parsedPayload = parse(payload, "--payload");
      } else if (payloadFromFile != null) {
        String content;
        try {
          content = Files.readString(payloadFromFile);
        } catch (IOException e) {
          throw new Cli.CliException(
              "cannot read payload file %s: %s".formatted(payloadFromFile, e.getMessage()), e);
        }
        parsedPayload = parse(content, "--payload-from-file " + payloadFromFile);
      }
    }

    private JsonNode parse(String json, String source) {
      try {
        JsonNode node = JSON.readTree(json);
        if (node == null || node.isMissingNode()) {
          throw usage("Invalid JSON in " + source + ": empty");
        }
        return node;
      } catch (JsonProcessingException e) {
        throw usage("Invalid JSON in " + source + ": " + e.getOriginalMessage());
      }
    }

    @Override
    void apply(CronJobTrigger trigger) {
      if (given(function)) {
        trigger.getSpec().setFunctionName(function);
      }
      if (given(schedule)) {
        trigger.getSpec().setSchedule(schedule.strip());
      }
      if (parsedPayload != null) {
        trigger.getSpec().setPayload(parsedPayload);
      }
      if (given(timeZone)) {
        trigger.getSpec().setTimeZone(timeZone.strip());
      }
      if (given(concurrencyPolicy)) {
        trigger.getSpec().setConcurrencyPolicy(concurrencyPolicy.strip());
      }
    }

    @Override
    void checkReferences(CronJobTrigger trigger, String namespace) {
      if (given(function)) {
        checkFunction(function, namespace);
      }
    }
  }

  @Command(
      name = "create",
      description = "Create a cron job trigger",
      mixinStandardHelpOptions = true)
  static final class Create extends Write {
    Create(Cli cli) {
      super(cli, true);
    }
  }

  @Command(
      name = "update",
      description = "Update a cron job trigger",
      mixinStandardHelpOptions = true)
  static final class Update extends Write {
    Update(Cli cli) {
      super(cli, false);
    }
  }

  @Command(
      name = "delete",
      description = "Delete a cronjob trigger",
      mixinStandardHelpOptions = true)
  static final class Delete extends Triggers.Delete<CronJobTrigger> {
    Delete(Cli cli) {
      super(cli, KIND);
    }
  }

  @Command(
      name = "list",
      aliases = "ls",
      description = "list all Cronjob triggers deployed to Kubeless",
      mixinStandardHelpOptions = true)
  static final class ListCronJob extends Triggers.ListTriggers<CronJobTrigger> {
    ListCronJob(Cli cli) {
      super(cli, KIND);
    }
  }
}
