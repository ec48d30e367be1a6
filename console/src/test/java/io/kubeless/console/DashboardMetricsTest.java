package io.kubeless.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every metric the Grafana dashboard of {@code k8s/monitoring/} queries is one the components
 * export: the runtimes' ({@code # TYPE} lines of their {@code /metrics}) and the controllers'
 * Micrometer meters, named as the Prometheus registry names them.
 */
class DashboardMetricsTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern TYPE =
      Pattern.compile("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary)");
  private static final Pattern METER =
      Pattern.compile("(Counter|Timer|Gauge|DistributionSummary)\\.builder\\(\\s*\"([a-z0-9.]+)\"");
  // a metric in PromQL: a name followed by a selector or a range, not a function or a label
  private static final Pattern QUERIED =
      Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*(?=\\{|\\[)");
  private static final Set<String> PROMQL = Set.of("by", "without", "on", "ignoring");

  @Test
  void queriesOnlyMetricsTheComponentsExport() throws IOException {
    Set<String> exported = exported();
    assertThat(exported)
        .contains(
            "function_calls_total",
            "function_duration_seconds_bucket",
            "kubeless_trigger_events_received_total",
            "kubeless_trigger_lag");

    JsonNode dashboard =
        new ObjectMapper()
            .readTree(ROOT.resolve("k8s/monitoring/kubeless-dashboard.json").toFile());
    List<String> exprs = new ArrayList<>();
    dashboard.findValues("expr").forEach(e -> exprs.add(e.asText()));
    dashboard.findValues("definition").forEach(e -> exprs.add(e.asText()));
    assertThat(exprs).hasSizeGreaterThan(10);

    Set<String> queried = new TreeSet<>();
    for (String expr : exprs) {
      // label values and matchers are not metric names
      Matcher m = QUERIED.matcher(expr.replaceAll("\"[^\"]*\"", "\"\""));
      while (m.find()) {
        if (!PROMQL.contains(m.group(1))) {
          queried.add(m.group(1));
        }
      }
    }
    assertThat(queried)
        .contains("function_calls_total", "kubeless_trigger_invocations_total")
        .allSatisfy(name -> assertThat(exported).as("exported metrics").contains(name));
  }

  /**
   * The Prometheus operator's PodMonitors scrape every controller that {@code k8s/} deploys with a
   * metrics annotation, by its name label, on a port the Deployment names {@code http}.
   */
  @Test
  void podMonitorsSelectEveryControllerOnItsNamedPort() throws IOException {
    String monitors =
        Files.readString(ROOT.resolve("k8s/monitoring/prometheus-operator/podmonitors.yaml"));
    Set<String> selected = new TreeSet<>();
    Matcher value = Pattern.compile("(?m)^ {10}- (kubeless-[a-z-]+)$").matcher(monitors);
    while (value.find()) {
      selected.add(value.group(1));
    }
    Set<String> deployed = new TreeSet<>();
    try (Stream<Path> files = Files.list(ROOT.resolve("k8s"))) {
      for (Path dir : files.toList()) {
        Path deployment = dir.resolve("deployment.yaml");
        if (!Files.exists(deployment)) {
          continue;
        }
        String yaml = Files.readString(deployment);
        if (!yaml.contains("prometheus.io/path: /q/metrics")) {
          continue;
        }
        Matcher name = Pattern.compile("app.kubernetes.io/name: (\\S+)").matcher(yaml);
        assertThat(name.find()).as(deployment.toString()).isTrue();
        deployed.add(name.group(1));
        assertThat(yaml).as(deployment + " names its port http").containsPattern("- name: http\\s");
      }
    }
    assertThat(deployed).contains("kubeless-function-controller", "kubeless-kafka-trigger");
    assertThat(selected).isEqualTo(deployed);
    // the functions' monitor follows the labels and the port name the function controller sets
    String plan =
        Files.readString(
            ROOT.resolve(
                "function-controller/src/main/java/io/kubeless/function/spec/FunctionPlan.java"));
    assertThat(plan)
        .contains("CREATED_BY = \"created-by\"")
        .contains("FUNCTION_LABEL = \"function\"");
    assertThat(monitors).contains("created-by: kubeless").contains("key: function");
    String deploymentDependent =
        Files.readString(
            ROOT.resolve(
                "function-controller/src/main/java/io/kubeless/function/dependent/DeploymentDependent.java"));
    assertThat(deploymentDependent).contains(".withName(\"http\")");
  }

  /** The series names the components' sources say they export. */
  private static Set<String> exported() throws IOException {
    Set<String> names = new TreeSet<>();
    try (Stream<Path> files = Files.walk(ROOT)) {
      files
          .filter(Files::isRegularFile)
          .filter(
              p -> !p.toString().contains("/node_modules/") && !p.toString().contains("/target/"))
          .filter(
              p -> p.toString().contains("/src/main/") || p.startsWith(ROOT.resolve("runtimes")))
          .filter(p -> p.toString().matches(".*\\.(java|py|js|go|rb|php)$"))
          .forEach(p -> collect(read(p), names));
    }
    return names;
  }

  private static void collect(String source, Set<String> names) {
    Matcher type = TYPE.matcher(source);
    while (type.find()) {
      String name = type.group(1);
      switch (type.group(2)) {
        case "histogram" -> {
          names.add(name + "_bucket");
          names.add(name + "_sum");
          names.add(name + "_count");
        }
        case "summary" -> {
          names.add(name);
          names.add(name + "_sum");
          names.add(name + "_count");
        }
        default -> names.add(name);
      }
    }
    Matcher meter = METER.matcher(source);
    while (meter.find()) {
      String name = meter.group(2).replace('.', '_');
      // as Micrometer's Prometheus registry names them
      switch (meter.group(1)) {
        case "Counter" -> names.add(name + "_total");
        case "Timer" -> {
          for (String suffix : List.of("_count", "_sum", "_max", "_bucket")) {
            names.add(name + "_seconds" + suffix);
          }
        }
        case "DistributionSummary" -> {
          for (String suffix : List.of("_count", "_sum", "_max", "_bucket")) {
            names.add(name + suffix);
          }
        }
        default -> names.add(name);
      }
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
