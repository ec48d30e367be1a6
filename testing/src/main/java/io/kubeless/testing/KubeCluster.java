package io.kubeless.testing;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real Kubernetes control plane for the tests: {@code etcd} and {@code kube-apiserver} built by
 * {@code testing/control-plane/build.sh}, with the RBAC authorizer on, token authentication and a
 * service-account signing key (so that the TokenRequest API works); on demand also {@code
 * kube-controller-manager} (garbage collector, Deployments, ReplicaSets, default ServiceAccounts),
 * {@code kube-scheduler} and {@code kwok} with one fake node, so that pods become Running and Ready
 * without a kubelet.
 *
 * <p>One cluster per test JVM ({@link #shared()}), i.e. per module run; each test works in its own
 * namespace ({@link #newNamespace(String)}). The processes write to {@code target/k8s/*.log} and
 * are stopped when the JVM exits.
 */
public final class KubeCluster {

  private static final Duration STARTUP = Duration.ofSeconds(120);
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static volatile KubeCluster shared;

  private final Path bin;
  private final Path work;
  private final Path logs;
  private final String adminToken = UUID.randomUUID().toString();
  private final List<Process> processes = new CopyOnWriteArrayList<>();
  private final AtomicInteger namespaces = new AtomicInteger();
  private final int port;
  private final KubernetesClient admin;
  private volatile boolean workloads;

  private KubeCluster(Path bin) throws IOException {
    this.bin = bin;
    this.work = Files.createTempDirectory("kubeless-k8s-");
    this.logs = Path.of("target", "k8s").toAbsolutePath();
    Files.createDirectories(logs);
    Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(this::stop));
    writeKeys();
    Files.writeString(work.resolve("tokens.csv"), adminToken + ",admin,admin,\"system:masters\"\n");

    int etcdPort = freePort();
    int etcdPeerPort = freePort();
    start(
        "etcd",
        List.of(
            bin.resolve("etcd").toString(),
            "--name=default",
            "--data-dir=" + work.resolve("etcd"),
            "--listen-client-urls=http://127.0.0.1:" + etcdPort,
            "--advertise-client-urls=http://127.0.0.1:" + etcdPort,
            "--listen-peer-urls=http://127.0.0.1:" + etcdPeerPort,
            "--initial-advertise-peer-urls=http://127.0.0.1:" + etcdPeerPort,
            "--initial-cluster=default=http://127.0.0.1:" + etcdPeerPort,
            "--unsafe-no-fsync",
            "--log-level=warn"));
    await("etcd health")
        .atMost(STARTUP)
        .ignoreExceptions()
        .until(() -> status("http://127.0.0.1:" + etcdPort + "/health", null) == 200);

    this.port = freePort();
    start(
        "kube-apiserver",
        List.of(
            bin.resolve("kube-apiserver").toString(),
            "--etcd-servers=http://127.0.0.1:" + etcdPort,
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            "--secure-port=" + port,
            "--cert-dir=" + work.resolve("certs"),
            "--token-auth-file=" + work.resolve("tokens.csv"),
            "--authorization-mode=RBAC",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--service-account-key-file=" + work.resolve("sa.pub"),
            "--service-account-signing-key-file=" + work.resolve("sa.key"),
            "--service-cluster-ip-range=10.0.0.0/24",
            "--allow-privileged=true",
            "--profiling=false"));
    await("kube-apiserver readiness")
        .atMost(STARTUP)
        .ignoreExceptions()
        .until(() -> status(url() + "/readyz", adminToken) == 200);
    Files.writeString(adminKubeconfig(), kubeconfig(adminToken, "admin"));
    this.admin = client(adminToken);
  }

  /**
   * The control plane of this test JVM, started on first use. Fails with what to run when the
   * binaries are not built ({@code ./mvnw verify} builds them before the tests that need them).
   */
  public static KubeCluster shared() {
    if (shared == null) {
      synchronized (KubeCluster.class) {
        if (shared == null) {
          try {
            shared = new KubeCluster(binaries());
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      }
    }
    return shared;
  }

  /** The API server's URL, {@code https://127.0.0.1:<port>}. */
  public String url() {
    return "https://127.0.0.1:" + port;
  }

  /** The API server's serving certificate, which clients trust as their CA. */
  public Path caCertificate() {
    return work.resolve("certs/apiserver.crt");
  }

  /** A client authenticated as a member of {@code system:masters} (RBAC does not apply). */
  public KubernetesClient admin() {
    return admin;
  }

  /** A kubeconfig for the administrator, for {@code kubectl} and the control plane's processes. */
  public Path adminKubeconfig() {
    return work.resolve("admin.kubeconfig");
  }

  /** A token for a ServiceAccount from the TokenRequest API, valid for an hour. */
  public String token(String namespace, String serviceAccount) {
    return admin
        .serviceAccounts()
        .inNamespace(namespace)
        .withName(serviceAccount)
        .tokenRequest(
            new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
        .getStatus()
        .getToken();
  }

  /** A client authenticated as a ServiceAccount: what it may do is what RBAC grants it. */
  public KubernetesClient clientAs(String namespace, String serviceAccount) {
    return client(token(namespace, serviceAccount));
  }

  /** A fresh namespace named after {@code prefix}, for one test. */
  public String newNamespace(String prefix) {
    String name =
        (prefix + "-" + namespaces.incrementAndGet() + "-" + UUID.randomUUID().toString())
            .toLowerCase()
            .substring(0, Math.min(prefix.length() + 10, 63))
            .replaceAll("-+$", "");
    admin
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .create();
    return name;
  }

  /**
   * Runs {@code kubectl} as the administrator and returns its standard output; fails with its
   * standard error when it exits non-zero.
   */
  public String kubectl(String... args) {
    Result result = tryKubectl(args);
    if (result.exitCode() != 0) {
      throw new AssertionError(
          "kubectl "
              + String.join(" ", args)
              + " exited "
              + result.exitCode()
              + ": "
              + result.err());
    }
    return result.out();
  }

  /** What a {@code kubectl} run printed, and its exit code. */
  public record Result(int exitCode, String out, String err) {}

  /** Runs {@code kubectl} as the administrator, whatever its exit code. */
  public Result tryKubectl(String... args) {
    List<String> command = new ArrayList<>();
    command.add(bin.resolve("kubectl").toString());
    command.add("--kubeconfig=" + adminKubeconfig());
    command.addAll(List.of(args));
    try {
      Path out = Files.createTempFile(work, "kubectl", ".out");
      Path err = Files.createTempFile(work, "kubectl", ".err");
      Process process =
          new ProcessBuilder(command)
              .directory(Repository.root().toFile())
              .redirectOutput(out.toFile())
              .redirectError(err.toFile())
              .start();
      if (!process.waitFor(120, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("kubectl " + String.join(" ", args) + " did not finish");
      }
      return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Installs a component as a user does, {@code kubectl apply --server-side -k k8s/<component>}
   * (its namespace, CRDs, ServiceAccount, RBAC and Deployment), with no kubelet to run the
   * Deployment: the tests start the packaged application themselves, as that ServiceAccount.
   */
  public void install(String component) {
    kubectl("apply", "--server-side", "--force-conflicts", "-k", "k8s/" + component);
    await("CRDs of " + component + " established")
        .atMost(STARTUP)
        .until(
            () ->
                admin.apiextensions().v1().customResourceDefinitions().list().getItems().stream()
                    .allMatch(
                        crd ->
                            crd.getStatus() != null
                                && crd.getStatus().getConditions().stream()
                                    .anyMatch(
                                        c ->
                                            "Established".equals(c.getType())
                                                && "True".equals(c.getStatus()))));
  }

  /** The cells of the row of {@code name} in a {@code kubectl get} table; fails if it has none. */
  public static List<String> row(String table, String name) {
    return table
        .lines()
        .filter(l -> l.startsWith(name + " "))
        .findFirst()
        .map(l -> List.of(l.split("\\s+")))
        .orElseThrow(() -> new AssertionError(name + " not in\n" + table));
  }

  /** The operations ({@code Apply}, {@code Update}) by which an object's status was written. */
  public static Set<String> statusOperations(HasMetadata object) {
    Set<String> operations = new TreeSet<>();
    for (ManagedFieldsEntry entry : object.getMetadata().getManagedFields()) {
      if ("status".equals(entry.getSubresource())) {
        operations.add(entry.getOperation());
      }
    }
    return operations;
  }

  /**
   * Starts, once, what makes workloads run: {@code kube-controller-manager}, {@code kube-scheduler}
   * and {@code kwok} with one fake node. Pods of a Deployment then become Running and Ready, except
   * those labelled {@code kubeless.io/test-never-ready} (a failed rollout); deleting an owner
   * garbage-collects what it owns.
   */
  public synchronized KubeCluster withWorkloads() {
    if (workloads) {
      return this;
    }
    for (String optional : List.of("kube-controller-manager", "kube-scheduler", "kwok")) {
      if (!Files.isExecutable(bin.resolve(optional))) {
        throw new AssertionError(
            optional
                + " was not built in "
                + bin
                + " (see "
                + bin.resolve(".failed-" + optional)
                + "; testing/control-plane/build.sh --retry-failed)");
      }
    }
    String kubeconfig = adminKubeconfig().toString();
    start(
        "kube-controller-manager",
        List.of(
            bin.resolve("kube-controller-manager").toString(),
            "--kubeconfig=" + kubeconfig,
            "--authentication-kubeconfig=" + kubeconfig,
            "--authorization-kubeconfig=" + kubeconfig,
            "--bind-address=127.0.0.1",
            "--secure-port=0",
            "--leader-elect=false",
            "--service-account-private-key-file=" + work.resolve("sa.key"),
            "--root-ca-file=" + caCertificate(),
            "--use-service-account-credentials=false",
            "--concurrent-gc-syncs=5"));
    start(
        "kube-scheduler",
        List.of(
            bin.resolve("kube-scheduler").toString(),
            "--kubeconfig=" + kubeconfig,
            "--authentication-kubeconfig=" + kubeconfig,
            "--authorization-kubeconfig=" + kubeconfig,
            "--bind-address=127.0.0.1",
            "--secure-port=0",
            "--leader-elect=false"));
    start(
        "kwok",
        List.of(
            bin.resolve("kwok").toString(),
            "--kubeconfig=" + kubeconfig,
            "--config=" + Repository.root().resolve("testing/control-plane/kwok/stages-test.yaml"),
            "--manage-all-nodes=false",
            "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
            "--node-lease-duration-seconds=40",
            "--cidr=10.0.0.1/24",
            "--node-ip=10.0.0.1",
            "--server-address=127.0.0.1:0"));
    Map<String, Quantity> capacity =
        Map.of(
            "cpu",
            new Quantity("32"),
            "memory",
            new Quantity("256Gi"),
            "pods",
            new Quantity("250"));
    admin
        .nodes()
        .resource(
            new NodeBuilder()
                .withNewMetadata()
                .withName("kwok-node-0")
                .withAnnotations(
                    Map.of("kwok.x-k8s.io/node", "fake", "node.alpha.kubernetes.io/ttl", "0"))
                .withLabels(
                    Map.of(
                        "kubernetes.io/hostname", "kwok-node-0",
                        "kubernetes.io/os", "linux",
                        "kubernetes.io/arch", "amd64",
                        "type", "kwok"))
                .endMetadata()
                .withNewStatus()
                .withAllocatable(capacity)
                .withCapacity(capacity)
                .endStatus()
                .build())
        .create();
    await("the kwok node Ready")
        .atMost(STARTUP)
        .until(
            () ->
                admin.nodes().withName("kwok-node-0").get().getStatus().getConditions().stream()
                    .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus())));
    workloads = true;
    return this;
  }

  private KubernetesClient client(String token) {
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl(url())
            .withOauthToken(token)
            .withCaCertFile(caCertificate().toString())
            .withRequestRetryBackoffLimit(0)
            .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  private String kubeconfig(String token, String user) {
    return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: test
          cluster:
            server: %s
            certificate-authority: %s
        users:
        - name: %s
          user:
            token: %s
        contexts:
        - name: test
          context: {cluster: test, user: %s}
        current-context: test
        """
        .formatted(url(), caCertificate(), user, token, user);
  }

  private void start(String name, List<String> command) {
    try {
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(logs.resolve(name + ".log").toFile())
              .start();
      processes.add(process);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name, e);
    }
  }

  private void stop() {
    List<Process> running = new ArrayList<>(processes);
    java.util.Collections.reverse(running);
    running.forEach(Process::destroy);
    for (Process process : running) {
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
      }
    }
    try (Stream<Path> files = Files.walk(work)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temp directory; the OS cleans it eventually
    }
  }

  private void writeKeys() throws IOException {
    KeyPair pair;
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      pair = generator.generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    Files.writeString(work.resolve("sa.key"), pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
    Files.writeString(work.resolve("sa.pub"), pem("PUBLIC KEY", pair.getPublic().getEncoded()));
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  private static int status(String url, String token) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    HttpClient client = url.startsWith("https") ? Insecure.CLIENT : HTTP;
    return client.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  /** The directory of the built binaries: {@code kubeless.k8s.bin}, else build.sh's cache. */
  private static Path binaries() {
    String property = System.getProperty("kubeless.k8s.bin");
    Path dir;
    if (property != null && !property.isBlank()) {
      dir = Path.of(property);
    } else {
      Path script = Repository.root().resolve("testing/control-plane/build.sh");
      try {
        Process process =
            new ProcessBuilder(script.toString(), "--print-dir").redirectErrorStream(true).start();
        dir = Path.of(new String(process.getInputStream().readAllBytes()).trim());
        process.waitFor();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    for (String required : List.of("kube-apiserver", "etcd", "kubectl")) {
      if (!Files.isExecutable(dir.resolve(required))) {
        throw new AssertionError(
            "No "
                + required
                + " in "
                + dir
                + ": build the control plane with testing/control-plane/build.sh"
                + " (./mvnw verify runs it before the cluster tests)");
      }
    }
    return dir;
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Readiness probes only: the API server's certificate is not written yet when probing starts. */
  private static final class Insecure {
    static final HttpClient CLIENT = build();

    private static HttpClient build() {
      try {
        var context = javax.net.ssl.SSLContext.getInstance("TLS");
        context.init(
            null,
            new javax.net.ssl.TrustManager[] {
              new javax.net.ssl.X509TrustManager() {
                @Override
                public void checkClientTrusted(
                    java.security.cert.X509Certificate[] chain, String authType) {}

                @Override
                public void checkServerTrusted(
                    java.security.cert.X509Certificate[] chain, String authType) {}

                @Override
                public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                  return new java.security.cert.X509Certificate[0];
                }
              }
            },
            null);
        return HttpClient.newBuilder().sslContext(context).build();
      } catch (java.security.GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
