package io.kubeless.console;

import io.kubeless.api.function.FunctionFields;
import io.kubeless.api.v1beta1.Function;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the console calls a function: {@code kubeless.console.functions.url-template} filled with
 * the Function's name, namespace and Service port. Never {@code status.url}, nor any address a
 * request names: the console calls existing functions' Services and nothing else.
 */
final class FunctionUrls {

  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^{}]*)}");
  private final String template;

  FunctionUrls(String template) {
    this.template = template.trim();
    Matcher m = PLACEHOLDER.matcher(this.template);
    while (m.find()) {
      if (!Map.of("name", 1, "namespace", 1, "port", 1).containsKey(m.group(1))) {
        throw invalid("{" + m.group(1) + "} is not a placeholder");
      }
    }
    url("fn", "default", FunctionFields.DEFAULT_PORT); // fails now rather than at the first call
  }

  /** The URL of {@code function}. */
  URI of(Function function) {
    return url(
        function.getMetadata().getName(),
        function.getMetadata().getNamespace(),
        FunctionFields.servicePort(function.getSpec()));
  }

  private URI url(String name, String namespace, int port) {
    Map<String, String> values =
        Map.of("name", name, "namespace", namespace, "port", Integer.toString(port));
    String url =
        PLACEHOLDER
            .matcher(template)
            .replaceAll(m -> Matcher.quoteReplacement(values.get(m.group(1))));
    try {
      URI uri = new URI(url);
      if (uri.getHost() == null
          || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
        throw invalid("'" + url + "' is not an http(s) URL with a host");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw invalid("'" + url + "' is not a URL");
    }
  }

  private IllegalArgumentException invalid(String problem) {
    return new IllegalArgumentException(
        "kubeless.console.functions.url-template '%s' is invalid: %s".formatted(template, problem));
  }
}
