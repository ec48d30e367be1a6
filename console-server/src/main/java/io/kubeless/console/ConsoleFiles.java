package io.kubeless.console;

import io.kubeless.console.bundle.ConsoleBundle;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;

/**
 * The web console's files ({@link ConsoleBundle}) on Quarkus's router: {@code /} is its page, which
 * names the bundle's hashed files; Quarkus's own paths ({@code /q/...}) pass through.
 */
final class ConsoleFiles implements Handler<RoutingContext> {

  private final ConsoleBundle bundle = new ConsoleBundle();

  @Override
  public void handle(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    if (path.startsWith("/q/")) {
      ctx.next(); // Quarkus's own: health, metrics
      return;
    }
    Optional<ConsoleBundle.File> file = bundle.find(path);
    var response = ctx.response();
    ConsoleBundle.SECURITY_HEADERS.forEach(response::putHeader);
    if (file.isEmpty()) {
      Json.error(ctx, 404, "no such file: " + path);
      return;
    }
    response.putHeader("Content-Type", file.get().contentType());
    response.putHeader("Cache-Control", file.get().cacheControl());
    response.end(Buffer.buffer(file.get().body()));
  }
}
