package io.kubeless.api.v1beta1;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The CRDs committed under k8s/crds must be exactly what the model generates. Regenerate them with
 * {@code ./mvnw -pl api -Pupdate-crds process-classes}.
 */
class CrdsUpToDateTest {

  private static final List<String> KINDS =
      List.of(
          "functions",
          "httptriggers",
          "cronjobtriggers",
          "kafkatriggers",
          "natstriggers",
          "kinesistriggers");

  @Test
  void committedCrdsMatchTheModel() throws IOException, URISyntaxException {
    Path committed = Path.of(System.getProperty("kubeless.crds.dir", "../k8s/crds"));
    Path generated = Path.of(getClass().getClassLoader().getResource("META-INF/fabric8").toURI());

    for (String plural : KINDS) {
      String file = plural + ".kubeless.io-v1.yml";
      assertThat(committed.resolve(file))
          .as("k8s/crds/%s is missing; run ./mvnw -pl api -Pupdate-crds process-classes", file)
          .exists();
      assertThat(Files.readString(committed.resolve(file)))
          .as("k8s/crds/%s is stale; run ./mvnw -pl api -Pupdate-crds process-classes", file)
          .isEqualTo(Files.readString(generated.resolve(file)));
    }
    try (Stream<Path> files = Files.list(committed)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .as("k8s/crds holds only generated CRDs")
          .containsExactlyInAnyOrderElementsOf(
              KINDS.stream().map(k -> k + ".kubeless.io-v1.yml").toList());
    }
  }
}
