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

  private static final String REGENERATE = "run ./mvnw -pl api -Pupdate-crds process-classes";

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
      Path crd = committed.resolve(plural).resolve(file);
      assertThat(crd).as("k8s/crds/%s/%s is missing; " + REGENERATE, plural, file).exists();
      assertThat(Files.readString(crd))
          .as("k8s/crds/%s/%s is stale; " + REGENERATE, plural, file)
          .isEqualTo(Files.readString(generated.resolve(file)));
      assertThat(committed.resolve(plural).resolve("kustomization.yaml"))
          .as("each CRD installs on its own with kubectl apply -k")
          .content()
          .contains("- " + file);
    }
    try (Stream<Path> files = Files.list(generated)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .as("every generated CRD is committed")
          .containsExactlyInAnyOrderElementsOf(
              KINDS.stream().map(k -> k + ".kubeless.io-v1.yml").toList());
    }
  }
}
