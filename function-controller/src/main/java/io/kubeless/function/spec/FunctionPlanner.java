package io.kubeless.function.spec;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.ServiceSpecBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.kubeless.api.function.FunctionFields;
import io.kubeless.api.function.Handler;
import io.kubeless.api.function.InvalidFunctionException;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionSpec;
import io.kubeless.function.config.FunctionControllerConfig;
import io.kubeless.function.runtime.Runtime;
import io.kubeless.function.runtime.RuntimeCatalogue;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Validates a Function and resolves it into a {@link FunctionPlan}. Every way a spec can be wrong
 * surfaces here as an {@link InvalidFunctionException} with its own reason, before anything is
 * written to the cluster.
 */
@ApplicationScoped
public class FunctionPlanner {

  /**
   * Names of the init containers the controller adds; {@code spec.deployment} may not reuse them.
   */
  public static final Set<String> RESERVED_INIT_CONTAINERS = Set.of("prepare", "install");

  private static final Pattern WHITE_SPACE = Pattern.compile("\\s");
  private static final Pattern CHECKSUM = Pattern.compile("sha256:([0-9a-fA-F]{64})");
  private static final ObjectMapper MAPPER =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private final FunctionControllerConfig config;

  public FunctionPlanner(FunctionControllerConfig config) {
    this.config = config;
  }

  /** Resolves a Function against a runtime catalogue. */
  public FunctionPlan plan(Function function, Map<String, Runtime> runtimes)
      throws InvalidFunctionException {
    FunctionSpec spec = function.getSpec() == null ? new FunctionSpec() : function.getSpec();
    String name = function.getMetadata().getName();

    Overrides given = deployment(spec.getDeployment(), name);
    Deployment overrides = given.deployment();
    Container userContainer = overrides.getSpec().getTemplate().getSpec().getContainers().get(0);
    boolean prebuilt = userContainer.getImage() != null && !userContainer.getImage().isBlank();

    String code = spec.getFunction() == null ? "" : spec.getFunction();
    Optional<Handler> handler =
        prebuilt && isBlank(spec.getHandler())
            ? Optional.empty()
            : Optional.of(Handler.parse(spec.getHandler()));
    int timeout = (int) FunctionFields.timeout(spec).toSeconds();
    Optional<Runtime> runtime;
    try {
      runtime = RuntimeCatalogue.resolve(runtimes, spec.getRuntime());
    } catch (InvalidFunctionException refused) {
      if (!prebuilt) {
        throw refused;
      }
      // a function in its own image needs no runtime of ours
      runtime = Optional.empty();
    }
    if (runtime.isEmpty() && !prebuilt) {
      throw new InvalidFunctionException(
          "UnknownRuntime",
          "spec.runtime '"
              + nullToEmpty(spec.getRuntime())
              + "' is not in the runtime catalogue; known runtimes: "
              + String.join(", ", RuntimeCatalogue.names(runtimes)));
    }
    ContentType contentType = ContentType.parse(spec.getFunctionContentType());
    if (contentType.encoding() == ContentType.Encoding.BASE64) {
      // YAML folding or line wrapping may put white space into base64, which base64 -d rejects
      code = WHITE_SPACE.matcher(code).replaceAll("");
    }
    Optional<String> checksum = checksum(spec.getChecksum());
    if (!prebuilt) {
      checkCode(code, contentType, checksum);
    }
    String deps = spec.getDeps() == null ? "" : spec.getDeps();
    long size =
        code.getBytes(StandardCharsets.UTF_8).length + deps.getBytes(StandardCharsets.UTF_8).length;
    if (size > config.maxConfigMapBytes()) {
      throw new InvalidFunctionException(
          "FunctionTooLarge",
          "code and dependencies take "
              + size
              + " bytes, more than a ConfigMap holds ("
              + config.maxConfigMapBytes()
              + "); serve the code from a URL with function-content-type url");
    }

    Map<String, String> labels = new LinkedHashMap<>();
    if (function.getMetadata().getLabels() != null) {
      labels.putAll(function.getMetadata().getLabels());
    }
    labels.put(FunctionPlan.FUNCTION_LABEL, name);
    labels.put(FunctionPlan.CREATED_BY, FunctionPlan.KUBELESS);

    ServiceSpec service = service(spec.getService(), name);
    int port = targetPort(service);
    // an archive gets its own suffix, so that no module name can collide with the handler key
    String codeKey =
        handler.map(Handler::module).orElse(name)
            + switch (contentType.archive()) {
              case NONE -> runtime.map(Runtime::fileSuffix).orElse("");
              case ZIP -> ".zip";
              case TAR -> ".tar";
            };
    String image = prebuilt ? userContainer.getImage() : runtime.orElseThrow().image();
    return new FunctionPlan(
        function,
        labels,
        annotations(function),
        handler,
        contentType,
        runtime,
        image,
        prebuilt,
        codeKey,
        code,
        deps,
        checksum,
        timeout,
        port,
        service,
        overrides,
        given.initResources(),
        Autoscalers.fromFunction(spec.getHorizontalPodAutoscaler(), name, MAPPER),
        config.provisionImage().orElse(image),
        FunctionFields.serviceUrl(
                name,
                function.getMetadata().getNamespace(),
                service.getPorts().get(0).getPort(),
                config.clusterDomain())
            .toString());
  }

