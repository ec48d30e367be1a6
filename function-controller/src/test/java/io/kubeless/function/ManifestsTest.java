package io.kubeless.function;

import static io.kubeless.testing.Manifests.only;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.kubeless.testing.Manifests;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code kubectl apply -k k8s/function-controller} installs a complete, locked-down controller. */
class ManifestsTest {

  @Test
  void theKustomizationRendersTheControllerWithLeastPrivilege() {
    List<HasMetadata> objects = Manifests.render("function-controller");

    Manifests.assertInstallsOnly(objects, "functions.kubeless.io");
    // the children it manages are the only things it writes; it deletes only autoscalers
    assertThat(only(objects, ClusterRole.class).getRules())
        .filteredOn(rule -> rule.getVerbs().contains("delete"))
        .extracting(PolicyRule::getResources)
        .containsExactly(List.of("horizontalpodautoscalers"));
  }
}
