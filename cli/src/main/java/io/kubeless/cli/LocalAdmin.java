package io.kubeless.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The admin API of a running {@code kubeless local up} (local/'s {@code AdminServer}), found
 * through the {@code admin} URL its {@code .kubeless/local.json} records.
 */
final class LocalAdmin {

  /** Where local mode keeps its state; a system property so tests can point elsewhere. */
  static final String STATE_DIR_PROPERTY = "kubeless.state-dir";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final URI url;

  private LocalAdmin(URI url) {
    this.url = url;
  }

  static Path stateDir() {
    return Path.of(System.getProperty(STATE_DIR_PROPERTY, ".kubeless"));
  }

  /** The admin API of the local mode running here, when its {@code local.json} URL answers. */
  static Optional<LocalAdmin> running() {
    Path file = stateDir().resolve("local.json");
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      String admin = JSON.readTree(file.toFile()).path("admin").asText("");
      if (admin.isBlank()) {
        return Optional.empty();
      }
      URI url = URI.create(admin);
      HttpResponse<Void> r =
          HTTP.send(
              HttpRequest.newBuilder(url.resolve("/api/functions"))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      return r.statusCode() == 200 ? Optional.of(new LocalAdmin(url)) : Optional.empty();
    } catch (IOException | IllegalArgumentException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /**
   * The NATS server local mode's NATSTriggers use, as its {@code local.json} records it ({@code
   * nats}): the {@code nats-server} it started, or the one it was given; empty when it runs no
   * NATSTrigger.
   */
  static Optional<String> recordedNatsUrl() {
    return recorded("nats");
  }

  /**
   * A server local mode records in its {@code local.json} ({@code nats}, {@code kafka}); empty when
   * it runs none.
   */
  static Optional<String> recorded(String key) {
    Path file = stateDir().resolve("local.json");
    try {
      String value = JSON.readTree(file.toFile()).path(key).asText("");
      return value.isBlank() ? Optional.empty() : Optional.of(value);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The running local mode, or a failure saying there is none. */
  static LocalAdmin require() {
    return running()
        .orElseThrow(
            () ->
                new Cli.CliException(
                    "no running local mode here (%s names no admin API that answers); start"
                            .formatted(stateDir().resolve("local.json"))
                        + " `kubeless local up` in this directory, or use --target kubernetes"));
  }

  URI url() {
    return url;
  }

  /** Every function local mode runs. */
  List<JsonNode> functions() {
    HttpResponse<String> r = get("api/functions");
    List<JsonNode> all = new ArrayList<>();
    read(r).forEach(all::add);
    return all;
  }

  /**
   * The runtime names a Function may give in local mode, each with the runtime it runs on (itself
   * for local mode's own runtimes, the current one for Kubeless's older names).
   */
  Map<String, String> runtimes() {
    Map<String, String> all = new LinkedHashMap<>();
    read(get("api/runtimes"))
        .forEach(r -> all.put(r.path("name").asText(), r.path("runs").asText()));
    return all;
  }

  /** One function, or a failure naming it and its namespace. */
  JsonNode function(String namespace, String name) {
    HttpResponse<String> r = get(path(namespace, name, ""));
    if (r.statusCode() == 404) {
      throw FunctionCommand.notFound(name, namespace);
    }
    return read(r);
  }

  /** One function, or empty when local mode runs none of that name. */
  Optional<JsonNode> find(String namespace, String name) {
    HttpResponse<String> r = get(path(namespace, name, ""));
    return r.statusCode() == 404 ? Optional.empty() : Optional.of(read(r));
  }

  /** The function's reply to {@code call}, through the admin API. */
  HttpResponse<byte[]> call(String namespace, String name, FunctionCall call) {
    function(namespace, name); // a clear error for an unknown function, not the function's 404
    HttpRequest.Builder b =
        HttpRequest.newBuilder(url.resolve(path(namespace, name, "/call")))
            .method(
                call.method(),
                call.body() == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(call.body()));
    try {
      call.headers().forEach(b::header);
    } catch (IllegalArgumentException e) {
      throw new Cli.CliException("cannot send that header: " + e.getMessage(), e);
    }
    return send(b, HttpResponse.BodyHandlers.ofByteArray());
  }

  /** The runtime's {@code /metrics} text. */
  String metrics(String namespace, String name) {
    HttpResponse<String> r = get(path(namespace, name, "/metrics"));
    if (r.statusCode() == 404) {
      throw FunctionCommand.notFound(name, namespace);
    }
    if (r.statusCode() != 200) {
      throw new Cli.CliException(
          "the metrics of function \"%s\" are not available: %s"
              .formatted(name, message(r.body())));
    }
    return r.body();
  }

  /**
   * The function's last lines to {@code line}, then, with {@code follow}, each new one until the
   * stream ends (local mode stopped) or the thread is interrupted.
   */
  void logs(String namespace, String name, boolean follow, Consumer<String> line) {
    function(namespace, name);
    HttpRequest.Builder b =
        HttpRequest.newBuilder(
            url.resolve(path(namespace, name, "/logs") + (follow ? "" : "?follow=false")));
    HttpResponse<java.io.InputStream> r = send(b, HttpResponse.BodyHandlers.ofInputStream());
    try (var in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      for (String l; (l = in.readLine()) != null; ) {
        if (l.startsWith("data: ")) {
          line.accept(l.substring("data: ".length()));
        } else if (l.startsWith("data:")) {
          line.accept(l.substring("data:".length()));
        }
      }
    } catch (IOException e) {
      if (follow) {
        throw new Cli.CliException("the log stream of local mode ended: " + e.getMessage(), e);
      }
      throw new Cli.CliException("cannot read the logs from " + url + ": " + e.getMessage(), e);
    }
  }

  /**
   * Every resource of a kind local mode holds ({@code plural}: {@code functions}, {@code
   * kafkatriggers}, ...), each {@code {kind, namespace, name, file, applied, runs, resource}}.
   */
  List<JsonNode> resources(String plural) {
    List<JsonNode> all = new ArrayList<>();
    read(get("api/resources/" + plural)).forEach(all::add);
    return all;
  }

  /** Prints on stderr the notes of an apply's answer: what local mode ignores of the resource. */
  static void notes(Cli cli, JsonNode applied) {
    applied.path("notes").forEach(n -> cli.err().println("note: " + n.asText()));
    cli.err().flush();
  }

  /** One resource as local mode holds it, or empty when none has that name. */
  Optional<JsonNode> resource(String plural, String namespace, String name) {
    HttpResponse<String> r = get(resourcePath(plural, namespace, name));
    return r.statusCode() == 404 ? Optional.empty() : Optional.of(read(r));
  }

  /**
   * Applies a resource: local mode stores it as a file of its own and runs it. The failure carries
   * local mode's reason (an invalid Function, a name one of the user's files defines).
   */
  JsonNode apply(String plural, String namespace, String name, String json) {
    HttpResponse<String> r =
        send(
            HttpRequest.newBuilder(url.resolve(resourcePath(plural, namespace, name)))
                .timeout(Duration.ofMinutes(2)) // the first KafkaTrigger starts the broker
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json)),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200 && r.statusCode() != 201) {
      throw new Cli.CliException(message(r.body()));
    }
    return read(r);
  }

  /** Deletes an applied resource; the failure says why (not found, or one of the user's files). */
  void delete(String plural, String namespace, String name) {
    HttpResponse<String> r =
        send(
            HttpRequest.newBuilder(url.resolve(resourcePath(plural, namespace, name)))
                .timeout(Duration.ofMinutes(1))
                .DELETE(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new Cli.CliException(message(r.body()));
    }
  }

  private static String resourcePath(String plural, String namespace, String name) {
    return "api/resources/"
        + plural
        + "/"
        + URLEncoder.encode(namespace, StandardCharsets.UTF_8)
        + "/"
        + URLEncoder.encode(name, StandardCharsets.UTF_8);
  }

  private static String path(String namespace, String name, String rest) {
    return "api/functions/"
        + URLEncoder.encode(namespace, StandardCharsets.UTF_8)
        + "/"
        + URLEncoder.encode(name, StandardCharsets.UTF_8)
        + rest;
  }

  private HttpResponse<String> get(String path) {
    return send(
        HttpRequest.newBuilder(url.resolve(path)).timeout(Duration.ofSeconds(10)),
        HttpResponse.BodyHandlers.ofString());
  }

  private <T> HttpResponse<T> send(HttpRequest.Builder b, HttpResponse.BodyHandler<T> handler) {
    try {
      return HTTP.send(b.build(), handler);
    } catch (IOException e) {
      throw new Cli.CliException(
          "cannot reach local mode's admin API at %s: %s".formatted(url, e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Cli.CliException("interrupted", e);
    }
  }

  private JsonNode read(HttpResponse<String> r) {
    if (r.statusCode() / 100 != 2) {
      throw new Cli.CliException(
          "local mode's admin API at %s answered %d: %s"
              .formatted(url, r.statusCode(), message(r.body())));
    }
    try {
      return JSON.readTree(r.body());
    } catch (IOException e) {
      throw new Cli.CliException("local mode's admin API answered no JSON: " + e.getMessage(), e);
    }
  }

  private static String message(String body) {
    try {
      JsonNode n = JSON.readTree(body);
      if (n.hasNonNull("error")) {
        return n.get("error").asText();
      }
    } catch (IOException | RuntimeException e) {
      // not JSON
    }
    return body == null ? "" : body.strip();
  }
}
