package io.kubeless.testing;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What {@code kubectl apply -k k8s/<component>} installs, rendered by kubectl's kustomize. */
public final class Manifests {

  private Manifests() {}

  /** The objects of {@code k8s/<component>}; fails with kubectl's output if it does not render. */
  public static List<HasMetadata> render(String component) {
    String rendered;
    try {
      Process kubectl =
          new ProcessBuilder(
                  "kubectl",
                  "kustomize",
                  Repository.root().resolve("k8s").resolve(component).toString())
              .redirectErrorStream(true)
              .start();
      rendered = new String(kubectl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!kubectl.waitFor(60, TimeUnit.SECONDS) || kubectl.exitValue() != 0) {
        throw new AssertionError("kubectl kustomize k8s/" + component + " failed:\n" + rendered);
      }
    } catch (IOException e) {
      throw new AssertionError("kubectl is needed to render k8s/" + component, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    return Arrays.stream(rendered.split("(?m)^---$"))
        .filter(doc -> !doc.isBlank())
        .map(doc -> (HasMetadata) Serialization.unmarshal(doc))
        .toList();
  }

  /** The single object of a type among rendered ones. */
  public static <T extends HasMetadata> T only(List<HasMetadata> objects, Class<T> type) {
    List<T> matching = objects.stream().filter(type::isInstance).map(type::cast).toList();
    if (matching.size() != 1) {
      throw new AssertionError(
          "expected one " + type.getSimpleName() + ", found " + matching.size());
    }
    return matching.get(0);
  }
}
