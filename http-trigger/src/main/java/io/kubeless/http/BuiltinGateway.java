package io.kubeless.http;

import io.kubeless.http.config.HttpTriggerConfig;
import io.kubeless.http.gateway.Gateway;
import io.kubeless.http.gateway.GatewaySettings;
import io.kubeless.trigger.function.FunctionDirectory;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/**
 * The built-in gateway of this replica, started with the application on its own port ({@code
 * kubeless.http-trigger.gateway.port}), apart from the management port of health and metrics. It
 * resolves functions through the informer-backed function directory, like every trigger.
 */
@Singleton
public class BuiltinGateway {

  private static final Logger LOG = Logger.getLogger(BuiltinGateway.class);

  private final Gateway gateway;
  private final int port;

  public BuiltinGateway(
      Vertx vertx, FunctionDirectory functions, HttpTriggerConfig config, MeterRegistry registry) {
    var configured = config.gateway();
    GatewaySettings defaults = GatewaySettings.defaults();
    GatewaySettings settings =
        new GatewaySettings(
            configured.host(),
            configured.port(),
            configured.maxBodyBytes().orElse(defaults.maxBodyBytes()),
            configured.retryAfter().orElse(defaults.retryAfter()));
    this.gateway = new Gateway(vertx, functions, settings, registry);
    this.port = gateway.start();
    LOG.infof("Built-in gateway listening on %s:%d", settings.host(), port);
  }

  /** Starts the gateway with the application, not with the first builtin trigger. */
  void onStart(@Observes StartupEvent event) {
    LOG.debugf("Built-in gateway on port %d", port);
  }

  public Gateway gateway() {
    return gateway;
  }

  /** The port the gateway listens on (the configured one, or the free one picked for 0). */
  public int port() {
    return port;
  }

  @PreDestroy
  void close() {
    gateway.close();
  }
}
