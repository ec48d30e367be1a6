package io.kubeless.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.engine.BindingState;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPTriggers in local mode: a Python function reached through the built-in gateway on the port
 * local mode prints, with basic auth from a Secret of the files, and 404 for what no trigger
 * routes.
 */
class LocalHttpTriggerTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(90);
  private static final Pattern GATEWAY =
      Pattern.compile("  http gateway at (http://127\\.0\\.0\\.1:\\d+/) \\(HTTPTriggers\\)");

  @TempDir Path dir;

  private final ByteArrayOutputStream log = new ByteArrayOutputStream();
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @Test
  void servesHttpTriggersOnThePrintedPortWithBasicAuthAnd404() throws Exception {
    Files.writeString(
        dir.resolve("hello.yaml"),
        """
        apiVersion: kubeless.io/v1beta1
        kind: Function
        metadata: {name: hello}
        spec:
          runtime: python3.12
          handler: hello.handler
          timeout: "10"
          function: |
            def handler(event, context):
                request = event["extensions"]["request"]
                return "hello " + event["data"].decode() + " at " + request.path + " " + event["event-namespace"]
        ---
        apiVersion: kubeless.io/v1beta1
        kind: HTTPTrigger
        metadata: {name: greet}
        spec: {function-name: hello, path: greet}
        ---
        apiVersion: kubeless.io/v1beta1
        kind: HTTPTrigger
        metadata: {name: private}
        spec: {function-name: hello, path: private, basic-auth-secret: users, cors-enable: true}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: users}
        stringData:
          auth: |
            alice:$apr1$xyzabc12$wV5/gRd3p1qZVpf79jFkA1
        """);
    LocalPlatform platform = start();
    try {
      String printed = log.toString(StandardCharsets.UTF_8);
      Matcher m = GATEWAY.matcher(printed);
      assertThat(m.find()).as(printed).isTrue();
      String gateway = m.group(1);
      assertThat(platform.httpUrl()).hasValue(gateway);
      assertThat(printed)
          .contains("  http trigger greet: route /greet -> hello")
          .contains("  http trigger private: route /private -> hello, basic auth, CORS");
      assertThat(Files.readString(dir.resolve(".kubeless/local.json")))
          .contains("\"http\" : \"" + gateway + "\"");

      await("the function serving through the gateway")
          .atMost(TIMEOUT)
          .until(() -> post(gateway + "greet/x", "world", null).statusCode() == 200);
      HttpResponse<String> hello = post(gateway + "greet/x", "world", null);
      assertThat(hello.body()).isEqualTo("hello world at /x httptriggers.kubeless.io");
      await("the trigger reported as serving")
          .atMost(TIMEOUT)
          .until(
              () ->
                  platform
                      .httpTrigger(new TriggerId("default", "greet"))
                      .map(s -> s.functions().stream().allMatch(BindingState::ready))
                      .orElse(false));

      HttpResponse<String> anonymous = post(gateway + "private", "x", null);
      assertThat(anonymous.statusCode()).isEqualTo(401);
      assertThat(anonymous.headers().firstValue("WWW-Authenticate")).isPresent();
      assertThat(post(gateway + "private", "x", "alice:wrong").statusCode()).isEqualTo(401);
      HttpResponse<String> alice = post(gateway + "private", "alice", "alice:secret");
      assertThat(alice.statusCode()).isEqualTo(200);
      assertThat(alice.body()).isEqualTo("hello alice at / httptriggers.kubeless.io");
      assertThat(alice.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");

      // the admin API counts the route's requests as the binding's events
      long before = greetEvents(platform);
      assertThat(before).isPositive();
      assertThat(post(gateway + "greet", "again", null).statusCode()).isEqualTo(200);
      assertThat(greetEvents(platform)).isEqualTo(before + 1);

      assertThat(post(gateway + "nothing", "x", null).statusCode()).isEqualTo(404);
      assertThat(post(gateway + "greetings", "x", null).statusCode()).isEqualTo(404);
    } finally {
      platform.close();
    }
  }

  @Test
  void aBasicAuthSecretOfAnotherFileTakesEffectWhenItIsAddedChangedOrRemoved() throws Exception {
    Files.writeString(
        dir.resolve("a-route.yaml"),
        """
        apiVersion: kubeless.io/v1beta1
        kind: Function
        metadata: {name: hello}
        spec:
          runtime: python3.12
          handler: hello.handler
          timeout: "10"
          function: |
            def handler(event, context):
                return "hello " + event["data"].decode()
        ---
        apiVersion: kubeless.io/v1beta1
        kind: HTTPTrigger
        metadata: {name: private}
        spec: {function-name: hello, path: private, basic-auth-secret: users}
        """);
    LocalPlatform platform = start();
    try {
      platform.watch(List.of(dir));
      String gateway = platform.httpUrl().orElseThrow();
      await("the function ready").atMost(TIMEOUT).until(() -> platform.ready("default/hello"));
      // no Secret yet: the route is not served, never served open
      assertThat(post(gateway + "private", "x", null).statusCode()).isEqualTo(404);

      // the Secret added, in a later file: the trigger is read before it
      Path users = dir.resolve("z-users.yaml");
      Files.writeString(users, secret("alice:$apr1$xyzabc12$wV5/gRd3p1qZVpf79jFkA1"));
      await("alice let in")
          .atMost(TIMEOUT)
          .until(() -> post(gateway + "private", "a", "alice:secret").statusCode() == 200);
      assertThat(post(gateway + "private", "x", null).statusCode()).isEqualTo(401);

      // the Secret changed: bob now, alice no longer, without the trigger changing
      Files.writeString(users, secret("bob:$apr1$bobsalt1$V6Um3Ud6k6m9xt8dCENAQ."));
      await("bob let in")
          .atMost(TIMEOUT)
          .until(() -> post(gateway + "private", "b", "bob:hunter2").statusCode() == 200);
      assertThat(post(gateway + "private", "a", "alice:secret").statusCode()).isEqualTo(401);

      // the Secret removed: the route is no longer served, never served open
      Files.delete(users);
      await("the route withdrawn")
          .atMost(TIMEOUT)
          .until(() -> post(gateway + "private", "b", "bob:hunter2").statusCode() == 404);
      assertThat(post(gateway + "private", "x", null).statusCode()).isEqualTo(404);
    } finally {
      platform.close();
    }
  }

  private static String secret(String htpasswd) {
    return """
        apiVersion: v1
        kind: Secret
        metadata: {name: users}
        stringData:
          auth: |
            %s
        """
        .formatted(htpasswd);
  }

  /** Local mode on the test's directory, its gateway on a free port, its output in the log. */
  private LocalPlatform start() throws Exception {
    PrintStream out = new PrintStream(new TeeStream(log, System.out), true, StandardCharsets.UTF_8);
    return LocalPlatform.start(
        Manifests.load(List.of(dir)),
        new LocalPlatform.Options(
            dir.resolve(".kubeless"), Path.of("..", "runtimes"), null, 0, null, 0, out, 0));
  }

  /** The events the admin API reports for trigger greet's one binding. */
  private static long greetEvents(LocalPlatform platform) {
    return platform.triggerStates().stream()
        .filter(t -> "greet".equals(t.get("name")))
        .flatMap(t -> ((List<?>) t.get("functions")).stream())
        .mapToLong(f -> ((Number) ((Map<?, ?>) f).get("events")).longValue())
        .sum();
  }

  private HttpResponse<String> post(String url, String body, String credentials) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "text/plain")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (credentials != null) {
      request.header(
          "Authorization",
          "Basic "
              + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