  /** {@code FUNC_MEMORY_LIMIT}: the container's memory limit as Kubeless printed it. */
  public static String memoryLimit(Container container) {
    if (container.getResources() == null || container.getResources().getLimits() == null) {
      return "0";
    }
    Quantity memory = container.getResources().getLimits().get("memory");
    return memory == null ? "0" : memory.toString();
  }

  private static Optional<String> checksum(String value) throws InvalidFunctionException {
    if (isBlank(value)) {
      return Optional.empty();
    }
    var m = CHECKSUM.matcher(value.trim());
    if (!m.matches()) {
      throw new InvalidFunctionException(
          "InvalidChecksum", "spec.checksum must be sha256:<64 hex digits>, got '" + value + "'");
    }
    return Optional.of(m.group(1).toLowerCase());
  }

  private static void checkCode(String code, ContentType type, Optional<String> checksum)
      throws InvalidFunctionException {
    if (code.isBlank()) {
      throw new InvalidFunctionException(
          "InvalidFunctionContent",
          "spec.function is empty: give the code, or a prebuilt image in spec.deployment");
    }
    byte[] bytes =
        switch (type.encoding()) {
          case TEXT -> code.getBytes(StandardCharsets.UTF_8);
          case BASE64 -> {
            try {
              yield Base64.getDecoder().decode(code);
            } catch (IllegalArgumentException e) {
              // the decoder's message quotes the offending character: never echo the code
              throw new InvalidFunctionException(
                  "InvalidFunctionContent",
                  "spec.function is not valid base64, as its function-content-type requires");
            }
          }
          case URL -> {
            URI uri;
            try {
              uri = URI.create(code.trim());
            } catch (IllegalArgumentException e) {
              uri = null;
            }
            if (uri == null
                || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
                || uri.getHost() == null) {
              // it may be the code itself, given the wrong content type: never echo it
              throw new InvalidFunctionException(
                  "InvalidFunctionContent",
                  "spec.function is not an absolute http(s) URL, as its function-content-type"
                      + " requires");
            }
            yield null; // downloaded, and checked, in the pod
          }
        };
    if (bytes != null && checksum.isPresent()) {
      String actual = sha256(bytes);
      if (!actual.equals(checksum.get())) {
        throw new InvalidFunctionException(
            "ChecksumMismatch",
            "spec.checksum sha256:"
                + checksum.get()
                + " does not match the code (sha256:"
                + actual
                + ")");
      }
    }
  }

