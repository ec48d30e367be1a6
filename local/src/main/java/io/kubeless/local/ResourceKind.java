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
 * Kubernetes API): Functions and every trigger kind, all of which local mode runs.
 */
enum ResourceKind {
  FUNCTION("Function", Function.class),
  KAFKA_TRIGGER("KafkaTrigger", KafkaTrigger.class),
  HTTP_TRIGGER("HTTPTrigger", HTTPTrigger.class),
  CRONJOB_TRIGGER("CronJobTrigger", CronJobTrigger.class),
  NATS_TRIGGER("NATSTrigger", NATSTrigger.class),
  KINESIS_TRIGGER("KinesisTrigger", KinesisTrigger.class);

  private final String kind;
  private final Class<? extends HasMetadata> type;

  ResourceKind(String kind, Class<? extends HasMetadata> type) {
    this.kind = kind;
    this.type = type;
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

  static Optional<ResourceKind> ofPlural(String plural) {
    return Arrays.stream(values()).filter(k -> k.plural().equals(plural)).findFirst();
  }

  static Optional<ResourceKind> ofKind(String kind) {
    return Arrays.stream(values()).filter(k -> k.kind.equals(kind)).findFirst();
  }
}
