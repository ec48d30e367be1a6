package io.kubeless.api.function;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The runtime names of Kubeless's final catalogue ({@code kubeless get-server-config} of Kubeless
 * 1.0.8) and what each means here, so that existing Function YAML applies unchanged. A name either
 * runs on a current runtime of the same language ({@link #aliases()}), or is refused with a reason
 * naming what to use instead ({@link #refusals()}). Names outside this table (the current runtimes,
 * an operator's own catalogue entries) are passed through.
 *
 * <p>The function controller, {@code kubeless get-server-config} and local mode all read this
 * table, so a name resolves the same way everywhere; the controller's runtime catalogue ConfigMap
 * may still declare an entry for any of these names, which then wins.
 */
public final class RuntimeNames {

  /** The current Node.js runtime. */
  public static final String NODEJS = "nodejs20";

  /** The current Python runtime. */
  public static final String PYTHON = "python3.12";

  /** The current Java runtime. */
  public static final String JAVA = "java21";

  /** The current Go runtime. */
  public static final String GO = "go1.26";

  /** The current Ruby runtime. */
  public static final String RUBY = "ruby3.4";

  /** The current PHP runtime. */
  public static final String PHP = "php8.4";

  /** The {@code Ready} reason of a Function whose runtime name is refused. */
  public static final String UNSUPPORTED_RUNTIME = "UnsupportedRuntime";

  /**
   * Why a Kubeless runtime name does not run here.
   *
   * @param name the Kubeless runtime name
   * @param replacement what to use instead, e.g. {@code python3.12}
   * @param reason why, for a person
   */
  public record Refusal(String name, String replacement, String reason) {

    /** The message a Function with this runtime is refused with. */
    public String message() {
      return "spec.runtime '" + name + "' is not supported: " + reason + "; use " + replacement;
    }

    /** This refusal as the error the function controller and local mode report. */
    public InvalidFunctionException exception() {
      return new InvalidFunctionException(UNSUPPORTED_RUNTIME, message());
    }
  }

  private static final String OWN_IMAGE =
      "an image of your own (kubeless function deploy --runtime-image, or spec.deployment's"
          + " container image)";

  private static final Map<String, String> ALIASES = new LinkedHashMap<>();
  private static final Map<String, Refusal> REFUSALS = new LinkedHashMap<>();

  static {
    for (String name :
        new String[] {
          "nodejs6",
          "nodejs8",
          "nodejs10",
          "nodejs12",
          "nodejs14",
          "nodejs_distroless8",
          "nodejsCE8"
        }) {
      ALIASES.put(name, NODEJS);
    }
    for (String name : new String[] {"python3.4", "python3.6", "python3.7", "python3.8"}) {
      ALIASES.put(name, PYTHON);
    }
    ALIASES.put("java1.8", JAVA);
    ALIASES.put("java11", JAVA);
    for (String name : new String[] {"go1.13", "go1.14"}) {
      ALIASES.put(name, GO);
    }
    for (String name : new String[] {"ruby2.3", "ruby2.4", "ruby2.5", "ruby2.6", "ruby2.7"}) {
      ALIASES.put(name, RUBY);
    }
    for (String name : new String[] {"php7.2", "php7.3", "php7.4"}) {
      ALIASES.put(name, PHP);
    }

    refuse("python2.7", PYTHON, "Python 2 is end-of-life; port the function to Python 3");
    refuse(
        "jvm1.8",
        JAVA,
        "Kubeless's JVM runtime loaded a compiled jar, and the Java runtime compiles sources; deploy"
            + " the .java source with its pom.xml");
    refuse(
        "vertx1.8",
        JAVA,
        "there is no Vert.x runtime; rewrite the handler as a Java function (io.kubeless.Event,"
            + " io.kubeless.Context)");
    for (String name :
        new String[] {"dotnetcore2.0", "dotnetcore2.1", "dotnetcore2.2", "dotnetcore3.1"}) {
      refuse(name, OWN_IMAGE, "there is no .NET runtime and none is planned");
    }
    refuse("ballerina0.981.0", OWN_IMAGE, "there is no Ballerina runtime and none is planned");
  }

  private RuntimeNames() {}

  private static void refuse(String name, String replacement, String reason) {
    REFUSALS.put(name, new Refusal(name, replacement, reason));
  }

  /** The current runtimes, in the order a catalogue shows them. */
  public static List<String> current() {
    return List.of(PYTHON, NODEJS, JAVA, GO, RUBY, PHP);
  }

  /**
   * The runtime names a Function may give, as a catalogue shows them: each current runtime, then
   * each Kubeless name and the current runtime it runs on ({@code [{name, runs}]}).
   */
  public static List<Map<String, String>> catalogue() {
    List<Map<String, String>> all = new ArrayList<>();
    current().forEach(c -> all.add(Map.of("name", c, "runs", c)));
    ALIASES.forEach((name, runs) -> all.add(Map.of("name", name, "runs", runs)));
    return List.copyOf(all);
  }

  /** Kubeless names that run on a current runtime: name to the current runtime's id. */
  public static Map<String, String> aliases() {
    return Collections.unmodifiableMap(ALIASES);
  }

  /** Kubeless names that do not run here, with the replacement. */
  public static Map<String, Refusal> refusals() {
    return Collections.unmodifiableMap(REFUSALS);
  }

  /** The current runtime a Kubeless name runs on, when it is an alias. */
  public static Optional<String> alias(String name) {
    return Optional.ofNullable(name == null ? null : ALIASES.get(name.trim()));
  }

  /** Why a Kubeless name is refused, when it is. */
  public static Optional<Refusal> refusal(String name) {
    return Optional.ofNullable(name == null ? null : REFUSALS.get(name.trim()));
  }

  /**
   * The runtime id a name runs on: the current runtime for an alias, the name itself (trimmed) for
   * any name outside the table.
   *
   * @throws InvalidFunctionException with reason {@link #UNSUPPORTED_RUNTIME} for a refused name
   */
  public static String resolve(String name) throws InvalidFunctionException {
    Optional<Refusal> refusal = refusal(name);
    if (refusal.isPresent()) {
      throw refusal.get().exception();
    }
    String trimmed = name == null ? "" : name.trim();
    return ALIASES.getOrDefault(trimmed, trimmed);
  }
}