  private static Overrides deployment(ObjectNode node, String name)
      throws InvalidFunctionException {
    Deployment deployment;
    try {
      deployment =
          node == null || node.isEmpty()
              ? new Deployment()
              : MAPPER.treeToValue(node, Deployment.class);
    } catch (Exception e) {
      throw new InvalidFunctionException(
          "InvalidDeployment",
          "spec.deployment is not a valid Deployment: "
              + ParseErrors.describe("spec.deployment", e));
    }
    deployment =
        new DeploymentBuilder(deployment)
            .editOrNewMetadata()
            .endMetadata()
            .editOrNewSpec()
            .editOrNewTemplate()
            .editOrNewMetadata()
            .endMetadata()
            .editOrNewSpec()
            .endSpec()
            .endTemplate()
            .endSpec()
            .build();
    var pod = deployment.getSpec().getTemplate().getSpec();
    if (pod.getContainers().isEmpty()) {
      pod.getContainers().add(new Container());
    }
    if (deployment.getSpec().getReplicas() != null && deployment.getSpec().getReplicas() < 0) {
      throw new InvalidFunctionException(
          "InvalidDeployment", "spec.deployment.spec.replicas must not be negative");
    }
    List<Container> initContainers = new ArrayList<>();
    ResourceRequirements initResources = null;
    for (Container init : pod.getInitContainers()) {
      if (init.getName() == null && init.getImage() == null) {
        // Kubeless: a nameless, image-less init container sizes the function's own init containers
        if (initResources != null) {
          throw new InvalidFunctionException(
              "InvalidDeployment",
              "spec.deployment: only one init container without name and image may give the"
                  + " resources of the function's init containers");
        }
        initResources =
            init.getResources() != null ? init.getResources() : new ResourceRequirements();
        continue;
      }
      if (init.getName() == null || init.getImage() == null) {
        throw new InvalidFunctionException(
            "InvalidDeployment",
            "spec.deployment: init container '"
                + Objects.requireNonNullElse(init.getName(), "")
                + "' needs both a name and an image (one with neither only gives the resources"
                + " of the function's init containers)");
      }
      if (RESERVED_INIT_CONTAINERS.contains(init.getName())) {
        throw new InvalidFunctionException(
            "InvalidDeployment",
            "spec.deployment: init container name '"
                + init.getName()
                + "' is reserved for preparing the function; rename it");
      }
      initContainers.add(init);
    }
    pod.setInitContainers(initContainers);
    for (Container container : pod.getContainers()) {
      for (var port : container.getPorts()) {
        if (port.getContainerPort() == null) {
          throw new InvalidFunctionException(
              "InvalidDeployment", "spec.deployment: every container port needs a containerPort");
        }
      }
    }
    for (var volume : pod.getVolumes()) {
      if (volume.getName() == null
          || volume.getName().equals(name)
          || volume.getName().equals(name + "-deps")) {
        throw new InvalidFunctionException(
            "InvalidDeployment",
            "spec.deployment: volume name '"
                + volume.getName()
                + "' is reserved for the function's code; rename it");
      }
    }
    return new Overrides(deployment, Optional.ofNullable(initResources));
  }

  /** {@code spec.deployment}, and the resources its template init container gives. */
  private record Overrides(Deployment deployment, Optional<ResourceRequirements> initResources) {}

  private ServiceSpec service(ObjectNode node, String name) throws InvalidFunctionException {
    ServiceSpec given;
    try {
      given = node == null || node.isEmpty() ? null : MAPPER.treeToValue(node, ServiceSpec.class);
    } catch (Exception e) {
      throw new InvalidFunctionException(
          "InvalidService",
          "spec.service is not a valid ServiceSpec: " + ParseErrors.describe("spec.service", e));
    }
    Map<String, String> selector = FunctionPlan.selector(name);
    if (given == null || given.getPorts() == null || given.getPorts().isEmpty()) {
      return new ServiceSpecBuilder()
          .withType("ClusterIP")
          .withSelector(selector)
          .withPorts(
              new ServicePortBuilder()
                  .withName(FunctionFields.PORT_NAME)
                  .withProtocol("TCP")
                  .withPort(FunctionFields.DEFAULT_PORT)
                  .withTargetPort(new IntOrString(FunctionFields.DEFAULT_PORT))
                  .build())
          .build();
    }
    for (ServicePort port : given.getPorts()) {
      if (port.getPort() == null || port.getPort() < 1 || port.getPort() > 65535) {
        throw new InvalidFunctionException(
            "InvalidService", "spec.service.ports: every port needs a port number in 1..65535");
      }
    }
    ServicePort first = given.getPorts().get(0);
    if (first.getTargetPort() != null && first.getTargetPort().getIntVal() == null) {
      throw new InvalidFunctionException(
          "InvalidService",
          "spec.service.ports[0].targetPort must be a number: the function listens on it");
    }
    if (given.getSelector() == null || given.getSelector().isEmpty()) {
      given.setSelector(selector);
    }
    return given;
  }

  private static int targetPort(ServiceSpec service) {
    ServicePort first = service.getPorts().get(0);
    return first.getTargetPort() == null ? first.getPort() : first.getTargetPort().getIntVal();
  }

  private static Map<String, String> annotations(Function function) {
    Map<String, String> result = new LinkedHashMap<>();
    if (function.getMetadata().getAnnotations() != null) {
      // kubectl's bookkeeping would roll every pod on each apply
      function.getMetadata().getAnnotations().entrySet().stream()
          .filter(e -> !e.getKey().startsWith("kubectl.kubernetes.io/"))
          .forEach(e -> result.put(e.getKey(), e.getValue()));
    }
    return result;
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }
}
