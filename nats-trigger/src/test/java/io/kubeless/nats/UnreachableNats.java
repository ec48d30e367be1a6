package io.kubeless.nats;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Map;

/**
 * Points the application under test at a local port nothing listens on: a NATS server that is down,
 * so every connection attempt is refused at once. Tests with a real server use their own.
 */
public class UnreachableNats implements QuarkusTestResourceLifecycleManager {

  @Override
  public Map<String, String> start() {
    return Map.of("kubeless.nats.url", url());
  }

  /** {@code nats://127.0.0.1:<a port that was free a moment ago and is closed now>}. */
  static String url() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return "nats://127.0.0.1:" + socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void stop() {
    // nothing was started
  }
}
