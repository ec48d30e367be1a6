package io.kubeless.local;

import io.kubeless.api.function.FunctionFields;
import io.kubeless.api.function.Handler;
import io.kubeless.api.function.InvalidFunctionException;
import io.kubeless.api.function.RuntimeNames;
import io.kubeless.api.v1beta1.Function;
import java.time.Duration;
import java.util.Map;

/**
 * A Function as local mode runs it: its fields read by the api module's one parser.
 *
 * @param namespace {@code metadata.namespace}, {@code default} when absent
 * @param name {@code metadata.name}
 * @param runtime {@code spec.runtime} as given, which the function sees as {@code FUNC_RUNTIME}
 * @param language {@code python}, {@code nodejs}, {@code java}, {@code go}, {@code ruby} or {@code
 *     php}: the folder under {@code runtimes/}; a Kubeless runtime name ({@code nodejs8}) is that
 *     of the runtime it runs on
 * @param handler module and function
 * @param timeout {@code spec.timeout}
 * @param labels what trigger selectors match
 * @param function the Function as read
 */
public record LocalFunction(
    String namespace,
    String name,
    String runtime,
    String language,
    Handler handler,
    Duration timeout,
    Map<String, String> labels,
    Function function) {

  /** The suffix of the code file and the dependency file of each language. */
  static final Map<String, String[]> LANGUAGES =
      Map.of(
          "python", new String[] {".py", "requirements.txt"},
          "nodejs", new String[] {".js", "package.json"},
          "java", new String[] {".java", "pom.xml"},
          "go", new String[] {".go", "go.mod"},
          "ruby", new String[] {".rb", "Gemfile"},
          "php", new String[] {".php", "composer.json"});

  /** Reads a Function, failing with the reason a person can act on. */
  public static LocalFunction of(Function f) throws InvalidFunctionException {
    var meta = f.getMetadata();
    if (meta == null || meta.getName() == null || meta.getName().isBlank()) {
      throw new InvalidFunctionException("InvalidName", "metadata.name is missing");
    }
    var spec = f.getSpec();
    if (spec == null) {
      throw new InvalidFunctionException("InvalidSpec", "spec is missing");
    }
    Handler handler = Handler.parse(spec.getHandler());
    Duration timeout = FunctionFields.timeout(spec);
    // Kubeless's runtime names run on the current runtime of their language, as in a cluster
    String language = FunctionFields.language(RuntimeNames.resolve(spec.getRuntime()));
    if (!LANGUAGES.containsKey(language)) {
      throw new InvalidFunctionException(
          "UnsupportedRuntime",
          "spec.runtime '"
              + (spec.getRuntime() == null ? "" : spec.getRuntime())
              + "' is not one local mode runs (python*, nodejs*, java*, go*, ruby*, php*)");
    }
    String contentType = spec.getFunctionContentType() == null ? "" : spec.getFunctionContentType();
    if (contentType.contains("url")) {
      throw new InvalidFunctionException(
          "UnsupportedContentType",
          "functionContentType '" + contentType + "' is not supported locally");
    }
    if (spec.getFunction() == null || spec.getFunction().isEmpty()) {
      throw new InvalidFunctionException("InvalidFunction", "spec.function is empty");
    }
    String namespace =
        meta.getNamespace() == null || meta.getNamespace().isBlank()
            ? "default"
            : meta.getNamespace();
    return new LocalFunction(
        namespace,
        meta.getName(),
        spec.getRuntime().trim(),
        language,
        handler,
        timeout,
        meta.getLabels() == null ? Map.of() : Map.copyOf(meta.getLabels()),
        f);
  }

  /** {@code namespace/name}. */
  public String key() {
    return namespace + "/" + name;
  }

  /** How log lines name the function: the name, qualified outside {@code default}. */
  public String label() {
    return namespace.equals("default") ? name : key();
  }
}
