package io.kubeless.http;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Map;

/**
 * A free port for the built-in gateway. Port 0 is not used: the gateway binds its first server on
 * the configured port and the others on the port it got, which Vert.x shares only when the
 * configured port was that very number.
 */
public class FreeGatewayPort implements QuarkusTestResourceLifecycleManager {

  @Override
  public Map<String, String> start() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return Map.of("kubeless.http-trigger.gateway.port", Integer.toString(socket.getLocalPort()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void stop() {
    // nothing was started
  }
}
