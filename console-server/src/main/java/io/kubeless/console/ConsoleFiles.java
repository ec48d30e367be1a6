package io.kubeless.console;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The web console's files, from the console module's jar ({@code META-INF/resources/console/}):
 * {@code /} is its page, which names the bundle's hashed files. The page is checked at every load
 * ({@code no-cache}), the hashed files kept a year; neither may be framed or load anything from
 * another origin.
 */
final class ConsoleFiles implements Handler<RoutingContext> {

  private static final String ROOT = "META-INF/resources/console/";
  // one path segment of the bundle's own names: no "..", no folders, nothing to escape
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}");
  private static final Pattern HASHED = Pattern.compile(".*-[A-Z0-9]{8}\\.[a-z.]+");
  private static final Map<String, String> TYPES =
      Map.of(
          "html", "text/html; charset=utf-8",
          "js", "text/javascript; charset=utf-8",
          "css", "text/css; charset=utf-8",
          "map", "application/json",
          "svg", "image/svg+xml",
          "png", "image/png",
          "ico", "image/x-icon");
  static final String CSP =
      "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
          + " frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

  private record File(Buffer body, String contentType, String cacheControl) {}

  private final Map<String, Optional<File>> cache = new ConcurrentHashMap<>();

  @Override
  public void handle(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    if (path.startsWith("/q/")) {
      ctx.next(); // Quarkus's own: health, metrics
      return;
    }
    String name = path.equals("/") ? "index.html" : path.substring(1);
    Optional<File> file =
        NAME.matcher(name).matches() && !name.contains("..")
            ? cache.computeIfAbsent(name, ConsoleFiles::load)
            : Optional.empty();
    var response = ctx.response();
    response.putHeader("X-Content-Type-Options", "nosniff");
    response.putHeader("X-Frame-Options", "DENY");
    response.putHeader("Referrer-Policy", "no-referrer");
    if (file.isEmpty()) {
      Json.error(ctx, 404, "no such file: " + path);
      return;
    }
    response.putHeader("Content-Type", file.get().contentType());
    response.putHeader("Cache-Control", file.get().cacheControl());
    response.putHeader("Content-Security-Policy", CSP);
    response.end(file.get().body());
  }

  private static Optional<File> load(String name) {
    String type = TYPES.get(name.substring(name.lastIndexOf('.') + 1));
    if (type == null) {
      return Optional.empty();
    }
    try (InputStream in =
        Thread.currentThread().getContextClassLoader().getResourceAsStream(ROOT + name)) {
      if (in == null) {
        return Optional.empty();
      }
      String cache =
          HASHED.matcher(name).matches() ? "public, max-age=31536000, immutable" : "no-cache";
      return Optional.of(new File(Buffer.buffer(in.readAllBytes()), type, cache));
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
