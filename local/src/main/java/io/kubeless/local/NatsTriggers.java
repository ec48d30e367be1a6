package io.kubeless.local;

import io.kubeless.api.v1beta1.NATSTrigger;
import io.kubeless.api.v1beta1.NATSTriggerSpec;
import io.kubeless.nats.source.NatsSettings;
import io.kubeless.nats.source.NatsSource;
import io.kubeless.nats.source.NatsSubscription;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerSource;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * NATSTriggers in local mode: the server given ({@code --nats-url}, {@code NATS_URL}), else a
 * {@code nats-server} process with JetStream, its store in {@code .kubeless/nats/}. Local mode
 * creates no stream: a trigger with {@code stream} waits until the user creates it (e.g. {@code
 * kubeless trigger nats create-stream}).
 */
final class NatsTriggers extends LocalTriggers<NATSTrigger, NATSTriggerSpec, NatsSubscription> {

  private final String given;
  private final int port;
  private volatile LocalNatsServer server;
  private volatile String url;

  /**
   * @param given the NATS server to use instead of starting one, or null
   * @param port the started server's port; 0 for 4222 when free, else any
   */
  NatsTriggers(PrintStream out, Path home, String given, int port) {
    super(out, home);
    this.given = given;
    this.port = port;
  }

  @Override
  String kind() {
    return "NATSTrigger";
  }

  @Override
  String prefix() {
    return "nats";
  }

  @Override
  List<NATSTrigger> triggers(Manifests m) {
    return m.natsTriggers();
  }

  @Override
  NATSTriggerSpec spec(NATSTrigger trigger) {
    return trigger.getSpec();
  }

  @Override
  protected String describe(NATSTrigger trigger) {
    NATSTriggerSpec spec = trigger.getSpec();
    if (spec == null) {
      return "subject ";
    }
    return "subject "
        + spec.getTopic()
        + (spec.getStream() == null ? "" : " of stream " + spec.getStream());
  }

  @Override
  protected TriggerSource<NATSTriggerSpec, NatsSubscription> start(
      TriggerEngine engine, List<NATSTrigger> triggers) throws Exception {
    String urls = given;
    if (urls == null || urls.isBlank()) {
      urls = System.getenv("NATS_URL");
    }
    if (urls != null && !urls.isBlank()) {
      url = urls.trim();
    } else {
      Path binary =
          LocalNatsServer.binary()
              .orElseThrow(
                  () -> new Unavailable(LocalNatsServer.INSTALL + "; the NATSTriggers do not run"));
      Path dir = home.resolve("nats");
      out.println("starting nats-server (" + binary + ", JetStream data in " + dir + ")");
      server = LocalNatsServer.start(binary, dir, port, out);
      url = server.url();
    }
    return new NatsSource(
        engine, NatsSettings.defaults(NatsSettings.Server.at(url, "kubeless-local")));
  }

  @Override
  protected String serverLine() {
    if (url == null) {
      return null;
    }
    LocalNatsServer s = server;
    return "nats: "
        + url
        + (s != null ? " (local nats-server, data in " + s.store() + ")" : " (given)");
  }

  @Override
  protected void state(Map<String, Object> state) {
    if (url != null) {
      state.put("nats", url);
      state.put("natsLocal", server != null);
    }
  }

  @Override
  protected void stopServer() {
    LocalNatsServer s = server;
    if (s != null) {
      s.close();
    }
    server = null;
    url = null;
  }

  /** The server the triggers use, while they run. */
  String url() {
    return url;
  }

  /** The started {@code nats-server}'s process, when local mode started one. */
  Optional<ProcessHandle> serverProcess() {
    LocalNatsServer s = server;
    return s == null ? Optional.empty() : Optional.of(s.process());
  }
}
