package io.kubeless.cli;

import picocli.CommandLine.Option;

/**
 * {@code --target local|kubernetes} of the function commands. Without it: the running local mode of
 * the current directory when there is one ({@code .kubeless/local.json} names an admin API that
 * answers), else the current kube context.
 */
final class TargetOption {

  enum Target {
    local,
    kubernetes
  }

  @Option(
      names = "--target",
      paramLabel = "local|kubernetes",
      description =
          "Where the function is: local (the running `kubeless local up` of this directory) or"
              + " kubernetes (the kube context). Default: local when one runs here, else"
              + " kubernetes")
  Target target;
}
