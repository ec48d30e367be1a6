package io.kubeless.runtime.ruby;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.SimpleFileServer;
import io.kubeless.runtime.testing.RuntimeContractTest;
import io.kubeless.runtime.testing.RuntimeProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The runtime contract against {@code runtimes/ruby/run}. */
class RubyRuntimeTest extends RuntimeContractTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  protected String suffix() {
    return ".rb";
  }

  @Override
  protected String depsFile() {
    return "Gemfile";
  }

  @Override
  protected Map<String, String> installEnv() {
    // Bundler wants a writable home for its cache and settings, as the image's HOME=/tmp.
    return Map.of("HOME", tmp.toString());
  }

  /**
   * A gem from a local path, as a Gemfile can name one: rubygems.org is out of reach of the build
   * machines, and Bundler resolves a path gem without it even with the usual {@code source} line.
   */
  @Override
  protected void writeDependencies(Path volume) throws IOException {
    Path gem = Files.createDirectories(volume.resolve("vendor/kubeless_dep/lib"));
    Files.writeString(
        gem.resolve("kubeless_dep.rb"),
        "module KubelessDep\n  def self.shout(text)\n    \"#{text.upcase}!\"\n  end\nend\n");
    Files.writeString(
        gem.resolveSibling("kubeless_dep.gemspec"),
        """
        Gem::Specification.new do |spec|
          spec.name = 'kubeless_dep'
          spec.version = '1.0.0'
          spec.summary = 'A dependency of the deps test function'
          spec.authors = ['Kubeless']
          spec.files = ['lib/kubeless_dep.rb']
        end
        """);
    Files.writeString(
        volume.resolve(depsFile()),
        "source 'https://rubygems.org'\n\ngem 'kubeless_dep', path: 'vendor/kubeless_dep'\n");
  }

  /**
   * A gem from a gem server, installed into the volume and loaded from there: the function's
   * Gemfile names rubygems.org, as Kubeless's example does, and {@code BUNDLE_MIRROR__ALL} (a
   * Bundler setting from the environment) sends Bundler to a local server holding the gem instead.
   */
  @Test
  void installsGemsFromAGemServerIntoTheVolume() throws Exception {
    Path volume = volume();
    Path served = Files.createDirectories(tmp.resolve("gem-server/gems"));
    Path source = Files.createDirectories(tmp.resolve("gem-source/lib"));
    Files.writeString(
        source.resolve("kubeless_remote.rb"),
        "module KubelessRemote\n  def self.greeting\n    'served by a gem server'\n  end\nend\n");
    Files.writeString(
        source.resolveSibling("kubeless_remote.gemspec"),
        """
        Gem::Specification.new do |spec|
          spec.name = 'kubeless_remote'
          spec.version = '1.0.0'
          spec.summary = 'A dependency of the remote test function'
          spec.authors = ['Kubeless']
          spec.files = ['lib/kubeless_remote.rb']
        end
        """);
    // The gem and the index Bundler falls back to (specs.4.8.gz and the quick Marshal specs).
    String build =
        """
        require 'rubygems/package'
        require 'fileutils'
        require 'zlib'
        server = ARGV[0]
        spec = Gem::Specification.load('kubeless_remote.gemspec')
        FileUtils.mv(Gem::Package.build(spec), File.join(server, 'gems'))
        specs = Zlib.gzip(Marshal.dump([[spec.name, spec.version, 'ruby']]))
        %w[specs.4.8.gz latest_specs.4.8.gz].each { |f| File.binwrite(File.join(server, f), specs) }
        File.binwrite(File.join(server, 'prerelease_specs.4.8.gz'), Zlib.gzip(Marshal.dump([])))
        quick = FileUtils.mkdir_p(File.join(server, 'quick', 'Marshal.4.8')).first
        File.binwrite(File.join(quick, "#{spec.full_name}.gemspec.rz"), Zlib::Deflate.deflate(Marshal.dump(spec)))
        """;
    Process ruby =
        new ProcessBuilder(
                System.getenv().getOrDefault("RUBY", "ruby"),
                "-e",
                build,
                served.getParent().toString())
            .directory(source.getParent().toFile())
            .redirectErrorStream(true)
            .start();
    String output = new String(ruby.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(ruby.waitFor()).as(output).isZero();
    HttpServer server =
        SimpleFileServer.createFileServer(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            served.getParent(),
            SimpleFileServer.OutputLevel.NONE);
    server.start();
    try {
      Files.writeString(
          volume.resolve(depsFile()), "source 'https://rubygems.org'\n\ngem 'kubeless_remote'\n");
      Map<String, String> env =
          Map.of(
              "HOME",
              tmp.toString(),
              "BUNDLE_MIRROR__ALL",
              "http://127.0.0.1:" + server.getAddress().getPort() + "/");

      int exit = RuntimeProcess.install(runtimeDir(), volume, depsFile(), env);

      assertThat(exit).as(Files.readString(volume.resolveSibling("install.log"))).isZero();
    } finally {
      server.stop(0);
    }
    try (Stream<Path> installed = Files.walk(volume.resolve("ruby"))) {
      assertThat(installed.map(Path::getFileName).map(Path::toString))
          .as("the gem is installed in <volume>/ruby/<ABI version>/gems")
          .contains("kubeless_remote-1.0.0");
    }
    RuntimeProcess runtime = start("remote", Map.of());
    assertThat(runtime.get("/").body()).isEqualTo("served by a gem server");
  }

  /** Kubeless's event and context: symbol keys, the Rack-like request, the timeout as a string. */
  @Test
  void passesTheEventAndContextShapedAsKubelessDid() throws Exception {
    RuntimeProcess runtime = start("shape", Map.of("FUNC_TIMEOUT", "42"));

    HttpResponse<String> response =
        runtime.post(
            "/orders/7?full=1&sort=asc",
            "some text",
            "Content-Type",
            "text/plain",
            "X-Trace",
            "t-1");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode shape = JSON.readTree(response.body());
    assertThat(strings(shape.path("event_keys")))
        .containsExactly(
            "data", "event-id", "event-type", "event-time", "event-namespace", "extensions");
    assertThat(shape.path("data").asText()).isEqualTo("some text");
    assertThat(shape.path("data_by_string").asText()).isEqualTo("some text");
    assertThat(shape.path("request_by_dig").asBoolean()).isTrue();
    assertThat(strings(shape.path("context_keys")))
        .containsExactly("function-name", "timeout", "runtime", "memory-limit");
    assertThat(shape.path("timeout").isTextual()).isTrue();
    assertThat(shape.path("timeout").asText()).isEqualTo("42");
    assertThat(shape.path("method").asText()).isEqualTo("POST");
    assertThat(shape.path("path").asText()).isEqualTo("/orders/7");
    assertThat(shape.path("query").path("full").asText()).isEqualTo("1");
    assertThat(shape.path("query").path("sort").asText()).isEqualTo("asc");
    assertThat(shape.path("fullpath").asText()).isEqualTo("/orders/7?full=1&sort=asc");
    assertThat(shape.path("header").asText()).isEqualTo("t-1");
    assertThat(shape.path("content_type").asText()).isEqualTo("text/plain");
    assertThat(shape.path("body").asText()).isEqualTo("some text");
    assertThat(shape.path("helper").asText()).isEqualTo("hi there");

    JsonNode form =
        JSON.readTree(
            runtime
                .post("/form?x=1", "y=2", "Content-Type", "application/x-www-form-urlencoded")
                .body());
    assertThat(form.path("query").path("x").asText()).as("params: the query").isEqualTo("1");
    assertThat(form.path("query").path("y").asText()).as("params: the form body").isEqualTo("2");
  }

  /**
   * A handler that rescues every exception (so a Timeout::Error or Thread#raise would not stop it)
   * is still stopped: its worker process is killed.
   */
  @Test
  void stopsARunawayHandlerThatRescuesEveryException() throws Exception {
    RuntimeProcess runtime = start("stubborn", Map.of("FUNC_TIMEOUT", "2"));
    Path ticks = volume().resolve("ticks");

    CompletableFuture<HttpResponse<String>> runaway = runtime.postAsync("/", "spin");
    await("the runaway handler is running")
        .atMost(Duration.ofSeconds(10))
        .until(() -> Files.exists(ticks));

    assertThat(runtime.post("/", "quick").body()).isEqualTo("ok");
    assertThat(runaway.get().statusCode()).isEqualTo(408);
    assertStopsTicking(ticks);
    assertThat(runtime.post("/", "quick").body()).isEqualTo("ok");
    assertThat(runtime.isAlive()).as("the server was not restarted").isTrue();
  }

  /** Threads in a worker run I/O-bound handlers at once: one worker runs all 20. */
  @Test
  void runsHandlersInFuncConcurrencyThreadsPerWorker() throws Exception {
    RuntimeProcess runtime =
        start(
            "overlap", Map.of("FUNC_TIMEOUT", "3", "FUNC_WORKERS", "1", "FUNC_CONCURRENCY", "20"));

    assertRunTogether(runtime, 20);
  }

  /** An invalid JSON body under a JSON content type is the caller's mistake. */
  @Test
  void answers400ForInvalidJson() throws Exception {
    RuntimeProcess runtime = start("echo", Map.of());

    HttpResponse<String> response =
        runtime.post("/", "{not json", "Content-Type", "application/cloudevents+json");

    assertThat(response.statusCode()).isEqualTo(400);
  }

  private static List<String> strings(JsonNode array) {
    List<String> strings = new ArrayList<>();
    array.forEach(element -> strings.add(element.asText()));
    return strings;
  }
}
