package io.kubeless.http;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Map;

/**
 * A free port for the built-in gateway, chosen before the application starts, so that the tests
 * read where to send requests from the configuration (port 0 would work too, but leaves the tests
 * to find the bound port).
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
