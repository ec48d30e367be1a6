package io.kubeless.http.gateway;

import io.kubeless.trigger.TriggerId;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * One HTTPTrigger as the gateway serves it: requests for {@code host} whose path starts with {@code
 * path} (on a segment boundary) go to {@code function}.
 *
 * @param trigger the trigger; the gateway holds one route per trigger
 * @param created when the trigger was created: of two routes with the same host and path, the older
 *     one is served and the other reports a {@link RouteProblem#CONFLICT}
 * @param host the virtual host, matched exactly and case-insensitively, the port ignored; null (or
 *     blank) for any host. Kept lower-case, without a port or a trailing dot.
 * @param path the path prefix; {@code "/"} when null or blank. Kept normalised: one leading slash,
 *     no empty or trailing segments ({@code foo//bar/} is {@code /foo/bar}), as Kubeless wrote
 *     {@code "/" + spec.path} into its Ingress
 * @param function the function's name, in the trigger's namespace
 * @param cors whether CORS preflights are answered and responses allow any origin
 * @param basicAuth the credentials a request must carry, or null for none
 */
public record Route(
    TriggerId trigger,
    Instant created,
    String host,
    String path,
    String function,
    boolean cors,
    Htpasswd basicAuth) {

  public Route {
    Objects.requireNonNull(trigger, "trigger");
    Objects.requireNonNull(function, "function");
    created = created == null ? Instant.EPOCH : created;
    host = normaliseHost(host);
    path = normalisePath(path);
  }

  /** A route for any host, without CORS or basic auth. */
  public static Route of(TriggerId trigger, String path, String function) {
    return new Route(trigger, Instant.EPOCH, null, path, function, false, null);
  }

  /** Lower-case, without a port or a trailing dot; null for any host. */
  static String normaliseHost(String host) {
    if (host == null || host.isBlank()) {
      return null;
    }
    String h = host.trim().toLowerCase(Locale.ROOT);
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      h = end < 0 ? h : h.substring(0, end + 1);
    } else {
      int colon = h.indexOf(':');
      if (colon >= 0 && colon == h.lastIndexOf(':')) {
        h = h.substring(0, colon);
      }
    }
    while (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    return h.isEmpty() ? null : h;
  }

  /**
   * {@code /a/b}: one leading slash, empty and {@code .} segments dropped, {@code ..} taking the
   * previous segment away (never above the root), no trailing slash; {@code /} for nothing.
   */
  static String normalisePath(String path) {
    if (path == null || path.isBlank()) {
      return "/";
    }
    StringBuilder out = new StringBuilder(path.length() + 1);
    int i = 0;
    int n = path.length();
    while (i < n) {
      int next = path.indexOf('/', i);
      if (next < 0) {
        next = n;
      }
      String segment = path.substring(i, next);
      if (segment.equals("..")) {
        int last = out.lastIndexOf("/");
        out.setLength(Math.max(0, last));
      } else if (!segment.isEmpty() && !segment.equals(".")) {
        out.append('/').append(segment);
      }
      i = next + 1;
    }
    return out.isEmpty() ? "/" : out.toString();
  }

  /**
   * What the route answers on, for a person: {@code example.com/api}, or {@code *} then the path
   * for any host.
   */
  public String describe() {
    return (host == null ? "*" : host) + path;
  }

  /** Identity of what the route serves: two routes with equal keys conflict. */
  Key key() {
    return new Key(host, path);
  }

  record Key(String host, String path) {}
}
