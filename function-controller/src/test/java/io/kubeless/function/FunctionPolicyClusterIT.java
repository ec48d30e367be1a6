package io.kubeless.function;

import static io.kubeless.function.ClusterControllers.awaitReady;
import static io.kubeless.function.ClusterControllers.events;
import static io.kubeless.function.TestSpecs.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.api.v1beta1.FunctionSpec;
import io.kubeless.testing.KubeCluster;
import io.kubeless.testing.PackagedApp;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A Function is untrusted input: with the shipped configuration, on a real API server, the
 * controller refuses a Service that points outside the cluster and a pod that escalates its
 * privileges, writing nothing for them, and never lets a Function's code into a status, an Event or
 * its log.
 */
class FunctionPolicyClusterIT {

  private static final String IDENTITY = "fc-policy";
  private static final String SECRET = "AKIA-CLUSTER-SECRET-41c9d2";
  private static final String CODE =
      "import os\nAWS_KEY = '" + SECRET + "'\ndef handler(event, context):\n    return AWS_KEY\n";

  private static KubeCluster cluster;
  private static KubernetesClient admin;
  private static PackagedApp controller;

  @BeforeAll
  static void install() {
    cluster = KubeCluster.shared();
    admin = cluster.admin();
    controller = ClusterControllers.installAndStart(cluster, IDENTITY);
  }

  @AfterAll
  static void stop() throws InterruptedException {
    ClusterControllers.stop(controller);
  }

  @Test
  void aServiceThatPointsOutsideTheClusterIsRefusedAndNothingIsWritten() {
    String ns = cluster.newNamespace("fn-svc-policy");
    Map<String, String> services = new LinkedHashMap<>();
    services.put(
        "external-name",
        "{type: ExternalName, externalName: attacker.example.com,"
            + " ports: [{name: http-function-port, port: 8080, targetPort: 8080}]}");
    services.put(
        "external-ips",
        "{externalIPs: [203.0.113.7],"
            + " ports: [{name: http-function-port, port: 8080, targetPort: 8080}]}");
    services.forEach((name, service) -> create(ns, name, s -> s.setService(yaml(service))));

    for (String name : services.keySet()) {
      Function refused = awaitReady(admin, ns, name, "False", "ServiceNotAllowed");
      assertThat(readyMessage(refused)).contains("spec.service");
      await(name + " Warning Event")
          .atMost(ClusterControllers.TIMEOUT)
          .until(
              () ->
                  events(admin, ns, name).stream()
                      .anyMatch(
                          e ->
                              "Warning".equals(e.getType())
                                  && "ServiceNotAllowed".equals(e.getReason())));
      assertNothingWritten(ns, name);
    }
  }

  @Test
  void aPodThatEscalatesItsPrivilegesIsRefusedAndNoDeploymentIsWritten() {
    String ns = cluster.newNamespace("fn-pod-policy");
    Map<String, String> pods = new LinkedHashMap<>();
    pods.put(
        "privileged",
        "spec: {template: {spec: {containers: [{securityContext: {privileged: true}}]}}}");
    pods.put(
        "host-path",
        "spec: {template: {spec: {volumes: [{name: host, hostPath: {path: /etc}}],"
            + " containers: [{volumeMounts: [{name: host, mountPath: /host}]}]}}}");
    pods.put(
        "service-account",
        "spec: {template: {spec: {serviceAccountName: kubeless-function-controller}}}");
    pods.forEach((name, deployment) -> create(ns, name, s -> s.setDeployment(yaml(deployment))));

    for (String name : pods.keySet()) {
      Function refused = awaitReady(admin, ns, name, "False", "PodNotAllowed");
      assertThat(readyMessage(refused)).contains("spec.deployment");
      assertThat(events(admin, ns, name)).extracting(Event::getReason).contains("PodNotAllowed");
      assertNothingWritten(ns, name);
    }
  }

