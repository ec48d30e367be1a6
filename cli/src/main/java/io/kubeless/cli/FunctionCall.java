package io.kubeless.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The request {@code function call} sends through the API server's service proxy, with the headers
 * Kubeless's CLI sends. Built apart from the network so tests can check it.
 *
 * @param method GET without data, POST with it, unless {@code -X} says otherwise
 * @param path the API path, relative to the API server's URL
 * @param headers the headers, {@code -H} ones last and winning over the defaults
 * @param body the payload, or null
 */
record FunctionCall(String method, String path, Map<String, String> headers, byte[] body) {

  static final String EVENT_NAMESPACE = "cli.kubeless.io";
  static final String FORM = "application/x-www-form-urlencoded";
  static final String JSON = "application/json";

  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String LETTERS =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

  /**
   * @param port the Service port's name when it has one, else its number, as Kubeless
   * @param data the payload or null
   * @param method {@code -X}, or null for Kubeless's GET/POST choice
   * @param extraHeaders {@code -H 'Name: value'} lines
   */
  static FunctionCall of(
      String namespace,
      String name,
      String port,
      byte[] data,
      String method,
      List<String> extraHeaders,
      Clock clock) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("event-id", eventId());
    headers.put(
        "event-time",
        OffsetDateTime.now(clock)
            .truncatedTo(ChronoUnit.SECONDS)
            .format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
    headers.put("event-namespace", EVENT_NAMESPACE);
    if (data != null) {
      String type = isJson(data) ? JSON : FORM;
      headers.put("event-type", type);
      headers.put("Content-Type", type);
    }
    for (String line : extraHeaders) {
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new Cli.CliException("invalid header \"" + line + "\": expected 'Name: value'");
      }
      String key = line.substring(0, colon).trim();
      headers.keySet().removeIf(k -> k.equalsIgnoreCase(key));
      headers.put(key, line.substring(colon + 1).trim());
    }
    String verb = method != null ? method.toUpperCase(Locale.ROOT) : data == null ? "GET" : "POST";
    String path = "api/v1/namespaces/%s/services/%s:%s/proxy/".formatted(namespace, name, port);
    return new FunctionCall(verb, path, headers, data);
  }

  /** The Content-Type header, if any. */
  String contentType() {
    return headers.entrySet().stream()
        .filter(e -> e.getKey().equalsIgnoreCase("Content-Type"))
        .map(Map.Entry::getValue)
        .findFirst()
        .orElse(null);
  }

  /** Whether the payload is a JSON document, which Kubeless sends as application/json. */
  static boolean isJson(byte[] data) {
    try {
      MAPPER.readTree(new String(data, StandardCharsets.UTF_8));
      return data.length > 0;
    } catch (JsonProcessingException e) {
      return false;
    }
  }

  /** Eleven random characters, as Kubeless's event ids. */
  static String eventId() {
    StringBuilder id = new StringBuilder(11);
    for (int i = 0; i < 11; i++) {
      id.append(LETTERS.charAt(RANDOM.nextInt(LETTERS.length())));
    }
    return id.toString();
  }
}
