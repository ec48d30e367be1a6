package io.kubeless.console.call;

import java.net.URI;
import java.net.http.HttpRequest;
import java.security.SecureRandom;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A call from the console to a function, as local mode's admin server and the cluster's console
 * server both make it: the caller's request with its headers, less the hop-by-hop ones and the
 * console's own credentials, plus the event headers Kubeless's {@code kubeless function call} set
 * when the caller gave none.
 */
public final class FunctionCall {

  /**
   * Headers never passed on, either way: hop-by-hop or set by the JDK client itself, and the page's
   * origin.
   */
  private static final Set<String> NOT_FORWARDED =
      Set.of(
          "host",
          "connection",
          "content-length",
          "expect",
          "upgrade",
          "transfer-encoding",
          "keep-alive",
          "te",
          "trailer",
          "proxy-connection",
          "http2-settings",
          "origin");

  /** What authenticates a caller to a console that asks for it: not the function's business. */
  private static final Set<String> CREDENTIALS = Set.of("cookie", "authorization", "referer");

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String LETTERS =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

  private FunctionCall() {}

  /**
   * The request to the function at {@code url}: {@code method} and {@code body} as the caller sent
   * them, its headers ({@code headers}, by name, any case) but those not passed on (and, with
   * {@code withoutCredentials}, its cookies, {@code Authorization} and {@code Referer}: those of a
   * console that authenticates its users), and {@code event-id}, {@code event-time}, {@code
   * event-namespace} ({@code cli.kubeless.io}) and {@code event-type} (the content type) unless the
   * caller set them.
   */
  public static HttpRequest.Builder request(
      URI url,
      String method,
      byte[] body,
      Map<String, List<String>> headers,
      boolean withoutCredentials) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(url)
            .method(
                method,
                body == null || body.length == 0
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
    Map<String, String> first = new java.util.HashMap<>();
    headers.forEach(
        (name, values) -> {
          String key = name.toLowerCase(Locale.ROOT);
          if (!values.isEmpty()) {
            first.putIfAbsent(key, values.getFirst());
          }
          if (passedOn(key) && !(withoutCredentials && CREDENTIALS.contains(key))) {
            values.forEach(v -> b.header(name, v));
          }
        });
    if (!first.containsKey("event-id")) {
      b.header("event-id", eventId());
    }
    if (!first.containsKey("event-time")) {
      b.header(
          "event-time",
          OffsetDateTime.now(ZoneOffset.UTC)
              .truncatedTo(ChronoUnit.SECONDS)
              .format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
    }
    if (!first.containsKey("event-namespace")) {
      b.header("event-namespace", "cli.kubeless.io");
    }
    String type = first.get("content-type");
    if (!first.containsKey("event-type") && type != null && !type.isBlank()) {
      b.header("event-type", type);
    }
    return b;
  }

  /** Whether a header of the request or of the function's answer is passed on. */
  public static boolean passedOn(String name) {
    return !name.startsWith(":") && !NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT));
  }

  /** An event id as Kubeless's CLI made them: 11 letters and digits. */
  static String eventId() {
    StringBuilder id = new StringBuilder(11);
    for (int i = 0; i < 11; i++) {
      id.append(LETTERS.charAt(RANDOM.nextInt(LETTERS.length())));
    }
    return id.toString();
  }
}