  @Test
  void theCodeOfAnInvalidFunctionIsInNoStatusEventOrControllerLog() {
    String ns = cluster.newNamespace("fn-leak");
    Map<String, Consumer<FunctionSpec>> broken = new LinkedHashMap<>();
    broken.put("ChecksumMismatch", s -> s.setChecksum("sha256:" + "0".repeat(64)));
    broken.put(
        "InvalidFunctionContent",
        s -> {
          s.setFunctionContentType("base64");
          s.setFunction(CODE);
        });
    broken.put(
        "InvalidHandler",
        s -> {
          s.setHandler("hello");
          s.setDeps("private-package @ https://" + SECRET + "@pypi.example.com/p.whl\n");
        });
    int i = 0;
    Map<String, String> names = new LinkedHashMap<>();
    for (var entry : broken.entrySet()) {
      String name = "leak-" + i++;
      names.put(name, entry.getKey());
      create(
          ns,
          name,
          s -> {
            s.setFunction(CODE);
            entry.getValue().accept(s);
          });
    }

    names.forEach(
        (name, reason) -> {
          Function reported = awaitReady(admin, ns, name, "False", reason);
          assertThat(reported.getStatus().getConditions())
              .extracting(Condition::getMessage)
              .allSatisfy(m -> assertThat(m).isNotBlank().doesNotContain(SECRET));
          await(name + " " + reason + " Event and log line")
              .atMost(ClusterControllers.TIMEOUT)
              .until(
                  () ->
                      events(admin, ns, name).stream().anyMatch(e -> reason.equals(e.getReason()))
                          && ClusterControllers.log(IDENTITY)
                              .lines()
                              .anyMatch(l -> l.contains(ns + "/" + name) && l.contains(reason)));
          assertThat(events(admin, ns, name))
              .extracting(Event::getMessage)
              .noneMatch(m -> m.contains(SECRET));
          assertNothingWritten(ns, name);
        });
    assertThat(ClusterControllers.log(IDENTITY)).doesNotContain(SECRET);
  }

  @Test
  void codeFromAUrlCarriesACodeIntegrityConditionThatWarnsWithoutBlocking() {
    String ns = cluster.newNamespace("fn-url");
    Map<String, Consumer<FunctionSpec>> sources = new LinkedHashMap<>();
    sources.put(CodeIntegrity.INSECURE_URL, s -> s.setFunction("http://code.example/hello.py"));
    sources.put(CodeIntegrity.NO_CHECKSUM, s -> s.setFunction("https://code.example/hello.py"));
    sources.put(
        CodeIntegrity.VERIFIED,
        s -> {
          s.setFunction("https://code.example/hello.py");
          s.setChecksum("sha256:" + "ab".repeat(32));
        });
    sources.forEach(
        (reason, source) ->
            create(
                ns,
                reason.toLowerCase(),
                s -> {
                  s.setFunctionContentType("url");
                  source.accept(s);
                }));

    sources.forEach(
        (reason, source) -> {
          String name = reason.toLowerCase();
          Function function =
              await(name + " " + CodeIntegrity.TYPE + " " + reason)
                  .atMost(ClusterControllers.TIMEOUT)
                  .until(
                      () -> ClusterControllers.function(admin, ns, name),
                      f ->
                          f.getStatus() != null
                              && f.getStatus().getConditions().stream()
                                  .anyMatch(
                                      c ->
                                          CodeIntegrity.TYPE.equals(c.getType())
                                              && reason.equals(c.getReason())));
          boolean trusted = CodeIntegrity.VERIFIED.equals(reason);
          assertThat(function.getStatus().getConditions())
              .filteredOn(c -> CodeIntegrity.TYPE.equals(c.getType()))
              .singleElement()
              .satisfies(c -> assertThat(c.getStatus()).isEqualTo(trusted ? "True" : "False"));
          // a warning only: the function is deployed all the same, its init container downloads
          ClusterControllers.awaitChild(admin, Deployment.class, ns, name);
        });
  }

  private static void create(String ns, String name, Consumer<FunctionSpec> change) {
    Function function = TestFunctions.python(ns, name);
    change.accept(function.getSpec());
    admin.resource(function).create();
  }

  private static String readyMessage(Function function) {
    return function.getStatus().getConditions().stream()
        .filter(c -> "Ready".equals(c.getType()))
        .findFirst()
        .orElseThrow()
        .getMessage();
  }

  /** A refused Function's reconciliation wrote none of its children. */
  private static void assertNothingWritten(String ns, String name) {
    // its status was written after the checks, so anything written would exist by now
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                admin.configMaps().inNamespace(ns).withName(name).get() == null
                    && admin.apps().deployments().inNamespace(ns).withName(name).get() == null
                    && admin.services().inNamespace(ns).withName(name).get() == null);
  }
}
