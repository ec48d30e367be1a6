package io.kubeless.function.dependent;

import io.kubeless.function.runtime.Runtime;
import io.kubeless.function.spec.ContentType;
import io.kubeless.function.spec.FunctionPlan;
import java.util.ArrayList;
import java.util.List;

/**
 * The shell script of the {@code prepare} init container: decode or download the code, check its
 * digest, unpack it into the install volume and copy the dependency file next to it. Values a user
 * controls (the URL) reach the script through the environment, never through its text.
 */
final class PrepareScript {

  /** Where the ConfigMap is mounted in the init containers. */
  static final String SOURCE_DIR = "/src";

  /** The install volume the runtime loads code and dependencies from. */
  static final String INSTALL_DIR = "/kubeless";

  static final String URL_ENV = "KUBELESS_FUNC_URL";

  private PrepareScript() {}

  static String build(FunctionPlan plan, String codeDigest, String depsDigest) {
    return build(plan, codeDigest, depsDigest, SOURCE_DIR, INSTALL_DIR);
  }

  /**
   * The script for other mount points; tests run it against temporary directories. Paths are built
   * from validated names (module, catalogue file names), so double quotes suffice.
   */
  static String build(
      FunctionPlan plan,
      String codeDigest,
      String depsDigest,
      String sourceDir,
      String installDir) {
    List<String> lines = new ArrayList<>();
    lines.add("set -eu");
    lines.add("work=\"${TMPDIR:-/tmp}\"");
    String source = sourceDir + "/" + plan.codeKey();
    // A new pod may briefly see the previous ConfigMap; failing here retries until it is current.
    lines.add(verify(codeDigest, source, true));
    String file =
        switch (plan.contentType().encoding()) {
          case BASE64 -> {
            lines.add("base64 -d \"" + source + "\" > \"$work/func.decoded\"");
            yield "$work/func.decoded";
          }
          case URL -> {
            // https code is only ever fetched over https: a redirect to http is refused
            String protocols = https(plan) ? "=https" : "=http,https";
            lines.add(
                "curl -fsSL --retry 3 --proto "
                    + protocols
                    + " --proto-redir "
                    + protocols
                    + " -o \"$work/func.download\" \"$"
                    + URL_ENV
                    + "\" || { echo \"prepare: could not download the function's code (a"
                    + " redirect from https to http is refused)\" >&2; exit 1; }");
            yield "$work/func.download";
          }
          case TEXT -> source;
        };
    plan.checksumHex().ifPresent(hex -> lines.add(verify(hex, file, false)));
    lines.add(
        switch (plan.contentType().archive()) {
          case ZIP -> "unzip -o -q \"" + file + "\" -d \"" + installDir + "\"";
          case TAR -> "tar xf \"" + file + "\" -C \"" + installDir + "\"";
          case NONE -> "cp \"" + file + "\" \"" + installDir + "/" + plan.codeKey() + "\"";
        });
    if (!plan.contentType().depsInArchive()) {
      plan.runtime()
          .flatMap(Runtime::depsFile)
          .filter(deps -> !plan.deps().isBlank())
          .ifPresent(
              deps -> {
                lines.add(verify(depsDigest, sourceDir + "/" + deps, true));
                lines.add(
                    "cp \"" + sourceDir + "/" + deps + "\" \"" + installDir + "/" + deps + "\"");
              });
    }
    return String.join("\n", lines) + "\n";
  }

  private static String verify(String hex, String file, boolean quiet) {
    return "echo \"" + hex + "  " + file + "\" | sha256sum -c -" + (quiet ? " >/dev/null" : "");
  }

  private static boolean https(FunctionPlan plan) {
    return plan.code().trim().regionMatches(true, 0, "https:", 0, 6);
  }

  /** Whether the content type needs the URL in the environment. */
  static boolean downloads(ContentType type) {
    return type.encoding() == ContentType.Encoding.URL;
  }
}
