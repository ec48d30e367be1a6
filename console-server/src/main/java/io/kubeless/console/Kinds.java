package io.kubeless.console;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.kubeless.api.v1beta1.CronJobTrigger;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.HTTPTrigger;
import io.kubeless.api.v1beta1.KafkaTrigger;
import io.kubeless.api.v1beta1.KinesisTrigger;
import io.kubeless.api.v1beta1.NATSTrigger;
import java.util.List;
import java.util.Optional;

/** The kinds the console reads and writes: Functions and the five trigger kinds. */
final class Kinds {

  static final List<Class<? extends HasMetadata>> TRIGGERS =
      List.of(
          HTTPTrigger.class,
          CronJobTrigger.class,
          KafkaTrigger.class,
          NATSTrigger.class,
          KinesisTrigger.class);

  static final List<Class<? extends HasMetadata>> ALL =
      List.of(
          Function.class,
          HTTPTrigger.class,
          CronJobTrigger.class,
          KafkaTrigger.class,
          NATSTrigger.class,
          KinesisTrigger.class);

  private Kinds() {}

  /** The kind whose plural ({@code functions}, {@code kafkatriggers}, ...) is given. */
  static Optional<Class<? extends HasMetadata>> ofPlural(String plural) {
    return ALL.stream().filter(k -> HasMetadata.getPlural(k).equals(plural)).findFirst();
  }

  static String plurals() {
    return String.join(", ", ALL.stream().map(HasMetadata::getPlural).toList());
  }
}
