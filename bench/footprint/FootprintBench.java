import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.v1beta1.CronJobTrigger;
import io.kubeless.api.v1beta1.CronJobTriggerSpec;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionSpec;
import io.kubeless.api.v1beta1.HTTPTrigger;
import io.kubeless.api.v1beta1.HTTPTriggerSpec;
import io.kubeless.api.v1beta1.KafkaTrigger;
import io.kubeless.api.v1beta1.KafkaTriggerSpec;
import io.kubeless.api.v1beta1.KinesisTrigger;
import io.kubeless.api.v1beta1.KinesisTriggerSpec;
import io.kubeless.api.v1beta1.NATSTrigger;
import io.kubeless.api.v1beta1.NATSTriggerSpec;
import io.kubeless.testing.KinesisLocal;
import io.kubeless.testing.KubeCluster;
import io.kubeless.testing.NatsServer;
import io.kubeless.testing.TestFunctions;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/**
 * Footprint of the six packaged controllers: for N Functions and N triggers of each kind on a real
 * API server (KubeCluster), each controller's jar is started as its image starts it (run-java.sh's
 * options, the Deployment's memory limit as the JVM's RAM), alone, and measured: seconds from
 * process start to {@code /q/health/ready} answering UP, VmRSS and Threads at ready and once
 * reconciled (every resource of its kind has a status, then the process's CPU time stops growing),
 * RssAnon and heap used then (jcmd GC.heap_info). Each variant of JVM options is measured in the
 * same run, rounds interleaved, and the median round printed.
 *
 * <p>System properties: sizes (0,100,1000), rounds (3), variants (baseline,...; see VARIANTS),
 * controllers (all six), apps (the directory of {@code <module>/quarkus-run.jar}; default the
 * modules' target/quarkus-app), kafka (bootstrap of the broker run.sh started). A variant with an
 * AOT cache trains it as the Dockerfiles do (see {@link #trained}), once per module and variant.
 */
public class FootprintBench {

  static final String NS = "footprint";
  /** Seconds a settled controller is then left alone before its idle figures are read. */
  static final int IDLE_SECONDS = Integer.getInteger("idle", 0);
  static final String REGION = "us-east-1";
  static final int STREAMS = 10;
  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  /**
   * run-java.sh of the ubi9 openjdk runtime image: what it adds to JAVA_OPTS_APPEND, with the
   * Dockerfiles' JAVA_MAX_RAM_RATIO (its default is 80).
   */
  static final List<String> RUN_JAVA =
      List.of(
          "-XX:MaxRAMPercentage=50.0",
          "-XX:+UseParallelGC",
          "-XX:MinHeapFreeRatio=10",
          "-XX:MaxHeapFreeRatio=20",
          "-XX:GCTimeRatio=4",
          "-XX:AdaptiveSizePolicyWeight=90",
          "-XX:+ExitOnOutOfMemoryError");

  /** The Dockerfiles' JAVA_OPTS_APPEND (quarkus.http.host differs: the bench binds loopback). */
  static final List<String> APPEND =
      List.of("-Djava.util.logging.manager=org.jboss.logmanager.LogManager");

  /** Compact object headers (JDK 25, JEP 519), without the AOT cache: what they alone change. */
  static final List<String> COMPACT = concat(RUN_JAVA, "-XX:+UseCompactObjectHeaders");

  /**
   * Dockerfile.jvm's training run: the application starts with no API server (the connection is
   * refused at once, not retried), records what it loaded and exits ({@code
   * quarkus.appcds.generate}); the JVM writes the AOT cache at exit.
   */
  static final List<String> TRAINING =
      List.of(
          "-XX:AOTCacheOutput=app.aot",
          "-Dquarkus.appcds.generate=true",
          "-Dquarkus.kubernetes-client.api-server-url=https://127.0.0.1:1",
          "-Dquarkus.kubernetes-client.request-retry-backoff-limit=0");

