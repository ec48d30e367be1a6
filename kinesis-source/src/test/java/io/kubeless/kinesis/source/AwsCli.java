package io.kubeless.kinesis.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The AWS CLI (v1, from PyPI), a producer that is not ours: installed once into a virtual
 * environment under {@code ~/.cache/kubeless/awscli-<version>}, so a fresh machine pays the
 * download only the first time.
 */
final class AwsCli {

  static final String VERSION = "1.46.3";

  private AwsCli() {}

  /** The {@code aws} executable, installed first if need be. */
  static synchronized Path install() throws IOException, InterruptedException {
    Path venv = Path.of(System.getProperty("user.home"), ".cache", "kubeless", "awscli-" + VERSION);
    Path aws = venv.resolve("bin").resolve("aws");
    if (Files.isExecutable(aws)) {
      return aws;
    }
    Files.createDirectories(venv.getParent());
    run(List.of("python3", "-m", "venv", venv.toString()));
    run(
        List.of(
            venv.resolve("bin").resolve("pip").toString(),
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "awscli==" + VERSION));
    assertThat(aws).isExecutable();
    return aws;
  }

  private static void run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(10, TimeUnit.MINUTES)).as("%s finished", command).isTrue();
    assertThat(p.exitValue()).as("%s: %s", command, out).isZero();
  }
}
