package io.kubeless.local;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.kubeless.api.v1beta1.CronJobTrigger;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.HTTPTrigger;
import io.kubeless.api.v1beta1.KafkaTrigger;
import io.kubeless.api.v1beta1.KinesisTrigger;
import io.kubeless.api.v1beta1.NATSTrigger;
import java.util.Arrays;
import java.util.Optional;

/**
 * The Kubeless kinds the admin API stores, by the plural that names them in its paths (as in the
 * Kubernetes API): Functions and every trigger kind. Local mode runs Functions, KafkaTriggers and
 * NATSTriggers; the others are stored and listed, and noted as not run, as they are in files.
 */
enum ResourceKind {
  FUNCTION("Function", Function.class, true),
  KAFKA_TRIGGER("KafkaTrigger", KafkaTrigger.class, true),
  HTTP_TRIGGER("HTTPTrigger", HTTPTrigger.class, false),
  CRONJOB_TRIGGER("CronJobTrigger", CronJobTrigger.class, false),
  NATS_TRIGGER("NATSTrigger", NATSTrigger.class, true),
  KINESIS_TRIGGER("KinesisTrigger", KinesisTrigger.class, true);

  private final String kind;
  private final Class<? extends HasMetadata> type;
  private final boolean runsLocally;

  ResourceKind(String kind, Class<? extends HasMetadata> type, boolean runsLocally) {
    this.kind = kind;
    this.type = type;
    this.runsLocally = runsLocally;
  }

  /** {@code Function}, {@code KafkaTrigger}, ...: the {@code kind} of the YAML. */
  String kind() {
    return kind;
  }

  /** {@code functions}, {@code kafkatriggers}, ...: the path segment and the folder name. */
  String plural() {
    return HasMetadata.getPlural(type);
  }

  Class<? extends HasMetadata> type() {
    return type;
  }

  /**
   * Whether local mode runs resources of this kind (today: Functions, KafkaTriggers, NATSTriggers).
   */
  boolean runsLocally() {
    return runsLocally;
  }

  static Optional<ResourceKind> ofPlural(String plural) {
    return Arrays.stream(values()).filter(k -> k.plural().equals(plural)).findFirst();
  }

  static Optional<ResourceKind> ofKind(String kind) {
    return Arrays.stream(values()).filter(k -> k.kind.equals(kind)).findFirst();
  }
}
