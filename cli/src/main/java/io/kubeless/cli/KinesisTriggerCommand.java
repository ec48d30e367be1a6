package io.kubeless.cli;

import io.fabric8.kubernetes.api.model.Secret;
import io.kubeless.api.v1beta1.KinesisTrigger;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code kubeless trigger kinesis create|update|delete|list}, plus Kubeless's {@code publish} and
 * {@code create-stream} (AWS SDK calls, in {@link KinesisStreamCommands}).
 */
@Command(
    name = "kinesis",
    description = "kinesis trigger specific operations",
    mixinStandardHelpOptions = true,
    subcommands = {
      KinesisTriggerCommand.Create.class,
      KinesisTriggerCommand.Update.class,
      KinesisTriggerCommand.Delete.class,
      KinesisTriggerCommand.ListKinesis.class,
      KinesisStreamCommands.Publish.class,
      KinesisStreamCommands.CreateStream.class
    })
final class KinesisTriggerCommand implements Callable<Integer> {

  static final Triggers.Kind<KinesisTrigger> KIND =
      new Triggers.Kind<>(
          KinesisTrigger.class,
          "Kinesis trigger",
          KinesisTrigger::new,
          List.of("NAME", "NAMESPACE", "REGION", "STREAM", "SHARD", "FUNCTION NAME"),
          t ->
              Triggers.row(
                  t,
                  t.getSpec().getRegion(),
                  t.getSpec().getStream(),
                  t.getSpec().getShard(),
                  t.getSpec().getFunctionName()));

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return CommandLine.ExitCode.USAGE;
  }

  abstract static class Write extends Triggers.Write<KinesisTrigger> {

    @Option(
        names = "--function-name",
        description = "Name of the Kubeless function to be associated with AWS Kinesis stream")
    String functionName;

    @Option(names = "--stream", description = "Name of the AWS Kinesis stream")
    String stream;

    @Option(names = "--aws-region", description = "AWS region in which stream is available")
    String region;

    @Option(names = "--shard-id", description = "Shard-ID of the AWS kinesis stream")
    String shardId;

    @Option(
        names = "--secret",
        description =
            "Kubernetes secret that has AWS access key and secret key (in local mode optional: a"
                + " Secret of its files, else the environment's credentials)")
    String secret;

    @Option(
        names = "--endpoint",
        description = "Override AWS's default service URL with the given URL")
    String endpoint;

    Write(Cli cli, boolean create) {
      super(cli, KIND, create);
    }

    @Override
    void validate() {
      require(functionName, "You must specify a function name (--function-name)");
      require(stream, "You must specify a stream (--stream)");
      require(region, "You must specify an AWS region (--aws-region)");
      require(shardId, "You must specify a shard (--shard-id)");
      // local mode reads a Secret from its files, and without one the environment's credentials
      if (dryrun || cli.local(target).isEmpty()) {
        require(secret, "You must specify a secret holding the AWS keys (--secret)");
      }
      if (given(endpoint)) {
        try {
          URI uri = new URI(endpoint);
          if (!uri.isAbsolute() || uri.getHost() == null) {
            throw usage("Invalid --endpoint \"" + endpoint + "\": expected an absolute URL");
          }
        } catch (URISyntaxException e) {
          throw usage("Invalid --endpoint \"" + endpoint + "\": " + e.getMessage());
        }
      }
    }

    @Override
    void apply(KinesisTrigger trigger) {
      var s = trigger.getSpec();
      if (given(functionName)) {
        s.setFunctionName(functionName);
      }
      if (given(stream)) {
        s.setStream(stream);
      }
      if (given(region)) {
        s.setRegion(region);
      }
      if (given(shardId)) {
        s.setShard(shardId);
      }
      if (given(secret)) {
        s.setSecret(secret);
      }
      if (given(endpoint)) {
        s.setEndpoint(endpoint);
      }
    }

    @Override
    void checkReferences(KinesisTrigger trigger, String namespace) {
      if (given(functionName)) {
        checkFunction(functionName, namespace);
      }
      // local mode's Secrets are those of its files: one not there leaves the environment's keys
      if (given(secret)
          && local.isEmpty()
          && cli.client().resources(Secret.class).inNamespace(namespace).withName(secret).get()
              == null) {
        throw new Cli.CliException(
            "Unable to find Secret %s in namespace %s".formatted(secret, namespace));
      }
    }
  }

  @Command(
      name = "create",
      description = "Create a Kinesis trigger",
      mixinStandardHelpOptions = true)
  static final class Create extends Write {
    Create(Cli cli) {
      super(cli, true);
    }
  }

  @Command(
      name = "update",
      description = "Update a Kinesis trigger",
      mixinStandardHelpOptions = true)
  static final class Update extends Write {
    Update(Cli cli) {
      super(cli, false);
    }
  }

  @Command(
      name = "delete",
      description = "Delete a Kinesis trigger",
      mixinStandardHelpOptions = true)
  static final class Delete extends Triggers.Delete<KinesisTrigger> {
    Delete(Cli cli) {
      super(cli, KIND);
    }
  }

  @Command(
      name = "list",
      aliases = "ls",
      description = "list all Kinesis triggers deployed to Kubeless",
      mixinStandardHelpOptions = true)
  static final class ListKinesis extends Triggers.ListTriggers<KinesisTrigger> {
    ListKinesis(Cli cli) {
      super(cli, KIND);
    }
  }
}
