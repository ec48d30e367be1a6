package io.kubeless.cli;

import java.util.List;
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
    spec.commandLine().getOut().print(names(root));
    spec.commandLine().getOut().flush();
    return 0;
  }

  /**
   * The function wrapping picocli's {@code _complete_kubeless}: for the NAME of {@code function
   * describe|update|delete|call|logs}, {@code trigger <kind> update|delete}, {@code autoscale
   * create|delete}, {@code topic delete} and {@code topic publish --topic} it offers what {@code
   * kubeless __complete} prints (passing on {@code -n} and {@code --kafka-bootstrap}); everything
   * else is picocli's.
   */
  static String names(CommandLine root) {
    StringBuilder cases = new StringBuilder();
    valueOptions(root, "", cases);
    return NAMES.replace("@VALUE_OPTIONS@", cases.toString());
  }

  /** A case per command path: the options that take a value, whose next word is not a NAME. */
  private static void valueOptions(CommandLine command, String path, StringBuilder cases) {
    command
        .getSubcommands()
        .forEach(
            (name, sub) -> {
              if (!sub.getCommandSpec().usageMessage().hidden()) {
                valueOptions(sub, path.isEmpty() ? name : path + " " + name, cases);
              }
            });
    List<String> names =
        command.getCommandSpec().options().stream()
            .filter(o -> o.arity().max() > 0)
            .flatMap(o -> java.util.Arrays.stream(o.names()))
            .sorted()
            .toList();
    if (!names.isEmpty()) {
      String key = path.isEmpty() ? "" : path;
      cases.append(
          "    \"%s\"|\"%s \"*) case \"$2\" in %s) return 0 ;; esac ;;\n"
              .formatted(key, key, String.join("|", names)));
    }
  }

  private static final String NAMES =
      """

      # kubeless: names of functions, triggers and topics from `kubeless __complete`.
      function _kubeless_value_option() {
        # $1: the command path so far, $2: an option; true when the option takes a value
        case "$1" in
      @VALUE_OPTIONS@  esac
        return 1
      }

      function _kubeless_complete() {
        local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
        local -a ctx=()
        local path="" w i skip=0 npos=0 valueprev=0
        for (( i = 1; i < COMP_CWORD; i++ )); do
          w="${COMP_WORDS[i]}"
          if (( skip )); then
            skip=0
            continue
          fi
          case "$w" in
            -n|--namespace|--kafka-bootstrap) ctx+=("$w" "${COMP_WORDS[i+1]}"); skip=1 ;;
            --namespace=*|--kafka-bootstrap=*) ctx+=("$w") ;;
            -*) _kubeless_value_option "$path" "$w" && skip=1 ;;
            *) path="${path:+$path }$w" ;;
          esac
        done
        (( skip )) && valueprev=1
        local what=""
        if [[ "$cur" != -* ]]; then
          if (( valueprev )); then
            [[ "$prev" == --topic && "$path" == "topic publish" ]] && what="topics"
          else
            case "$path" in
              "function describe"|"function update"|"function delete"|"function call"|"function logs") what="functions" ;;
              "autoscale create"|"autoscale delete") what="functions" ;;
              "topic delete") what="topics" ;;
              "trigger "*" update"|"trigger "*" delete")
                w="${path#trigger }"
                w="${w%% *}"
                what="triggers $w" ;;
            esac
          fi
        fi
        if [[ -z "$what" ]]; then
          _complete_kubeless "$@"
          return $?
        fi
        local -a args=($what)
        local IFS=$'\\n'
        COMPREPLY=( $(compgen -W "$("${COMP_WORDS[0]}" __complete "${args[@]}" "${ctx[@]}" 2>/dev/null)" -- "$cur") )
        return 0
      }

      complete -F _kubeless_complete -o default kubeless kubeless.sh kubeless.bash
      """;
}
