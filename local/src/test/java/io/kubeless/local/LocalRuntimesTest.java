package io.kubeless.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Functions of the Go, Ruby and PHP runtimes in local mode, under Kubeless's runtime names, each
 * with a dependency its runtime's own install step puts beside the deps file (a Go module named by
 * a {@code replace}, a Bundler path gem, a Composer path package), linked into the function's
 * volume.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalRuntimesTest {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private LocalPlatform platform;
  private URI admin;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    Path gem = Files.createDirectories(dir.resolve("gems/shouter/lib"));
    Files.writeString(
        gem.resolve("shouter.rb"),
        "module Shouter\n  def self.shout(text)\n    \"#{text.upcase}!\"\n  end\nend\n");
    Files.writeString(
        gem.resolveSibling("shouter.gemspec"),
        """
        Gem::Specification.new do |spec|
          spec.name = 'shouter'
          spec.version = '1.0.0'
          spec.summary = 'shouts'
          spec.authors = ['Kubeless']
          spec.files = ['lib/shouter.rb']
        end
        """);
    Path php = Files.createDirectories(dir.resolve("php/shouter/src"));
    Files.writeString(
        php.resolveSibling("composer.json"),
        "{\"name\": \"kubeless/shouter\", \"version\": \"1.0.0\","
            + " \"autoload\": {\"psr-4\": {\"Shouter\\\\\": \"src/\"}}}\n");
    Files.writeString(
        php.resolve("Text.php"),
        "<?php\nnamespace Shouter;\n\nfinal class Text\n{\n"
            + "    public static function shout(string $text): string\n    {\n"
            + "        return strtoupper($text) . '!';\n    }\n}\n");
    Path mod = Files.createDirectories(dir.resolve("go/shouter"));
    Files.writeString(mod.resolve("go.mod"), "module example.com/shouter\n\ngo 1.22\n");
    Files.writeString(
        mod.resolve("shouter.go"),
        "package shouter\n\nimport \"strings\"\n\n"
            + "func Shout(text string) string { return strings.ToUpper(text) + \"!\" }\n");
    Files.writeString(
        dir.resolve("functions.yaml"),
        """
        apiVersion: kubeless.io/v1beta1
        kind: Function
        metadata: {name: greet-go}
        spec:
          runtime: go1.14
          handler: greet.Greet
          deps: |
            module function

            go 1.22

            require example.com/shouter v0.0.0

            replace example.com/shouter => %s
          function: |
            package kubeless

            import (
              "example.com/shouter"
              "github.com/kubeless/kubeless/pkg/functions"
            )

            func Greet(event functions.Event, context functions.Context) (string, error) {
              return shouter.Shout("hello " + event.Data + " from " + context.Runtime), nil
            }
        ---
        apiVersion: kubeless.io/v1beta1
        kind: Function
        metadata: {name: greet-ruby}
        spec:
          runtime: ruby2.6
          handler: greet.handler
          deps: |
            gem 'shouter', path: '%s'
          function: |
            require 'shouter'

            def handler(event, context)
              Shouter.shout("hello #{event[:data]} from #{context[:runtime]}")
            end
        ---
        apiVersion: kubeless.io/v1beta1
        kind: Function
        metadata: {name: greet-php}
        spec:
          runtime: php7.3
          handler: greet.handler
          deps: |
            {"repositories": [{"type": "path", "url": "%s", "options": {"symlink": false}},
              {"packagist.org": false}], "require": {"kubeless/shouter": "^1.0"}}
          function: |
            <?php
            require 'vendor/autoload.php';

            function handler($event, $context) {
              return \\Shouter\\Text::shout("hello " . $event->data . " from " . $context->runtime);
            }
        """
            .formatted(
                mod.toAbsolutePath(),
                gem.getParent().toAbsolutePath(),
                php.getParent().toAbsolutePath()));
    platform =
        LocalPlatform.start(
            Manifests.load(List.of(dir)),
            new LocalPlatform.Options(
                dir.resolve(".kubeless"),
                Path.of("..", "runtimes"),
                null,
                0,
                new PrintStream(System.out, true, StandardCharsets.UTF_8)));
    admin = platform.adminUrl();
    await()
        .atMost(Duration.ofSeconds(180))
        .until(
            () ->
                platform.ready("default/greet-go")
                    && platform.ready("default/greet-ruby")
                    && platform.ready("default/greet-php"));
  }

  @AfterAll
  void stop() {
    if (platform != null) {
      platform.close();
    }
  }

  @ParameterizedTest
  @CsvSource({
    "greet-go, HELLO WORLD FROM GO1.14!",
    "greet-ruby, HELLO WORLD FROM RUBY2.6!",
    "greet-php, HELLO WORLD FROM PHP7.3!"
  })
  void runsTheFunctionWithItsInstalledDependency(String function, String answer) throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(admin.resolve("/api/functions/default/" + function + "/call"))
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("world"))
                .timeout(Duration.ofSeconds(20))
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(response.body()).isEqualTo(answer);
  }
}
