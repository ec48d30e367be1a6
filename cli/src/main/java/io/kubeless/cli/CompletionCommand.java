package io.kubeless.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kubeless completion [bash|zsh]}: picocli's generated completion script, which serves both
 * shells. Kubeless also offered fish and powershell; picocli cannot generate them.
 */
@Command(
    name = "completion",
    description =
        "Output shell completion code for bash or zsh: source <(kubeless completion bash)",
    mixinStandardHelpOptions = true)
final class CompletionCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(
      index = "0",
      arity = "0..1",
      defaultValue = "bash",
      paramLabel = "SHELL",
      description = "bash or zsh (default: ${DEFAULT-VALUE})")
  String shell;

  @Override
  public Integer call() {
    if (!shell.equals("bash") && !shell.equals("zsh")) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "unsupported shell \"" + shell + "\": use bash or zsh");
    }
    CommandLine root = spec.root().commandLine();
    spec.commandLine().getOut().print(AutoComplete.bash(root.getCommandName(), root));
    spec.commandLine().getOut().flush();
    return 0;
  }
}
