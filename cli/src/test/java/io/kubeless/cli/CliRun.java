package io.kubeless.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintWriter;
import java.io.StringWriter;

/** One run of the command line in this JVM: its exit code and what it printed. */
record CliRun(int code, String out, String err) {

  static CliRun run(KubernetesClient client, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Kubeless.run(client, new PrintWriter(out), new PrintWriter(err), args);
    return new CliRun(code, out.toString(), err.toString());
  }

  /** A run that must not touch the API server: any use of the client fails the command. */
  static CliRun offline(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        Kubeless.run(
            () -> {
              throw new AssertionError("the command called the API server");
            },
            new PrintWriter(out),
            new PrintWriter(err),
            args);
    return new CliRun(code, out.toString(), err.toString());
  }
}
