package io.kubeless.runtime.golang;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kubeless.runtime.testing.RuntimeContractTest;
import io.kubeless.runtime.testing.RuntimeProcess;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The runtime contract against {@code runtimes/go/run}, and what is particular to Go. */
class GoRuntimeTest extends RuntimeContractTest {

  @Override
  protected String suffix() {
    return ".go";
  }

  @Override
  protected String depsFile() {
    return "go.mod";
  }

  /** The handler returns a string, the body as it is. */
  @Override
  protected boolean returnsObjects() {
    return false;
  }

  /** A local module named by a {@code replace} directive, so no module proxy is needed. */
  @Override
  protected void writeDependencies(Path volume) throws IOException {
    Path dep = Files.createDirectories(volume.resolve("shout"));
    Files.writeString(dep.resolve("go.mod"), "module example.com/shout\n\ngo 1.18\n");
    Files.writeString(
        dep.resolve("shout.go"),
        """
        package shout

        import "strings"

        func Shout(text string) string { return strings.ToUpper(text) + "!" }
        """);
    Files.writeString(
        volume.resolve(depsFile()),
        """
        module function

        go 1.14

        require example.com/shout v0.0.0

        replace example.com/shout => ./shout
        """);
  }

  /**
   * A runaway is stopped by replacing its process: an invocation that process had already accepted
   * still completes there (here one waiting for the only slot), new ones go to the fresh process,
   * and the 408 counted by the replaced process shows in the metrics of the new one.
   */
  @Test
  void retiresTheProcessOfARunawayAfterItsOtherInvocationsAndKeepsItsMetrics() throws Exception {
    RuntimeProcess runtime = start("pid", Map.of("FUNC_TIMEOUT", "2", "FUNC_CONCURRENCY", "1"));
    Path ticks = volume().resolve("ticks");
    String first = runtime.post("/", "pid").body();

    CompletableFuture<HttpResponse<String>> runaway = runtime.postAsync("/", "spin");
    await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(ticks));
    CompletableFuture<HttpResponse<String>> waiting = runtime.postAsync("/", "pid");

    assertThat(runaway.get().statusCode()).isEqualTo(408);
    HttpResponse<String> waited = waiting.get();
    assertThat(waited.statusCode()).isEqualTo(200);
    assertThat(waited.body()).as("served by the process it was sent to").isEqualTo(first);
    assertStopsTicking(ticks);
    HttpResponse<String> after = runtime.post("/", "pid");
    assertThat(after.statusCode()).isEqualTo(200);
    assertThat(after.body()).as("served by a fresh process").isNotEqualTo(first);

    String metrics = runtime.get("/metrics").body();
    assertThat(metric(metrics, "function_calls_total")).isEqualTo(4.0);
    assertThat(metric(metrics, "function_failures_total")).isEqualTo(1.0);
    assertThat(runtime.isAlive()).isTrue();
  }

  @Test
  void theEventContextEndsAtTheDeadline() throws Exception {
    RuntimeProcess runtime = start("deadline", Map.of("FUNC_TIMEOUT", "3"));

    assertThat(runtime.post("/", "info").body()).isEqualTo("deadline true in 3s, err <nil>");
    HttpResponse<String> waited = runtime.post("/", "wait");

    assertThat(waited.statusCode()).isEqualTo(408);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                runtime
                    .log()
                    .contains(
                        "context ended: context deadline exceeded / context deadline exceeded"));
  }

  @Test
  void answers500WhenTheHandlerPanicsAndKeepsServing() throws Exception {
    RuntimeProcess runtime = start("panics", Map.of());

    HttpResponse<String> panicked = runtime.post("/", "panic");

    assertThat(panicked.statusCode()).isEqualTo(500);
    assertThat(runtime.post("/", "calm").body()).isEqualTo("fine");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> runtime.log().contains("assignment to entry in nil map"));
  }

  @Test
  void healthzFailsWhenTheHandlerHasAnotherSignature() throws Exception {
    RuntimeProcess runtime = start("wrongtype", Map.of());

    HttpResponse<String> health = runtime.get("/healthz");

    assertThat(health.statusCode()).isEqualTo(500);
    assertThat(health.body())
        .contains("func(string) string")
        .contains("func(functions.Event, functions.Context) (string, error)");
  }

  @Test
  void letsTheHandlerSetStatusAndHeadersThroughTheResponseWriter() throws Exception {
    RuntimeProcess runtime = start("respond", Map.of());

    HttpResponse<String> response = runtime.post("/", "x");

    assertThat(response.statusCode()).isEqualTo(201);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(response.body()).isEqualTo("{\"created\":true}");
  }

  /**
   * A Kubeless function as Kubeless deployed it: an exported handler in package kubeless, a go.mod
   * declaring module "function", here with a second file; the install step builds it, so the
   * function container starts without compiling.
   */
  @Test
  void installBuildsAModuleOfSeveralFilesThatRunStartsAsItIs() throws Exception {
    Path volume = volume();
    Files.writeString(volume.resolve("go.mod"), "module function\n\ngo 1.14\n");
    Files.writeString(
        volume.resolve("helloget.go"),
        """
        package kubeless

        import "github.com/kubeless/kubeless/pkg/functions"

        // Foo answers a greeting made by the other file.
        func Foo(event functions.Event, context functions.Context) (string, error) {
        	return greeting(), nil
        }
        """);
    Files.writeString(
        volume.resolve("greeting.go"),
        "package kubeless\n\nfunc greeting() string { return \"Hello world!\" }\n");

    assertThat(RuntimeProcess.install(runtimeDir(), volume, depsFile(), Map.of())).isZero();

    try (RuntimeProcess runtime =
        RuntimeProcess.start(runtimeDir(), volume, "helloget", "Foo", Map.of())) {
      assertThat(runtime.get("/").body()).isEqualTo("Hello world!");
      assertThat(runtime.log()).doesNotContain("Building");
    }
  }

  private static double metric(String metrics, String name) {
    Matcher matcher =
        Pattern.compile("^" + name + "\\{method=\"POST\"\\} (\\S+)$", Pattern.MULTILINE)
            .matcher(metrics);
    assertThat(matcher.find()).as(name + " in\n" + metrics).isTrue();
    return Double.parseDouble(matcher.group(1));
  }
}
