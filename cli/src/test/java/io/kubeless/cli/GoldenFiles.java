package io.kubeless.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Golden files under {@code src/test/resources/golden/}: {@code -Dgolden.update=true} rewrites them
 * from what the test printed (then review the diff), otherwise the output must match byte for byte.
 */
final class GoldenFiles {

  private GoldenFiles() {}

  /** Asserts that {@code actual} is the golden file {@code name}, rewriting it first on update. */
  static void assertMatches(String name, String actual) throws IOException {
    if (Boolean.getBoolean("golden.update")) {
      Files.writeString(Path.of("src/test/resources/golden", name), actual);
    }
    assertThat(actual).as("golden file " + name).isEqualTo(read(name));
  }

  static String read(String name) throws IOException {
    try (InputStream in = GoldenFiles.class.getResourceAsStream("/golden/" + name)) {
      if (in == null) {
        return "(no golden file " + name + "; run with -Dgolden.update=true)";
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
