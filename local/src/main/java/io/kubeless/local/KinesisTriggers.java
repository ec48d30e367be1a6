package io.kubeless.local;

import io.fabric8.kubernetes.api.model.Secret;
import io.kubeless.api.v1beta1.KinesisTrigger;
import io.kubeless.api.v1beta1.KinesisTriggerSpec;
import io.kubeless.kinesis.source.CredentialsResolver;
import io.kubeless.kinesis.source.KinesisSettings;
import io.kubeless.kinesis.source.KinesisSource;
import io.kubeless.kinesis.source.KinesisSubscription;
import io.kubeless.kinesis.source.SecretCredentials;
import io.kubeless.trigger.coordination.InMemoryShardCoordinator;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerSource;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * KinesisTriggers in local mode: read with the same source as the Kinesis trigger, against the
 * stream's {@code endpoint} (an emulator such as kinesis-local) or AWS itself; this one process
 * owns every shard, and the checkpoints live in {@code .kubeless/kinesis/}, so a restart resumes
 * after the last record taken. A trigger's {@code secret} is read from the Secrets of the files (in
 * its namespace, Kubeless's keys, as the Kinesis trigger reads it from the API server); without one
 * there, the credentials are the environment's (AWS_ACCESS_KEY_ID, ~/.aws, ...), or, when it has
 * none, dummy ones an emulator accepts.
 */
final class KinesisTriggers
    extends LocalTriggers<KinesisTrigger, KinesisTriggerSpec, KinesisSubscription> {

  /** The files' Secrets by {@code namespace/name}, as the files were last read. */
  private volatile Map<String, Secret> secrets = Map.of();

  private volatile Path checkpoints;
  private volatile InMemoryShardCoordinator coordinator;

  KinesisTriggers(PrintStream out, Path home) {
    super(out, home);
  }

  @Override
  String kind() {
    return "KinesisTrigger";
  }

  @Override
  String prefix() {
    return "kinesis";
  }

  @Override
  List<KinesisTrigger> triggers(Manifests m) {
    return m.kinesisTriggers();
  }

  @Override
  void secrets(Manifests all) {
    secrets = all.secretsByName();
  }

  @Override
  KinesisTriggerSpec spec(KinesisTrigger trigger) {
    return trigger.getSpec();
  }

  @Override
  protected String describe(KinesisTrigger trigger) {
    KinesisTriggerSpec spec = trigger.getSpec();
    if (spec == null) {
      return "stream ";
    }
    return "stream "
        + spec.getStream()
        + (spec.getEndpoint() == null ? "" : " at " + spec.getEndpoint());
  }

  @Override
  protected TriggerSource<KinesisTriggerSpec, KinesisSubscription> start(
      TriggerEngine engine, List<KinesisTrigger> triggers) {
    for (KinesisTrigger t : triggers) {
      String secret = t.getSpec() == null ? null : t.getSpec().getSecret();
      if (secret != null
          && !secret.isBlank()
          && !secrets.containsKey(Manifests.key(t.getMetadata().getNamespace(), secret))) {
        out.println(
            "note: KinesisTrigger "
                + t.getMetadata().getName()
                + ": Secret "
                + secret
                + " is not in the files; here the credentials are the environment's");
      }
    }
    checkpoints = home.resolve("kinesis");
    coordinator = new InMemoryShardCoordinator("local", checkpoints);
    return new KinesisSource(engine, KinesisSettings.defaults(), coordinator, credentials());
  }

  /**
   * The keys of the trigger's Secret when the files hold it (a missing key fails the binding as on
   * Kubernetes); else the environment's credentials, or dummy ones (an emulator accepts any) when
   * it has none.
   */
  CredentialsResolver credentials() {
    return (namespace, secret) -> {
      Secret found =
          secret == null || secret.isBlank() ? null : secrets.get(Manifests.key(namespace, secret));
      if (found != null) {
        return SecretCredentials.of(
            found, "Secret " + secret + " in namespace " + namespace + " (of the files)");
      }
      AwsCredentialsProvider chain = DefaultCredentialsProvider.builder().build();
      try {
        chain.resolveCredentials();
        return chain;
      } catch (SdkClientException e) {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local"));
      }
    };
  }

  @Override
  protected String serverLine() {
    Path dir = checkpoints;
    return dir == null ? null : "kinesis: checkpoints in " + dir;
  }

  @Override
  protected void state(Map<String, Object> state) {
    Path dir = checkpoints;
    if (dir != null) {
      state.put("kinesisCheckpoints", dir.toString());
    }
  }

  @Override
  protected void stopServer() {
    InMemoryShardCoordinator c = coordinator;
    if (c != null) {
      c.close();
    }
    coordinator = null;
    checkpoints = null;
  }
}
