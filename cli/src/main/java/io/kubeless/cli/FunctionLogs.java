package io.kubeless.cli;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.dsl.LogWatch;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code function logs <name> [-f]}: on Kubernetes the logs of every pod labelled {@code
 * function=<name>} (each line prefixed by the pod's name when there are several; {@code -f} follows
 * them all), locally the lines the process printed (the admin API's ring buffer; {@code -f} follows
 * its event stream). {@code -f} runs until Ctrl-C.
 */
@Command(
    name = "logs",
    description = "print the logs of a function (every replica on Kubernetes)",
    mixinStandardHelpOptions = true)
final class FunctionLogs implements Callable<Integer> {
  private final Cli cli;

  @Parameters(index = "0", paramLabel = "FUNCTION_NAME")
  String name;

  @Option(
      names = {"-n", "--namespace"},
      description = "Specify namespace for the function")
  String namespace;

  @Option(
      names = {"-f", "--follow"},
      description = "Follow the logs until Ctrl-C")
  boolean follow;

  @Mixin TargetOption target;

  FunctionLogs(Cli cli) {
    this.cli = cli;
  }

  @Override
  public Integer call() throws Exception {
    var local = cli.local(target);
    if (local.isPresent()) {
      local
          .get()
          .logs(
              FunctionCommand.localNamespace(namespace),
              name,
              follow,
              line -> {
                cli.out().println(line);
                if (follow) {
                  cli.out().flush();
                }
              });
      return 0;
    }
    String ns = cli.namespace(namespace);
    List<Pod> pods =
        new ArrayList<>(
            cli.client().pods().inNamespace(ns).withLabel("function", name).list().getItems());
    if (pods.isEmpty()) {
      FunctionCommand.get(cli, ns, name); // names a missing function
      throw new Cli.CliException(
          "function \"%s\" in namespace \"%s\" has no pod (yet)".formatted(name, ns));
    }
    pods.sort(Comparator.comparing(p -> p.getMetadata().getName()));
    boolean prefix = pods.size() > 1 || follow;
    if (!follow) {
      for (Pod pod : pods) {
        String log = podLogs(ns, pod.getMetadata().getName()).getLog();
        print(pod.getMetadata().getName(), log == null ? "" : log, prefix);
      }
      return 0;
    }
    List<Thread> readers = new ArrayList<>();
    List<LogWatch> watches = new ArrayList<>();
    try {
      for (Pod pod : pods) {
        String podName = pod.getMetadata().getName();
        LogWatch watch = podLogs(ns, podName).watchLog();
        watches.add(watch);
        readers.add(
            Thread.ofVirtual()
                .name("logs-" + podName)
                .start(
                    () -> {
                      try (var in =
                          new BufferedReader(
                              new InputStreamReader(watch.getOutput(), StandardCharsets.UTF_8))) {
                        for (String line; (line = in.readLine()) != null; ) {
                          synchronized (cli.out()) {
                            cli.out().println("[" + podName + "] " + line);
                            cli.out().flush();
                          }
                        }
                      } catch (IOException e) {
                        // the pod or the connection is gone
                      }
                    }));
      }
      for (Thread t : readers) {
        t.join();
      }
    } finally {
      watches.forEach(LogWatch::close);
    }
    return 0;
  }

  private io.fabric8.kubernetes.client.dsl.ContainerResource podLogs(String ns, String pod) {
    // the function's container is named after it (the init containers install its code and deps)
    return cli.client().pods().inNamespace(ns).withName(pod).inContainer(name);
  }

  private void print(String pod, String log, boolean prefix) {
    for (String line : log.split("\n", -1)) {
      if (line.isEmpty()) {
        continue;
      }
      cli.out().println(prefix ? "[" + pod + "] " + line : line);
    }
  }
}
