package io.kubeless.console.bundle;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The web console's files, from the classpath ({@code META-INF/resources/console/} of this jar), as
 * local mode's admin server and the cluster's console server both serve them: its content type and
 * how long a browser may keep it. The bundle's names carry a hash of their content, so they are
 * kept a year; {@code index.html}, which names them, is checked every time. Each answer also
 * carries {@link #SECURITY_HEADERS}.
 */
public final class ConsoleBundle {

  static final String ROOT = "META-INF/resources/console/";

  /**
   * Sent with every file: the page drives an API of its own origin, so it is never framed and loads
   * nothing from elsewhere.
   */
  public static final Map<String, String> SECURITY_HEADERS =
      Map.of(
          "X-Content-Type-Options",
          "nosniff",
          "X-Frame-Options",
          "DENY",
          "Referrer-Policy",
          "no-referrer",
          "Content-Security-Policy",
          "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
              + " frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'");

  /** A file to send. */
  public record File(byte[] body, String contentType, String cacheControl) {}

  // one path segment of the bundle's own names: no "..", no folders, nothing to escape
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}");
  private static final Pattern HASHED = Pattern.compile(".*-[A-Z0-9]{8}\\.[a-z.]+");
  private static final Map<String, String> TYPES =
      Map.of(
          "html", "text/html; charset=utf-8",
          "js", "text/javascript; charset=utf-8",
          "css", "text/css; charset=utf-8",
          "map", "application/json",
          "txt", "text/plain; charset=utf-8",
          "svg", "image/svg+xml",
          "png", "image/png",
          "ico", "image/x-icon");

  private final Map<String, Optional<File>> cache = new ConcurrentHashMap<>();

  /** The file at {@code path} ({@code /} is {@code index.html}), when the console has it. */
  public Optional<File> find(String path) {
    String name = path.equals("/") || path.isEmpty() ? "index.html" : path.substring(1);
    if (!NAME.matcher(name).matches() || name.contains("..")) {
      return Optional.empty();
    }
    return cache.computeIfAbsent(name, ConsoleBundle::load);
  }

  private static Optional<File> load(String name) {
    String ext = name.substring(name.lastIndexOf('.') + 1);
    String type = TYPES.get(ext);
    if (type == null) {
      return Optional.empty();
    }
    try (InputStream in = ConsoleBundle.class.getClassLoader().getResourceAsStream(ROOT + name)) {
      if (in == null) {
        return Optional.empty();
      }
      String cache =
          HASHED.matcher(name).matches() ? "public, max-age=31536000, immutable" : "no-cache";
      return Optional.of(new File(in.readAllBytes(), type, cache));
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
