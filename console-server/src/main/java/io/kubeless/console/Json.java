package io.kubeless.console;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;

/** JSON answers, written with fabric8's mapper so that resources look as the API server's. */
final class Json {

  private Json() {}

  static void send(RoutingContext ctx, int status, Object body) {
    String text;
    try {
      text = Serialization.jsonMapper().writerWithDefaultPrettyPrinter().writeValueAsString(body);
    } catch (JsonProcessingException e) {
      status = 500;
      text = "{\"error\": \"the answer could not be written\"}";
    }
    if (ctx.response().ended() || ctx.response().headWritten()) {
      return;
    }
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .end(text);
  }

  static void error(RoutingContext ctx, int status, String message) {
    send(ctx, status, Map.of("error", message));
  }
}
