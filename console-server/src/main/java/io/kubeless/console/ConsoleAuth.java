package io.kubeless.console;

import io.kubeless.console.ConsoleConfig.AuthMode;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import org.jboss.logging.Logger;

/**
 * Who may use the API (see the README, "Authentication"). With {@code auth=token}, a request
 * carries the token as {@code Authorization: Bearer} or in the {@code kubeless-console} cookie that
 * {@code POST /api/login} sets; with {@code auth=proxy}, the proxy in front names the user in a
 * header. Anything else is a 401.
 *
 * <p>A write a browser may send on its own (with the cookie, or through the proxy's session) must
 * come from the console's own page: its {@code Origin} names this server. A foreign {@code Origin}
 * is refused on every write; only a bearer-token client (which a page of another site cannot be)
 * may send none.
 */
final class ConsoleAuth {

  static final String COOKIE = "kubeless-console";
  private static final Logger LOG = Logger.getLogger(ConsoleAuth.class);

  private final ConsoleConfig config;
  private final byte[] token;

  ConsoleAuth(ConsoleConfig config) {
    this.config = config;
    String configured = config.token().map(String::trim).orElse("");
    if (config.auth() == AuthMode.TOKEN && configured.isEmpty()) {
      throw new IllegalStateException(
          "kubeless.console.auth=token needs a token: set KUBELESS_CONSOLE_TOKEN (from a Secret),"
              + " or use kubeless.console.auth=proxy behind an authenticating proxy");
    }
    this.token = configured.getBytes(StandardCharsets.UTF_8);
  }

  /** Lets the request through ({@code ctx.next()}), or answers 401 or 403. */
  void authenticate(RoutingContext ctx) {
    boolean write = ctx.request().method() != HttpMethod.GET;
    String origin = ctx.request().getHeader("Origin");
    if (write && origin != null && !sameOrigin(ctx, origin)) {
      Json.error(ctx, 403, "a write from another origin (" + origin + ") is refused");
      return;
    }
    if (config.auth() == AuthMode.PROXY) {
      String user = ctx.request().getHeader(config.userHeader());
      if (user == null || user.isBlank()) {
        Json.error(ctx, 401, "not authenticated: no " + config.userHeader() + " from the proxy");
        return;
      }
      if (write && origin == null) {
        Json.error(ctx, 403, "a write must come from the console's page (no Origin header)");
        return;
      }
      if (write) {
        LOG.infof("%s %s by %s", ctx.request().method(), ctx.normalizedPath(), user);
      }
      ctx.next();
      return;
    }
    String bearer = bearer(ctx);
    if (bearer != null && matches(bearer)) {
      ctx.next();
      return;
    }
    Cookie cookie = ctx.request().getCookie(COOKIE);
    if (cookie != null && matches(cookie.getValue())) {
      if (write && origin == null) {
        Json.error(ctx, 403, "a write must come from the console's page (no Origin header)");
        return;
      }
      ctx.next();
      return;
    }
    ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"kubeless-console\"");
    Json.error(ctx, 401, "not authenticated: log in with the console's token");
  }

  /**
   * {@code POST /api/login}, body {@code {"token": "..."}}: sets the session cookie (HttpOnly,
   * SameSite=Strict, Secure over https) when the token is right.
   */
  void login(RoutingContext ctx) {
    String origin = ctx.request().getHeader("Origin");
    if (origin != null && !sameOrigin(ctx, origin)) {
      Json.error(ctx, 403, "a login from another origin (" + origin + ") is refused");
      return;
    }
    if (config.auth() != AuthMode.TOKEN) {
      Json.error(ctx, 409, "this console is behind an authenticating proxy: there is no token");
      return;
    }
    String given;
    try {
      JsonObject body = ctx.body().asJsonObject();
      given = body == null ? null : body.getString("token");
    } catch (RuntimeException e) {
      given = null;
    }
    if (given == null || !matches(given.trim())) {
      Json.error(ctx, 401, "wrong token");
      return;
    }
    ctx.response()
        .addCookie(
            Cookie.cookie(COOKIE, given.trim())
                .setPath("/")
                .setHttpOnly(true)
                .setSameSite(CookieSameSite.STRICT)
                .setSecure(https(ctx)));
    ctx.response().setStatusCode(204).end();
  }

  /** {@code POST /api/logout}: removes the cookie. */
  void logout(RoutingContext ctx) {
    ctx.response()
        .addCookie(
            Cookie.cookie(COOKIE, "")
                .setPath("/")
                .setMaxAge(0)
                .setHttpOnly(true)
                .setSameSite(CookieSameSite.STRICT)
                .setSecure(https(ctx)));
    ctx.response().setStatusCode(204).end();
  }

  private boolean matches(String given) {
    return MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), token);
  }

  private static String bearer(RoutingContext ctx) {
    String h = ctx.request().getHeader("Authorization");
    return h != null && h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).trim() : null;
  }

  private static boolean https(RoutingContext ctx) {
    String proto = ctx.request().getHeader("X-Forwarded-Proto");
    return "https".equals(ctx.request().scheme())
        || (proto != null && proto.toLowerCase(Locale.ROOT).startsWith("https"));
  }

  /** Whether the page that sent the request was served by this host (as the browser reached it). */
  private static boolean sameOrigin(RoutingContext ctx, String origin) {
    String host = ctx.request().getHeader("X-Forwarded-Host");
    if (host == null) {
      host = ctx.request().getHeader("Host");
    }
    try {
      URI o = URI.create(origin);
      return host != null
          && o.getRawAuthority() != null
          && o.getRawAuthority().equalsIgnoreCase(host);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
