package io.kubeless.http.gateway;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The routes served, immutable: looked up without a lock on every request, replaced as a whole when
 * a route changes.
 *
 * <p>A request goes to the route of its host with the longest path prefix matching on a segment
 * boundary ({@code /api} matches {@code /api} and {@code /api/x}, never {@code /apix}); when no
 * route of its host matches, to the longest matching route for any host.
 */
final class RouteTable {

  /** A route and its meters. */
  record Served(Route route, RouteMetrics metrics) {}

  static final RouteTable EMPTY = new RouteTable(List.of());

  private final Map<String, Served[]> byHost = new HashMap<>();
  private final Served[] anyHost;

  RouteTable(Collection<Served> served) {
    Map<String, List<Served>> hosts = new HashMap<>();
    List<Served> any = new ArrayList<>();
    for (Served s : served) {
      String host = s.route().host();
      (host == null ? any : hosts.computeIfAbsent(host, h -> new ArrayList<>())).add(s);
    }
    Comparator<Served> longestFirst =
        Comparator.comparingInt((Served s) -> s.route().path().length()).reversed();
    hosts.forEach(
        (host, list) ->
            byHost.put(host, list.stream().sorted(longestFirst).toArray(Served[]::new)));
    anyHost = any.stream().sorted(longestFirst).toArray(Served[]::new);
  }

  /**
   * The route for a request.
   *
   * @param host the request's host, normalised ({@link Route#normaliseHost}), or null
   * @param path the request's path, normalised ({@link Route#normalisePath})
   */
  Served match(String host, String path) {
    if (host != null) {
      Served[] candidates = byHost.get(host);
      if (candidates != null) {
        Served s = longest(candidates, path);
        if (s != null) {
          return s;
        }
      }
    }
    return longest(anyHost, path);
  }

  private static Served longest(Served[] candidates, String path) {
    for (Served s : candidates) {
      if (matches(s.route().path(), path)) {
        return s;
      }
    }
    return null;
  }

  static boolean matches(String prefix, String path) {
    return prefix.length() == 1
        || path.equals(prefix)
        || (path.startsWith(prefix) && path.charAt(prefix.length()) == '/');
  }

  /**
   * What the function sees of {@code path} under {@code prefix}: the rest, as Kubeless's nginx
   * Ingress with {@code rewrite-target: /} did ({@code /hello/a/b} under {@code /hello} is {@code
   * /a/b}; {@code /hello} itself is {@code /}).
   */
  static String rest(String prefix, String path) {
    if (prefix.length() == 1) {
      return path;
    }
    return path.length() == prefix.length() ? "/" : path.substring(prefix.length());
  }
}
