package io.kubeless.function;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.kubeless.api.v1beta1.Function;
import org.junit.jupiter.api.Test;

class RedactionTest {

  @Test
  void hidesEveryLineOfTheCodeAndDepsThatAMessageQuotes() {
    Function function = TestFunctions.python("ns", "fn");
    function.setMetadata(new ObjectMetaBuilder().withName("fn").withNamespace("ns").build());
    function.getSpec().setFunction("import os\nTOKEN = 'ghp_0123456789'\nx = 1\n");
    function.getSpec().setDeps("private-lib @ https://user:pw@repo.example.com/lib.whl\n");
    String message =
        "ConfigMap rejected: TOKEN = 'ghp_0123456789' and private-lib @"
            + " https://user:pw@repo.example.com/lib.whl; x = 1";

    assertThat(Redaction.scrub(message, function))
        .isEqualTo("ConfigMap rejected: <redacted> and <redacted>; x = 1");
  }
}
