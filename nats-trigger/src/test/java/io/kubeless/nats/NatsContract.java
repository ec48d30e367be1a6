package io.kubeless.nats;

import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.v1beta1.NATSTrigger;
import io.kubeless.api.v1beta1.NATSTriggerSpec;
import io.kubeless.nats.source.NatsSettings;
import io.kubeless.nats.source.NatsSource;
import io.kubeless.testing.MockApiServer;
import io.kubeless.testing.NatsServer;
import io.kubeless.testing.PackagedApp;
import io.kubeless.testing.RecordingFunction;
import io.kubeless.testing.TestFunctions;
import io.kubeless.testing.TriggerEngineContractTest;
import io.kubeless.trigger.delivery.Ordering;
import io.kubeless.trigger.engine.TriggerEngine;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.Nats;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The delivery contract on NATS, against a real {@code nats-server} with JetStream: the engine
 * alone for delivery, the packaged application (prod profile, its own OS process, against the mock
 * API server) for SIGKILL and replicas. A stream's units are subjects {@code <name>.<unit>} (with a
 * key: {@code <name>.<unit>.<key>}, so that key ordering, which orders per subject, keeps each key
 * in order), and the trigger subscribes to {@code <name>.>}.
 */
abstract class NatsContract extends TriggerEngineContractTest {

  /** The JetStream batch size of the packaged trigger: what one SIGKILL may lose. */
  static final int BATCH = 100;

  private static final Pattern N = Pattern.compile("\"n\":(\\d+)");

  static NatsServer server;
  static Connection publisher;

  @BeforeAll
  static void startServer() throws IOException, InterruptedException {
    server = NatsServer.start();
    publisher = Nats.connect(server.url());
  }

  @AfterAll
  static void stopServer() throws InterruptedException {
    publisher.close();
    server.close();
  }

  /** Whether the trigger reads through JetStream. */
  abstract boolean jetStream();

  @Override
  protected Stream stream(String prefix, int units) {
    String name = TestFunctions.unique(prefix).replaceAll("[^a-zA-Z0-9-]", "-");
    String streamName = name.toUpperCase();
    if (jetStream()) {
      try {
        publisher
            .jetStreamManagement()
            .addStream(
                StreamConfiguration.builder()
                    .name(streamName)
                    .subjects(name + ".>")
                    .storageType(StorageType.File)
                    .build());
      } catch (Exception e) {
        throw new IllegalStateException("creating stream " + streamName, e);
      }
    }
    return new NatsStream(name, streamName);
  }

  /** A subject tree, with its JetStream stream when the trigger reads through JetStream. */
  final class NatsStream implements Stream {
    final String name;
    final String streamName;

    NatsStream(String name, String streamName) {
      this.name = name;
      this.streamName = streamName;
    }

    @Override
    public String name() {
      return name;
    }

    String topic() {
      return name + ".>";
    }

    @Override
    public void publish(List<Message> messages) {
      try {
        if (jetStream()) {
          JetStream js = publisher.jetStream();
          List<CompletableFuture<PublishAck>> acks = new ArrayList<>();
          for (Message m : messages) {
            acks.add(js.publishAsync(message(m)));
            if (acks.size() >= 1000) {
              CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new))
                  .get(60, TimeUnit.SECONDS);
              acks.clear();
            }
          }
          CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        } else {
          for (Message m : messages) {
            publisher.publish(message(m));
          }
          publisher.flush(Duration.ofSeconds(30));
        }
      } catch (Exception e) {
        throw new IllegalStateException("publishing to " + name, e);
      }
    }

    private io.nats.client.Message message(Message m) {
      String subject = name + "." + m.unit() + (m.key() == null ? "" : "." + m.key());
      Headers headers = new Headers();
      if (m.contentType() != null) {
        headers.put("Content-Type", m.contentType());
      }
      return NatsMessage.builder()
          .subject(subject)
          .headers(headers.isEmpty() ? null : headers)
          .data(m.payload())
          .build();
    }
  }

  private NATSTriggerSpec spec(NatsStream stream, String selectorValue, String selectorKey) {
    NATSTriggerSpec spec = new NATSTriggerSpec();
    spec.setTopic(stream.topic());
    spec.setFunctionSelector(
        new LabelSelectorBuilder().withMatchLabels(Map.of(selectorKey, selectorValue)).build());
    if (jetStream()) {
      spec.setStream(stream.streamName);
      spec.setDeliverPolicy("all");
    }
    return spec;
  }

  @Override
  protected Binding bind(TriggerEngine engine, Stream stream, String function, Ordering ordering) {
    NatsSettings d = NatsSettings.defaults(NatsSettings.Server.at(server.url(), "contract"));
    NatsSettings settings =
        new NatsSettings(
            d.server(),
            d.pendingMessages(),
            d.pendingBytes(),
            50,
            d.fetchWait(),
            d.ackTimeout(),
            d.ackWait(),
            Duration.ofSeconds(5),
            d.idleInterval(),
            d.consumerRetention());
    NatsSource source = new NatsSource(engine, settings);
    NATSTriggerSpec spec = spec((NatsStream) stream, function, LABEL);
    spec.setOrdering(ordering.label());
    return bindThrough(engine, source, function, spec);
  }

  @Override
  protected Deployment deploy(Stream stream, RecordingFunction function) {
    NatsStream nats = (NatsStream) stream;
    MockApiServer api = MockApiServer.withCrds("natstriggers", "functions");
    KubernetesClient client = api.client();
    String ns = TestFunctions.unique("contract");
    TestFunctions.create(client, ns, function, Map.of("app", "counter"), true);
    NATSTrigger trigger = new NATSTrigger();
    trigger.setMetadata(new ObjectMetaBuilder().withName("count").withNamespace(ns).build());
    trigger.setSpec(spec(nats, "counter", "app"));
    client.resource(trigger).create();
    String durable = ns + "_count_" + function.name();
    return packaged(api, identity -> replica(api, identity), () -> drained(nats, durable));
  }

  /** Whether the JetStream consumer took everything (core NATS keeps nothing to drain). */
  private boolean drained(NatsStream stream, String durable) {
    if (!jetStream()) {
      return true;
    }
    try {
      ConsumerInfo info =
          publisher.jetStreamManagement().getConsumerInfo(stream.streamName, durable);
      return info.getNumPending() == 0 && info.getNumAckPending() == 0;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (JetStreamApiException e) {
      return false; // the consumer is not created yet
    }
  }

  private static PackagedApp replica(MockApiServer api, String identity) {
    return packagedTrigger(api)
        // the recording function listens on 127.0.0.1, on its Function's Service port
        .property("kubeless.trigger.functions.url-template", "http://127.0.0.1:{port}")
        .env("NATS_URL", server.url())
        .property("kubeless.nats.batch-size", String.valueOf(BATCH))
        .start(identity);
  }

  @Override
  protected int unit(RecordingFunction.Request request) {
    return Integer.parseInt(request.headers().get("event-topic").split("\\.")[1]);
  }

  @Override
  protected long position(RecordingFunction.Request request) {
    if (jetStream()) {
      String id = request.eventId();
      return Long.parseLong(id.substring(id.lastIndexOf('-') + 1));
    }
    Matcher m = N.matcher(new String(request.body(), StandardCharsets.UTF_8));
    if (!m.find()) {
      throw new IllegalArgumentException("no position in " + request.eventId());
    }
    return Long.parseLong(m.group(1));
  }
}
