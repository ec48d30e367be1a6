package io.kubeless.function;

import io.kubeless.function.spec.ContentType;
import io.kubeless.function.spec.FunctionPlan;
import java.net.URI;
import java.util.Optional;

/**
 * How far the code a pod runs can be trusted to be the code meant, for code downloaded from a URL
 * (inline code is checked by the controller itself). The {@code prepare} init container downloads
 * it: with a checksum it refuses other bytes; without one, anyone who controls the server or, over
 * plain http, the path, chooses the code. A redirect from https to http is refused by the download
 * itself, so the pod never starts and the Function shows {@code RolloutFailed}.
 */
final class CodeIntegrity {

  /** The condition type; {@code Ready} stays as it is, this one only warns. */
  static final String TYPE = "CodeIntegrity";

  /** The code is downloaded over plain http, readable and changeable on the way. */
  static final String INSECURE_URL = "InsecureUrl";

  /** The code is downloaded without {@code spec.checksum}: any content is run. */
  static final String NO_CHECKSUM = "NoChecksum";

  /** Downloaded over https and checked against {@code spec.checksum}. */
  static final String VERIFIED = "ChecksumVerified";

  /**
   * @param trusted the condition's status
   * @param reason the condition's reason
   * @param message what it means and how to fix it
   */
  record Verdict(boolean trusted, String reason, String message) {}

  private CodeIntegrity() {}

  /** The verdict for code from a URL; empty for inline code and prebuilt images. */
  static Optional<Verdict> of(FunctionPlan plan) {
    if (!plan.preparesCode() || plan.contentType().encoding() != ContentType.Encoding.URL) {
      return Optional.empty();
    }
    // the planner accepted it as an absolute http(s) URL
    String scheme = URI.create(plan.code().trim()).getScheme();
    if ("http".equalsIgnoreCase(scheme)) {
      return Optional.of(
          new Verdict(
              false,
              INSECURE_URL,
              "the code is downloaded over plain http: anyone on the way can read or replace it;"
                  + " serve it over https"
                  + (plan.checksumHex().isEmpty() ? " and set spec.checksum" : "")));
    }
    if (plan.checksumHex().isEmpty()) {
      return Optional.of(
          new Verdict(
              false,
              NO_CHECKSUM,
              "the code is downloaded without spec.checksum: whatever the server sends is run;"
                  + " set spec.checksum to sha256:<hex of the file>"));
    }
    return Optional.of(
        new Verdict(
            true,
            VERIFIED,
            "the code is downloaded over https (never redirected to http) and checked against"
                + " spec.checksum"));
  }
}