  static final List<String> SERIAL =
      List.of("-XX:MaxRAMPercentage=50.0", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError");

  /**
   * JVM options (null: the module's Dockerfile.jvm's), environment, whether with an AOT cache, and
   * options added after the JVM's (e.g. a Quarkus property to compare).
   */
  record Variant(
      String name,
      List<String> options,
      Map<String, String> env,
      boolean aot,
      List<String> extra) {}

  static final Map<String, Variant> VARIANTS = new LinkedHashMap<>();

  /** The applications' directory of a variant given as {@code <variant>@<directory>}. */
  static final Map<String, Path> APPS = new java.util.HashMap<>();

  static {
    // the images before JDK 25 (run-java.sh's options alone), and the images now
    variant("baseline", RUN_JAVA, Map.of(), false);
    // what the images run: the options and the training run of the module's Dockerfile.jvm
    variant("image", null, Map.of(), true);
    // the images keeping what malloc freed, as before they trimmed the native heap
    VARIANTS.put(
        "image-notrim",
        new Variant(
            "image-notrim", null, Map.of(), true, List.of("-XX:TrimNativeHeapInterval=0")));
    // the images with the operator SDK's default pools (50 reconciliation, 50 workflow threads)
    VARIANTS.put(
        "image-pools50",
        new Variant(
            "image-pools50",
            null,
            Map.of(),
            true,
            List.of(
                "-Dquarkus.operator-sdk.concurrent-reconciliation-threads=50",
                "-Dquarkus.operator-sdk.concurrent-workflow-threads=50")));
    // the images with the cache trained against the API server (the bench's), as a first start in
    // the cluster would train it: the operator's start, the TLS connection and the informers'
    // first lists are in the cache too
    VARIANTS.put("image-cluster", new Variant("image-cluster", null, Map.of(), true, List.of()));
    // the images under Native Memory Tracking: its summary goes next to the controller's log
    VARIANTS.put(
        "image-nmt",
        new Variant(
            "image-nmt", null, Map.of(), true, List.of("-XX:NativeMemoryTracking=summary")));
    // the images compiling with C1 alone: no C2 compiler threads, arenas or code
    VARIANTS.put(
        "image-c1",
        new Variant("image-c1", null, Map.of(), true, List.of("-XX:TieredStopAtLevel=1")));
    // the images with C2 but every compilation threshold four times higher: fewer methods
    // profiled and compiled (less code, fewer method profiles)
    VARIANTS.put(
        "image-cts4",
        new Variant(
            "image-cts4", null, Map.of(), true, List.of("-XX:CompileThresholdScaling=4")));
    // and the JVM's default thresholds, for the images that scale them
    VARIANTS.put(
        "image-cts1",
        new Variant(
            "image-cts1", null, Map.of(), true, List.of("-XX:CompileThresholdScaling=1")));
    VARIANTS.put(
        "image-cts10",
        new Variant(
            "image-cts10", null, Map.of(), true, List.of("-XX:CompileThresholdScaling=10")));
    // the images with an HTTP/1.1 management server: no HTTP/2 codec loaded
    // C2 alone: no C1 code, methods profiled by the interpreter and compiled once hot (the
    // default thresholds, not the images' raised ones)
    VARIANTS.put(
        "image-notiered",
        new Variant(
            "image-notiered",
            null,
            Map.of(),
            true,
            List.of("-XX:-TieredCompilation", "-XX:CompileThresholdScaling=1")));
    VARIANTS.put(
        "image-h1",
        new Variant("image-h1", null, Map.of(), true, List.of("-Dquarkus.http.http2=false")));
    // the images given one full collection once settled (jcmd GC.run), before the idle figures
    VARIANTS.put("image-fullgc", new Variant("image-fullgc", null, Map.of(), true, List.of()));
    // the images with the young generation capped: eden's pages, once touched, stay resident
    VARIANTS.put(
        "image-young8",
        new Variant("image-young8", null, Map.of(), true, List.of("-XX:MaxNewSize=8m")));
    // the images with glibc's malloc in one or two arenas instead of up to 8 per core
    VARIANTS.put(
        "image-arena1",
        new Variant("image-arena1", null, Map.of("MALLOC_ARENA_MAX", "1"), true, List.of()));
    VARIANTS.put(
        "image-arena2",
        new Variant("image-arena2", null, Map.of("MALLOC_ARENA_MAX", "2"), true, List.of()));
    // the images with another collector (trained with it too): SerialGC has no parallel
    // collector's marking bitmaps and task queues
    VARIANTS.put(
        "image-serial",
        new Variant("image-serial", null, Map.of(), true, List.of("-XX:+UseSerialGC")));
    VARIANTS.put(
        "image-serial-c1",
        new Variant(
            "image-serial-c1",
            null,
            Map.of(),
            true,
            List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")));
    variant("compact", COMPACT, Map.of(), false);
    variant("serial", SERIAL, Map.of(), false);
    variant("serial-c1", concat(SERIAL, "-XX:TieredStopAtLevel=1"), Map.of(), false);
    variant("serial-arena", SERIAL, Map.of("MALLOC_ARENA_MAX", "2"), false);
    variant(
        "serial-small",
        concat(SERIAL, "-Xss512k", "-XX:ReservedCodeCacheSize=64m", "-XX:CICompilerCount=2"),
        Map.of("MALLOC_ARENA_MAX", "2"),
        false);
    variant("baseline-aot", RUN_JAVA, Map.of(), true);
    variant("serial-aot", SERIAL, Map.of("MALLOC_ARENA_MAX", "2"), true);
    // the baseline under Native Memory Tracking: its summary goes to the controller's log
    variant("baseline-nmt", concat(RUN_JAVA, "-XX:NativeMemoryTracking=summary"), Map.of(), false);
  }

  static void variant(String name, List<String> options, Map<String, String> env, boolean aot) {
    VARIANTS.put(name, new Variant(name, options, env, aot, List.of()));
  }

  static List<String> concat(List<String> base, String... more) {
    List<String> all = new ArrayList<>(base);
    all.addAll(Arrays.asList(more));
    return all;
  }

  /** A controller: its module (and k8s/ component), ServiceAccount, resource kind, and setup. */
  record Controller(
      String module, String kind, Map<String, String> env, Map<String, String> properties) {
    String account() {
      return "kubeless-" + module;
    }
  }

  record Sample(
      double readySeconds,
      double cpuReadySeconds,
      double rssReadyMb,
      int threadsReady,
      double settleSeconds,
      double rssSettledMb,
      double anonSettledMb,
      int threadsSettled,
      double heapUsedMb,
      int statuses,
      double rssIdleMb,
      double anonIdleMb) {}

  public static void main(String[] args) {
    try {
      run();
      System.exit(0);
    } catch (Throwable e) {
      e.printStackTrace();
      System.exit(1); // the cluster's processes stop with this JVM (KubeCluster's hook)
    }
  }

  static void run() throws Exception {
    List<Integer> sizes =
        Arrays.stream(System.getProperty("sizes", "0,100,1000").split("[, ]+"))
            .map(Integer::parseInt)
            .sorted()
            .toList();
    int rounds = Integer.getInteger("rounds", 3);
    List<Variant> variants =
        Arrays.stream(System.getProperty("variants", "baseline").split("[, ]+"))
            .map(
                spec -> {
                  // <variant>@<directory>: the variant run on the applications of that directory
                  // (e.g. another packaging), side by side with the same variant on APPS
                  String v = spec.contains("@") ? spec.substring(0, spec.indexOf('@')) : spec;
                  // <variant>+<option>[+<option>...]: the variant with JVM options appended (the
                  // later of two values of a flag wins), e.g. image+-XX:CompileThresholdScaling=30
                  List<String> appended = List.of();
                  if (v.contains("+")) {
                    appended = List.of(v.substring(v.indexOf('+') + 1).split("\\+(?=-)"));
                    v = v.substring(0, v.indexOf('+'));
                  }
                  Variant found = VARIANTS.get(v);
                  if (found == null) {
                    throw new IllegalArgumentException(
                        "unknown variant " + v + "; known: " + VARIANTS.keySet());
                  }
                  if (!appended.isEmpty()) {
                    List<String> extra = new ArrayList<>(found.extra());
                    extra.addAll(appended);
                    // named for the files it writes: Quarkus reads its jar's location as a URL,
                    // where '+' would be a space
                    String name =
                        (spec.contains("@") ? spec.substring(0, spec.indexOf('@')) : spec)
                            .replaceAll("[^A-Za-z0-9._=-]", "_");
                    found = new Variant(name, found.options(), found.env(), found.aot(), extra);
                  }
                  if (!spec.contains("@")) {
                    return found;
                  }
                  String base = spec.substring(0, spec.indexOf('@'));
                  Path apps = Path.of(spec.substring(base.length() + 1)).toAbsolutePath();
                  String name = found.name() + "@" + apps.getFileName();
                  APPS.put(name, apps);
                  return new Variant(
                      name, found.options(), found.env(), found.aot(), found.extra());
                })
            .toList();
    String bootstrap = System.getProperty("kafka");

    KubeCluster cluster = KubeCluster.shared();
    KubernetesClient admin = cluster.admin();
    for (String component :
        List.of(
            "function-controller",
            "kafka-trigger",
            "nats-trigger",
            "kinesis-trigger",
            "http-trigger",
            "cronjob-trigger")) {
      cluster.install(component);
    }
    admin
        .namespaces()
        .resource(
            new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                .withNewMetadata()
                .withName(NS)
                .endMetadata()
                .build())
        .serverSideApply();
    admin
        .secrets()
        .inNamespace(NS)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("aws")
                .endMetadata()
                .addToStringData("aws_access_key_id", "local")
                .addToStringData("aws_secret_access_key", "local")
                .build())
        .serverSideApply();

    try (NatsServer nats = NatsServer.start();
        KinesisLocal kinesisLocal = KinesisLocal.start();
        KinesisClient kinesis =
            KinesisClient.builder()
                .endpointOverride(URI.create(kinesisLocal.endpoint()))
                .region(Region.of(REGION))
                .credentialsProvider(
                    StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")))
                .httpClient(UrlConnectionHttpClient.create())
                .build();
        Admin kafka = Admin.create(kafkaProperties(bootstrap))) {
      // one at a time: the emulator, as Kinesis, limits the streams being created at once
      for (int s = 0; s < STREAMS; s++) {
        String name = "footprint-" + s;
        kinesis.createStream(r -> r.streamName(name).shardCount(1));
        while (kinesis.describeStreamSummary(r -> r.streamName(name))
                .streamDescriptionSummary()
                .streamStatus()
            != StreamStatus.ACTIVE) {
          Thread.sleep(100); // the emulator's CREATING -> ACTIVE; no event to wait on
        }
      }

      Path root = Path.of("").toAbsolutePath();
      List<Controller> controllers =
          List.of(
              new Controller("function-controller", "Function", Map.of(), Map.of()),
              new Controller(
                  "kafka-trigger", "KafkaTrigger", Map.of("KAFKA_BROKERS", bootstrap), Map.of()),
              new Controller(
                  "nats-trigger", "NATSTrigger", Map.of("NATS_URL", nats.url()), Map.of()),
              new Controller("kinesis-trigger", "KinesisTrigger", Map.of(), Map.of()),
              new Controller("http-trigger", "HTTPTrigger", Map.of(), Map.of()),
              new Controller("cronjob-trigger", "CronJobTrigger", Map.of(), Map.of()));
      String all = String.join(",", controllers.stream().map(Controller::module).toList());
      List<String> only = Arrays.asList(System.getProperty("controllers", all).split("[, ]+"));
      controllers = controllers.stream().filter(c -> only.contains(c.module())).toList();

      // results.get(variant).get(controller).get(size) = samples
      Map<String, Map<String, Map<Integer, List<Sample>>>> results = new LinkedHashMap<>();
      int created = 0;
      for (int size : sizes) {
        long t0 = System.nanoTime();
        for (int i = created; i < size; i++) {
          createResources(admin, kafka, kinesisLocal.endpoint(), i);
        }
        created = Math.max(created, size);
        System.out.printf(
            "== N=%d (created in %.1f s)%n", size, (System.nanoTime() - t0) / 1e9);
        for (int round = 1; round <= rounds; round++) {
          for (Controller controller : controllers) {
            for (Variant variant : variants) {
              String apps = System.getProperty("apps");
              Path dir =
                  APPS.containsKey(variant.name())
                      ? APPS.get(variant.name()).resolve(controller.module())
                      : apps == null
                          ? root.resolve(controller.module()).resolve("target/quarkus-app")
                          : Path.of(apps).resolve(controller.module());
              if (variant.aot()) {
                dir =
                    trained(
                        root,
                        dir,
                        controller.module(),
                        variant,
                        variant.name().startsWith("image-cluster")
                            ? clusterOptions(cluster, controller)
                            : List.of(),
                        controller.env());
              }
              Sample sample =
                  measure(root, cluster, admin, controller, variant, dir, size, round);
              System.out.printf(
                  "  %-20s %-14s round %d: ready %.2f s (CPU %.2f s), RSS %.0f MB (%d threads),"
                      + " settled after %.1f s: RSS %.0f MB (anon %.0f), heap used %.0f MB,"
                      + " %d threads, %d/%d statuses; idle RSS %.0f MB (anon %.0f)%n",
                  controller.module(),
                  variant.name(),
                  round,
                  sample.readySeconds(),
                  sample.cpuReadySeconds(),
                  sample.rssReadyMb(),
                  sample.threadsReady(),
                  sample.settleSeconds(),
                  sample.rssSettledMb(),
                  sample.anonSettledMb(),
                  sample.heapUsedMb(),
                  sample.threadsSettled(),
                  sample.statuses(),
                  size,
                  sample.rssIdleMb(),
                  sample.anonIdleMb());
              results
                  .computeIfAbsent(variant.name(), v -> new LinkedHashMap<>())
                  .computeIfAbsent(controller.module(), c -> new LinkedHashMap<>())
                  .computeIfAbsent(size, s -> new ArrayList<>())
                  .add(sample);
            }
          }
        }
      }
      print(results, sizes);
    }
  }

  static Properties kafkaProperties(String bootstrap) {
    Properties properties = new Properties();
    properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    return properties;
  }

  /** Function i and one trigger of each kind bound to it. */
  static void createResources(KubernetesClient admin, Admin kafka, String kinesisEndpoint, int i)
      throws Exception {
    String name = "fn-" + i;
    FunctionSpec spec = new FunctionSpec();
    spec.setHandler("handler.handle");
    spec.setRuntime("python3.12");
    spec.setFunction("def handle(event, context):\n    return 'ok'\n");
    spec.setTimeout("5");
    spec.setService(TestFunctions.service(8080));
    Function function = new Function();
    function.setMetadata(
        new ObjectMetaBuilder()
            .withName(name)
            .withNamespace(NS)
            .withLabels(Map.of("fn", name))
            .build());
    function.setSpec(spec);
    admin.resource(function).create();

    String topic = "footprint-" + i;
    kafka.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
    KafkaTriggerSpec kafkaSpec = new KafkaTriggerSpec();
    kafkaSpec.setTopic(topic);
    kafkaSpec.setFunctionSelector(new LabelSelectorBuilder().addToMatchLabels("fn", name).build());
    KafkaTrigger kafkaTrigger = new KafkaTrigger();
    kafkaTrigger.setMetadata(meta(name));
    kafkaTrigger.setSpec(kafkaSpec);
    admin.resource(kafkaTrigger).create();

    NATSTriggerSpec natsSpec = new NATSTriggerSpec();
    natsSpec.setTopic("footprint." + i);
    natsSpec.setFunctionSelector(new LabelSelectorBuilder().addToMatchLabels("fn", name).build());
    NATSTrigger natsTrigger = new NATSTrigger();
    natsTrigger.setMetadata(meta(name));
    natsTrigger.setSpec(natsSpec);
    admin.resource(natsTrigger).create();

    KinesisTriggerSpec kinesisSpec = new KinesisTriggerSpec();
    kinesisSpec.setStream("footprint-" + (i % STREAMS));
    kinesisSpec.setRegion(REGION);
    kinesisSpec.setEndpoint(kinesisEndpoint);
    kinesisSpec.setSecret("aws");
    kinesisSpec.setFunctionName(name);
    KinesisTrigger kinesisTrigger = new KinesisTrigger();
    kinesisTrigger.setMetadata(meta(name));
    kinesisTrigger.setSpec(kinesisSpec);
    admin.resource(kinesisTrigger).create();

    HTTPTriggerSpec httpSpec = new HTTPTriggerSpec();
    httpSpec.setFunctionName(name);
    httpSpec.setPath(name);
    HTTPTrigger httpTrigger = new HTTPTrigger();
    httpTrigger.setMetadata(meta(name));
    httpTrigger.setSpec(httpSpec);
    admin.resource(httpTrigger).create();

    CronJobTriggerSpec cronSpec = new CronJobTriggerSpec();
    cronSpec.setFunctionName(name);
    cronSpec.setSchedule("@every 1h");
    CronJobTrigger cronTrigger = new CronJobTrigger();
    cronTrigger.setMetadata(meta(name));
    cronTrigger.setSpec(cronSpec);
    admin.resource(cronTrigger).create();
  }

  static io.fabric8.kubernetes.api.model.ObjectMeta meta(String name) {
    return new ObjectMetaBuilder().withName(name).withNamespace(NS).build();
  }

  static Sample measure(
      Path root,
      KubeCluster cluster,
      KubernetesClient admin,
      Controller controller,
      Variant variant,
      Path dir,
      int size,
      int round)
      throws Exception {
    int port = freePort();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Dquarkus.http.host=127.0.0.1");
    command.addAll(APPEND);
    command.add("-XX:MaxRAM=" + memoryLimit(root, controller.module()));
    if (variant.options() == null) {
      command.addAll(withGc(image(root, controller.module()).run(), variant));
    } else {
      command.addAll(variant.options());
      if (variant.aot()) {
        command.add("-XX:AOTCache=app.aot");
      }
    }
    command.addAll(variant.extra());
    command.add("-Dquarkus.http.port=" + port);
    command.add("-Dquarkus.kubernetes-client.api-server-url=" + cluster.url());
    command.add(
        "-Dquarkus.kubernetes-client.token=" + cluster.token("kubeless", controller.account()));
    command.add("-Dquarkus.kubernetes-client.ca-cert-file=" + cluster.caCertificate());
    command.add("-Dquarkus.kubernetes-client.namespace=kubeless");
    command.add("-Dkubeless.http-trigger.gateway.port=" + freePort());
    controller.properties().forEach((k, v) -> command.add("-D" + k + "=" + v));
    command.add("-cp");
    command.add(".");
    command.add("-jar");
    command.add("quarkus-run.jar");
    String identity = controller.module() + "-" + variant.name() + "-" + size + "-" + round;
    Path log = root.resolve("target/footprint/" + identity + ".log");
    Files.createDirectories(log.getParent());
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().putAll(controller.env());
    builder.environment().putAll(variant.env());
    builder.environment().put("KUBELESS_NAMESPACE", "kubeless");
    builder.environment().put("KUBECONFIG", "/nonexistent");
    builder.environment().put("HOSTNAME", identity);
    builder.environment().put("AWS_REGION", REGION);
    long start = System.nanoTime();
    Process process = builder.start();
    try {
      long pid = process.pid();
      URI ready = URI.create("http://127.0.0.1:" + port + "/q/health/ready");
      while (true) {
        if (!process.isAlive()) {
          throw new IllegalStateException(identity + " exited; see " + log);
        }
        if (System.nanoTime() - start > TimeUnit.SECONDS.toNanos(120)) {
          throw new IllegalStateException(identity + " not ready in 120 s; see " + log);
        }
        try {
          HttpResponse<String> response =
              HTTP.send(
                  HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(2)).build(),
                  HttpResponse.BodyHandlers.ofString());
          if (response.statusCode() == 200 && response.body().contains("UP")) {
            break;
          }
        } catch (IOException e) {
          // not listening yet
        }
        Thread.sleep(20); // polling the probe, as the kubelet does
      }
      double readySeconds = (System.nanoTime() - start) / 1e9;
      // the CPU the start-up took (user and system, every thread): what the wall time is on a
      // quiet machine with cores enough, and far less moved by other processes' load
      double cpuReadySeconds = cpuTicks(pid) / 100.0;
      Map<String, String> atReady = status(pid);
      double rssReady = kb(atReady.get("VmRSS")) / 1024.0;
      int threadsReady = Integer.parseInt(atReady.get("Threads").trim());

      // reconciled: every resource of its kind has a status (bounded), then CPU time flat
      long settleStart = System.nanoTime();
      int statuses = 0;
      while (System.nanoTime() - settleStart < TimeUnit.SECONDS.toNanos(60)) {
        statuses = withStatus(admin, controller.kind());
        if (statuses >= size) {
          break;
        }
        Thread.sleep(500);
      }
      long last = cpuTicks(pid);
      int quiet = 0;
      while (quiet < 3 && System.nanoTime() - settleStart < TimeUnit.SECONDS.toNanos(60)) {
        Thread.sleep(1000);
        long now = cpuTicks(pid);
        // at most 5 ticks (50 ms) of CPU in a second: timers and watches only
        quiet = now - last <= 5 ? quiet + 1 : 0;
        last = now;
      }
      double settleSeconds = (System.nanoTime() - settleStart) / 1e9;
      Map<String, String> settled = status(pid);
      double rssSettled = kb(settled.get("VmRSS")) / 1024.0;
      // RssAnon: the process's own pages, without the file-backed ones (the mapped AOT cache and
      // jars, shared and reclaimable)
      double anonSettled = kb(settled.get("RssAnon")) / 1024.0;
      int threadsSettled = Integer.parseInt(settled.get("Threads").trim());
      double heapUsed = heapUsedMb(pid);
      // idle: the same process left alone for IDLE seconds more (the JVM's periodic work: the
      // native heap trimmed, the compiler's arena chunks given back, the heap shrunk after a GC)
      double rssIdle = rssSettled;
      double anonIdle = anonSettled;
      if (variant.name().startsWith("image-fullgc")) {
        // one full collection once settled, as a controller could run one when it goes idle: what
        // the heap gives back when it is compacted and resized to its live data
        jcmd(pid, "GC.run");
      }
      if (IDLE_SECONDS > 0) {
        StringBuilder trace = new StringBuilder();
        long idleStart = System.nanoTime();
        for (int s = 10; s <= IDLE_SECONDS; s += 10) {
          Thread.sleep(Math.max(0, idleStart / 1_000_000 + s * 1000L - System.nanoTime() / 1_000_000));
          Map<String, String> idle = status(pid);
          rssIdle = kb(idle.get("VmRSS")) / 1024.0;
          anonIdle = kb(idle.get("RssAnon")) / 1024.0;
          trace.append(String.format(" %ds %.0f (%.0f)", s, rssIdle, anonIdle));
        }
        System.out.println("  " + identity + " idle RSS MB (anon):" + trace);
      }
      if ((variant.options() != null
              && variant.options().contains("-XX:NativeMemoryTracking=summary"))
          || variant.extra().contains("-XX:NativeMemoryTracking=summary")) {
        Files.writeString(
            log.resolveSibling(identity + ".nmt"), jcmd(pid, "VM.native_memory", "summary"));
        // and which classes take the class space: every loaded class, by its loader
        Files.writeString(
            log.resolveSibling(identity + ".classes"), jcmd(pid, "VM.class_hierarchy"));
        // the heap's objects by class, and every mapping's resident and anonymous share
        Files.writeString(
            log.resolveSibling(identity + ".histogram"), jcmd(pid, "GC.class_histogram"));
        Files.writeString(log.resolveSibling(identity + ".heap"), jcmd(pid, "GC.heap_info"));
        Files.copy(
            Path.of("/proc/" + pid + "/smaps"),
            log.resolveSibling(identity + ".smaps"),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      return new Sample(
          readySeconds,
          cpuReadySeconds,
          rssReady,
          threadsReady,
          settleSeconds,
          rssSettled,
          anonSettled,
          threadsSettled,
          heapUsed,
          statuses,
          rssIdle,
          anonIdle);
    } finally {
      process.destroy(); // SIGTERM: the controller releases its Lease for the next one
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    }
  }

  /**
   * A copy of the application {@code app} with the AOT cache the image build makes
   * (Dockerfile.jvm's first stage): the application started with the variant's options, {@code
   * -XX:AOTCacheOutput=app.aot} and {@code -Dquarkus.appcds.generate=true}, which ends after its
   * start-up and needs no cluster. Made once per module and variant, again when the jar is newer.
   */
  static Path trained(
      Path root,
      Path app,
      String module,
      Variant variant,
      List<String> against,
      Map<String, String> env)
      throws Exception {
    Path copy = root.resolve("target/footprint/aot/" + variant.name() + "/" + module);
    Path cache = copy.resolve("app.aot");
    Path jar = app.resolve("quarkus-run.jar");
    // the application the copy was made of: another (APPS) or a newer jar is trained again
    Path source = copy.resolve("trained-from");
    String from = jar.toAbsolutePath() + " " + Files.getLastModifiedTime(jar).toMillis();
    if (Files.exists(cache) && Files.exists(source) && Files.readString(source).equals(from)) {
      return copy;
    }
    if (Files.exists(copy)) {
      try (var walk = Files.walk(copy)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    try (var walk = Files.walk(app)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        Path target = copy.resolve(app.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else if (!p.getFileName().toString().endsWith(".aot")) {
          Files.copy(p, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    if (variant.options() == null) {
      command.addAll(withGc(image(root, module).training(), variant));
    } else {
      command.addAll(variant.options());
      command.addAll(APPEND);
      command.addAll(TRAINING);
    }
    int port = freePort();
    if (!against.isEmpty()) {
      // an API server that answers: the options naming it replace the training's unreachable one,
      // and the application runs until it is ready and a little longer (quarkus.appcds.generate
      // would end it before its runtime start); the JVM writes the cache when SIGTERM ends it
      command.removeIf(
          o ->
              o.startsWith("-Dquarkus.kubernetes-client.")
                  || o.startsWith("-Dquarkus.appcds.generate"));
      command.addAll(against);
      command.add("-Dquarkus.http.host=127.0.0.1");
      command.add("-Dquarkus.http.port=" + port);
    }
    command.add("-jar");
    command.add("quarkus-run.jar");
    Path log = root.resolve("target/footprint/" + module + "-" + variant.name() + "-training.log");
    long t0 = System.nanoTime();
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(copy.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    if (!against.isEmpty()) {
      builder.environment().putAll(env);
      builder.environment().put("KUBELESS_NAMESPACE", "kubeless");
      builder.environment().put("KUBECONFIG", "/nonexistent");
      builder.environment().put("HOSTNAME", module + "-training");
      builder.environment().put("AWS_REGION", REGION);
    }
    Process training = builder.start();
    if (!against.isEmpty()) {
      URI ready = URI.create("http://127.0.0.1:" + port + "/q/health/ready");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      boolean up = false;
      while (!up && training.isAlive() && System.nanoTime() < deadline) {
        try {
          HttpResponse<String> response =
              HTTP.send(
                  HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(2)).build(),
                  HttpResponse.BodyHandlers.ofString());
          up = response.statusCode() == 200 && response.body().contains("UP");
        } catch (IOException e) {
          // not listening yet
        }
        Thread.sleep(100);
      }
      if (!up) {
        training.destroyForcibly();
        throw new IllegalStateException("the training run of " + module + " never got ready");
      }
      Thread.sleep(5000); // the running controller's timers and watches, recorded as well
      training.destroy();
    }
    // no API server answers an image build: the start fails at the operator, after the classes
    // it loads are recorded; the cache is written at exit all the same
    if (!training.waitFor(5, TimeUnit.MINUTES) || !Files.exists(cache)) {
      training.destroyForcibly();
      throw new IllegalStateException("the AOT training run of " + module + " failed; see " + log);
    }
    Files.writeString(source, from);
    System.out.printf(
        "  %-20s %-14s AOT cache trained in %.1f s (%d MB)%n",
        module, variant.name(), (System.nanoTime() - t0) / 1e9, Files.size(cache) >> 20);
    return copy;
  }

  /**
   * An image's options with the collector of the variant's extra options, if it names one, in place
   * of the image's (in the run and in the training run: the cache is trained with the collector
   * that uses it).
   */
  static List<String> withGc(List<String> options, Variant variant) {
    Pattern gc = Pattern.compile("-XX:\\+Use\\w+GC");
    List<String> chosen = variant.extra().stream().filter(o -> gc.matcher(o).matches()).toList();
    if (chosen.isEmpty()) {
      return options;
    }
    List<String> result = new ArrayList<>(options);
    result.removeIf(o -> gc.matcher(o).matches());
    result.addAll(0, chosen);
    return result;
  }

  /** The options that connect a controller to the bench's API server as its ServiceAccount. */
  static List<String> clusterOptions(KubeCluster cluster, Controller controller) {
    List<String> options = new ArrayList<>();
    options.add("-Dquarkus.kubernetes-client.api-server-url=" + cluster.url());
    options.add(
        "-Dquarkus.kubernetes-client.token=" + cluster.token("kubeless", controller.account()));
    options.add("-Dquarkus.kubernetes-client.ca-cert-file=" + cluster.caCertificate());
    options.add("-Dquarkus.kubernetes-client.namespace=kubeless");
    options.add("-Dkubeless.http-trigger.gateway.port=0");
    controller.properties().forEach((k, v) -> options.add("-D" + k + "=" + v));
    return options;
  }

  /** The JVM options of an image: its run and its AOT training run, relative to the app. */
  record Image(List<String> run, List<String> training) {}

  /**
   * Reads {@code <module>/src/main/docker/Dockerfile.jvm}: run-java.sh's options with its
   * JAVA_MAX_RAM_RATIO and its JAVA_OPTS_APPEND (the cache and the jar where the bench keeps them,
   * the HTTP host the bench's), and the options of its training run ({@code RUN java ... -jar}).
   */
  static Image image(Path root, String module) throws IOException {
    String dockerfile =
        Files.readString(root.resolve(module + "/src/main/docker/Dockerfile.jvm"))
            .replaceAll("\\\\\n", " ");
    Matcher ratio = Pattern.compile("ENV JAVA_MAX_RAM_RATIO=(\\S+)").matcher(dockerfile);
    Matcher append = Pattern.compile("ENV JAVA_OPTS_APPEND=\"([^\"]*)\"").matcher(dockerfile);
    Matcher training = Pattern.compile("RUN java (.*?) -jar ").matcher(dockerfile);
    if (!ratio.find() || !append.find() || !training.find()) {
      throw new IllegalStateException(module + "'s Dockerfile.jvm has no run or training options");
    }
    List<String> run = new ArrayList<>(RUN_JAVA);
    run.set(0, "-XX:MaxRAMPercentage=" + ratio.group(1));
    // run-java.sh's collector, unless the image names another (GC_CONTAINER_OPTIONS)
    Matcher gc = Pattern.compile("ENV GC_CONTAINER_OPTIONS=\"([^\"]*)\"").matcher(dockerfile);
    if (gc.find()) {
      run.remove("-XX:+UseParallelGC");
      run.addAll(1, Arrays.asList(gc.group(1).trim().split("\\s+")));
    }
    for (String option : append.group(1).trim().split("\\s+")) {
      if (option.startsWith("-XX:AOTCache=")) {
        run.add("-XX:AOTCache=app.aot");
      } else if (!option.startsWith("-Dquarkus.http.host=")) {
        run.add(option);
      }
    }
    List<String> train = new ArrayList<>(Arrays.asList(training.group(1).trim().split("\\s+")));
    return new Image(run, train);
  }

  static int withStatus(KubernetesClient admin, String kind) {
    List<GenericKubernetesResource> items =
        admin
            .genericKubernetesResources("kubeless.io/v1beta1", kind)
            .inNamespace(NS)
            .list()
            .getItems();
    return (int)
        items.stream()
            .filter(
                r ->
                    r.getAdditionalProperties().get("status") instanceof Map<?, ?> m
                        && !m.isEmpty())
            .count();
  }

  static String memoryLimit(Path root, String module) throws IOException {
    String deployment = Files.readString(root.resolve("k8s/" + module + "/deployment.yaml"));
    Matcher m = Pattern.compile("limits:\\s*\\n\\s*memory:\\s*(\\d+)Mi").matcher(deployment);
    if (!m.find()) {
      throw new IllegalStateException("no memory limit in k8s/" + module + "/deployment.yaml");
    }
    return m.group(1) + "m";
  }

  static Map<String, String> status(long pid) throws IOException {
    Map<String, String> fields = new LinkedHashMap<>();
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
      }
    }
    return fields;
  }

  static long kb(String value) {
    return Long.parseLong(value.replace("kB", "").trim());
  }

  static long cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // fields after the command: state is [0]; utime and stime are stat's 14th and 15th
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }

  static final Pattern HEAP_LINE = Pattern.compile("total (\\d+)K, used (\\d+)K");

  /** The heap's used kB by jcmd GC.heap_info, summed over generations; -1 when unavailable. */
  static double heapUsedMb(long pid) throws Exception {
    String out = jcmd(pid, "GC.heap_info");
    long used = 0;
    boolean found = false;
    for (String line : out.lines().toList()) {
      if (line.contains("Metaspace") || line.contains("class space")) {
        continue;
      }
      Matcher m = HEAP_LINE.matcher(line);
      if (m.find()) {
        used += Long.parseLong(m.group(2));
        found = true;
      }
    }
    return found ? used / 1024.0 : -1;
  }

  static String jcmd(long pid, String... command) throws Exception {
    List<String> line = new ArrayList<>();
    line.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
    line.add(String.valueOf(pid));
    line.addAll(Arrays.asList(command));
    Process jcmd = new ProcessBuilder(line).redirectErrorStream(true).start();
    String out = new String(jcmd.getInputStream().readAllBytes());
    jcmd.waitFor();
    return out;
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  static double median(List<Sample> samples, java.util.function.ToDoubleFunction<Sample> f) {
    double[] values = samples.stream().mapToDouble(f).sorted().toArray();
    return values[values.length / 2];
  }

  static void print(
      Map<String, Map<String, Map<Integer, List<Sample>>>> results, List<Integer> sizes) {
    System.out.println();
    System.out.println(
        "| variant | controller | N | ready s | CPU s to ready | RSS ready MB | RSS settled MB |"
            + " anon settled MB | heap used MB | threads ready | threads settled |"
            + " RSS idle MB | anon idle MB |");
    System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    results.forEach(
        (variant, byController) ->
            byController.forEach(
                (controller, bySize) ->
                    sizes.forEach(
                        size -> {
                          List<Sample> s = bySize.get(size);
                          if (s == null) {
                            return;
                          }
                          System.out.printf(
                              "| %s | %s | %d | %.2f | %.2f | %.0f | %.0f | %.0f | %.0f | %.0f"
                                  + " | %.0f | %.0f | %.0f |%n",
                              variant,
                              controller,
                              size,
                              median(s, Sample::readySeconds),
                              median(s, Sample::cpuReadySeconds),
                              median(s, Sample::rssReadyMb),
                              median(s, Sample::rssSettledMb),
                              median(s, Sample::anonSettledMb),
                              median(s, Sample::heapUsedMb),
                              median(s, Sample::threadsReady),
                              median(s, Sample::threadsSettled),
                              median(s, Sample::rssIdleMb),
                              median(s, Sample::anonIdleMb));
                        })));
    System.out.flush();
  }
}
