package io.kubeless.trigger.kubernetes;

import io.kubeless.api.function.FunctionFields;
import io.kubeless.api.status.Conditions;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionStatus;
import io.kubeless.trigger.function.FunctionEndpoint;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a {@link Function} into the {@link FunctionEndpoint} a trigger invokes, reading its fields
 * with {@link FunctionFields} like every other component.
 *
 * <p>The URL is <em>derived</em> from the Function's name, namespace and Service port by the
 * operator's URL template ({@code kubeless.trigger.functions.url-template}, by default Kubeless's
 * {@code http://<name>.<ns>.svc.<domain>:<port>}), never taken from {@code status.url}: whoever may
 * write a Function's status could otherwise send every trigger's events to any address.
 *
 * <p>A Function is ready when {@code status.readyReplicas > 0}; when the status has no replica
 * count, its {@code Ready} condition decides; when it says neither (no status at all, a Function of
 * Kubeless's own controller) it is taken as ready, and a refused connection is retried as if it
 * were not.
 */
public final class FunctionEndpoints {

  /** Kubeless's address of a function: its Service's in-cluster DNS name and port. */
  public static final String DEFAULT_URL_TEMPLATE =
      "http://{name}.{namespace}.svc.{cluster-domain}:{port}";

  private static final Set<String> PLACEHOLDERS =
      Set.of("name", "namespace", "cluster-domain", "port");
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^{}]*)}");

  private final String template;
  private final String clusterDomain;

  /**
   * @param urlTemplate the address of a function, with the placeholders {@code {name}}, {@code
   *     {namespace}}, {@code {cluster-domain}} and {@code {port}}
   * @param clusterDomain the cluster's DNS suffix, for {@code {cluster-domain}}
   * @throws IllegalArgumentException saying what is wrong with the template, at start-up
   */
  public FunctionEndpoints(String urlTemplate, String clusterDomain) {
    this.template = validate(urlTemplate, clusterDomain);
    this.clusterDomain = clusterDomain;
  }

  /** Kubeless's default address, in {@code clusterDomain}. */
  public static FunctionEndpoints defaults(String clusterDomain) {
    return new FunctionEndpoints(DEFAULT_URL_TEMPLATE, clusterDomain);
  }

  /**
   * The endpoint of {@code function}.
   *
   * @throws IllegalArgumentException when its address cannot be built; the caller skips it
   */
  public FunctionEndpoint of(Function function) {
    var meta = function.getMetadata();
    return new FunctionEndpoint(
        meta.getNamespace(),
        meta.getName(),
        url(meta.getName(), meta.getNamespace(), FunctionFields.servicePort(function.getSpec())),
        FunctionFields.timeoutOrDefault(function.getSpec()),
        ready(function),
        meta.getLabels());
  }

  /**
   * Where the function {@code namespace/name} listening on {@code port} is invoked.
   *
   * @throws IllegalArgumentException when the result is no absolute http(s) URL with a host
   */
  public URI url(String name, String namespace, int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is not between 1 and 65535");
    }
    return absolute(
        expand(
            template,
            Map.of(
                "name", name,
                "namespace", namespace,
                "cluster-domain", clusterDomain,
                "port", Integer.toString(port))));
  }

  /** Whether {@code function} has a ready endpoint, as its status says; see the class comment. */
  public static boolean ready(Function function) {
    FunctionStatus status = function.getStatus();
    if (status == null) {
      return true;
    }
    if (status.getReadyReplicas() != null) {
      return status.getReadyReplicas() > 0;
    }
    if (Conditions.find(status, Conditions.READY).isPresent()) {
      return Conditions.isReady(status);
    }
    return true;
  }

  private static String validate(String template, String clusterDomain) {
    String problem = null;
    if (template == null || template.isBlank()) {
      problem = "it is empty";
    } else {
      Matcher m = PLACEHOLDER.matcher(template);
      while (m.find() && problem == null) {
        if (!PLACEHOLDERS.contains(m.group(1))) {
          problem = "{" + m.group(1) + "} is not a placeholder";
        }
      }
      String rest = PLACEHOLDER.matcher(template).replaceAll("");
      if (problem == null && (rest.contains("{") || rest.contains("}"))) {
        problem = "it has an unmatched '{' or '}'";
      }
      if (problem == null) {
        try {
          absolute(
              expand(
                  template,
                  Map.of(
                      "name", "fn",
                      "namespace", "default",
                      "cluster-domain", clusterDomain,
                      "port", "8080")));
        } catch (IllegalArgumentException e) {
          problem = e.getMessage();
        }
      }
    }
    if (problem != null) {
      throw new IllegalArgumentException(
          "kubeless.trigger.functions.url-template '%s' is invalid: %s; use an http(s) URL made of the placeholders {name}, {namespace}, {cluster-domain} and {port}, such as %s"
              .formatted(template, problem, DEFAULT_URL_TEMPLATE));
    }
    return template.trim();
  }

  private static String expand(String template, Map<String, String> values) {
    return PLACEHOLDER
        .matcher(template.trim())
        .replaceAll(m -> Matcher.quoteReplacement(values.get(m.group(1))));
  }

  private static URI absolute(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("'" + url + "' is not a URL (" + e.getReason() + ")");
    }
    if (uri.getScheme() == null
        || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
        || uri.getHost() == null) {
      throw new IllegalArgumentException("'" + url + "' is not an http(s) URL with a host");
    }
    return uri;
  }
}
