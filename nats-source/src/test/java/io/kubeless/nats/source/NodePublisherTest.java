package io.kubeless.nats.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.kubeless.api.v1beta1.NATSTriggerSpec;
import io.kubeless.testing.BrokerTest;
import io.kubeless.testing.NatsServer;
import io.kubeless.testing.RecordingFunction;
import io.kubeless.testing.Repository;
import io.kubeless.testing.TestingSpecs;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.engine.BindingState;
import io.kubeless.trigger.engine.Bindings;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerState;
import io.kubeless.trigger.function.InMemoryFunctionDirectory;
import io.kubeless.trigger.invoke.Invoker;
import io.kubeless.trigger.metrics.TriggerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A publisher that is not ours: the official Node.js NATS client ({@code nats} on npm, installed by
 * the test into {@code src/test/node}) sends a request with headers; the function gets the headers,
 * the message id as its event id, and the requester gets the function's answer.
 */
@BrokerTest
class NodePublisherTest {

  private static final Path NODE = Repository.root().resolve("nats-source/src/test/node");

  @Test
  void aNodeJsRequestWithHeadersGetsTheFunctionsReply() throws Exception {
    installClient();
    Vertx vertx = Vertx.vertx();
    InMemoryFunctionDirectory directory = new InMemoryFunctionDirectory();
    try (NatsServer server = NatsServer.start();
        Invoker invoker = new Invoker(vertx, Invoker.Options.defaults());
        RecordingFunction f = new RecordingFunction("greeter")) {
      f.respond(r -> ("hi " + new String(r.body(), StandardCharsets.UTF_8)).getBytes());
      directory.put(f.endpoint("default", Map.of("app", "greeter"), true, Duration.ofSeconds(2)));
      TriggerEngine engine =
          new TriggerEngine(directory, invoker, new TriggerMetrics(new SimpleMeterRegistry()));
      NatsSource source =
          new NatsSource(
              engine, NatsSettings.defaults(NatsSettings.Server.at(server.url(), "node-test")));
      Bindings<NATSTriggerSpec, NatsSubscription> bindings =
          new Bindings<>(engine, source, Duration.ofSeconds(2));
      TestingSpecs<NATSTriggerSpec> specs = new TestingSpecs<>();
      bindings.open(specs);
      TriggerId id = new TriggerId("default", "greetings");
      NATSTriggerSpec spec = new NATSTriggerSpec();
      spec.setTopic("greetings.*");
      spec.setFunctionSelector(
          new LabelSelectorBuilder().withMatchLabels(Map.of("app", "greeter")).build());
      specs.apply(id, spec);
      try {
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () ->
                    bindings.state(id).map(TriggerState::functions).orElse(List.of()).stream()
                        .anyMatch(BindingState::ready));

        JsonNode reply = request(server.url(), "greetings.en", "node");

        assertThat(reply.get("data").asText()).isEqualTo("hi node");
        assertThat(reply.get("headers").get("Kubeless-Status").asText()).isEqualTo("200");
        RecordingFunction.Request got = f.requests().getFirst();
        assertThat(got.eventId()).isEqualTo("node-1");
        assertThat(got.headers())
            .containsEntry("x-origin", "node")
            .containsEntry("content-type", "text/plain")
            .containsEntry("event-topic", "greetings.en");
      } finally {
        bindings.close();
        source.close();
        engine.close();
        vertx.close();
      }
    }
  }

  /** {@code npm ci} once (the lock file pins the client), so a fresh clone needs nothing else. */
  private static void installClient() throws IOException, InterruptedException {
    if (Files.isDirectory(NODE.resolve("node_modules/nats"))) {
      return;
    }
    Process npm =
        new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund")
            .directory(NODE.toFile())
            .redirectErrorStream(true)
            .start();
    String out = new String(npm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(npm.waitFor(5, TimeUnit.MINUTES)).as("npm ci finished").isTrue();
    assertThat(npm.exitValue()).as("npm ci: %s", out).isZero();
  }

  private static JsonNode request(String url, String subject, String body)
      throws IOException, InterruptedException {
    Process node =
        new ProcessBuilder("node", "request.mjs", url, subject, body)
            .directory(NODE.toFile())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(node.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(node.exitValue()).as("node request.mjs: %s", out).isZero();
    return new ObjectMapper().readTree(out);
  }
}
