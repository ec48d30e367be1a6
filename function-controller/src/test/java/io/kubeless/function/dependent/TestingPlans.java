package io.kubeless.function.dependent;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.kubeless.api.function.InvalidFunctionException;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionSpec;
import io.kubeless.function.TestSpecs;
import io.kubeless.function.runtime.TestingCatalogues;
import io.kubeless.function.spec.FunctionPlan;
import io.kubeless.function.spec.FunctionPlanner;
import java.util.function.Consumer;

/** Plans for builder tests, from a Python Function that each test adjusts. */
final class TestingPlans {

  private TestingPlans() {}

  static FunctionPlan plan(Consumer<FunctionSpec> change) {
    FunctionSpec spec = TestSpecs.python();
    change.accept(spec);
    Function function = new Function();
    function.setMetadata(
        new ObjectMetaBuilder()
            .withName("hello")
            .withNamespace("ns")
            .withUid("0000-1111")
            .addToLabels("team", "a")
            .build());
    function.setSpec(spec);
    try {
      return new FunctionPlanner(TestingCatalogues.config())
          .plan(function, TestingCatalogues.defaults());
    } catch (InvalidFunctionException e) {
      throw new AssertionError(e.reason() + ": " + e.getMessage(), e);
    }
  }
}
