package io.kubeless.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubeless.testing.MockApiServer;
import io.kubeless.testing.PackagedApp;
import io.kubeless.testing.RecordingFunction;
import io.kubeless.testing.Repository;
import io.kubeless.testing.TestFunctions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The packaged console server with its token, in a real headless Chromium (the console module's
 * {@code src/test/e2e/login.e2e.mjs}): the page shows its login form, refuses a wrong token, logs
 * in with the right one and lists the functions, and stays logged in across a reload. Screenshots
 * go to {@code target/login-e2e/}.
 */
class ConsoleLoginBrowserIT {

  private static final String TOKEN = "browser-test-token";

  @Test
  void theConsoleAsksForItsTokenThenShowsTheFunctions() throws Exception {
    Path out = Path.of("target", "login-e2e").toAbsolutePath();
    try (MockApiServer api =
            MockApiServer.withCrds(
                "functions",
                "httptriggers",
                "cronjobtriggers",
                "kafkatriggers",
                "natstriggers",
                "kinesistriggers");
        RecordingFunction f = new RecordingFunction("greeter");
        PackagedApp console =
            PackagedApp.of("kubeless.console.jar")
                .apiServer(api, "default")
                .env("KUBELESS_CONSOLE_TOKEN", TOKEN)
                .start("console-browser")) {
      TestFunctions.create(api.client(), "default", f, Map.of("app", "greeter"), true);

      Path log = Files.createDirectories(out).resolve("e2e.log");
      Process node =
          new ProcessBuilder(
                  "node",
                  Repository.root().resolve("console/src/test/e2e/login.e2e.mjs").toString(),
                  "http://localhost:" + console.port() + "/",
                  TOKEN,
                  "greeter",
                  out.toString(),
                  Files.createTempDirectory("chromium-profile").toString())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      boolean done = node.waitFor(3, TimeUnit.MINUTES);
      if (!done) {
        node.descendants().forEach(ProcessHandle::destroyForcibly);
        node.destroyForcibly().waitFor();
      }
      String said = Files.readString(log, StandardCharsets.UTF_8);
      assertThat(done).as(said).isTrue();
      assertThat(node.exitValue()).as(said).isZero();
      assertThat(said).contains("logged in");
    }
  }
}
