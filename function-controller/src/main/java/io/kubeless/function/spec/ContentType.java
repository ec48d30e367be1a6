package io.kubeless.function.spec;

import io.kubeless.api.function.InvalidFunctionException;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * How {@code spec.function} is encoded, Kubeless's {@code function-content-type}: {@code text},
 * {@code base64} or {@code url}, optionally {@code +zip} or {@code +compressedtar}, and {@code
 * +deps} when the archive carries its own dependency file.
 */
public record ContentType(Encoding encoding, Archive archive, boolean depsInArchive) {

  /** How the code itself is carried. */
  public enum Encoding {
    TEXT,
    BASE64,
    URL
  }

  /** The archive format the code is packed in, if any. */
  public enum Archive {
    NONE,
    ZIP,
    TAR
  }

  /** Parses a content type (empty means text), failing with reason {@code UnknownContentType}. */
  public static ContentType parse(String value) throws InvalidFunctionException {
    String raw = value == null ? "" : value.trim();
    String[] parts = raw.isEmpty() ? new String[] {"text"} : raw.split("\\+", -1);
    Encoding encoding =
        switch (parts[0]) {
          case "text" -> Encoding.TEXT;
          case "base64" -> Encoding.BASE64;
          case "url" -> Encoding.URL;
          default -> throw unknown(raw);
        };
    Set<String> modifiers = new LinkedHashSet<>();
    for (int i = 1; i < parts.length; i++) {
      if (!Set.of("zip", "compressedtar", "deps").contains(parts[i]) || !modifiers.add(parts[i])) {
        throw unknown(raw);
      }
    }
    if (modifiers.contains("zip") && modifiers.contains("compressedtar")) {
      throw unknown(raw);
    }
    Archive archive =
        modifiers.contains("zip")
            ? Archive.ZIP
            : modifiers.contains("compressedtar") ? Archive.TAR : Archive.NONE;
    if (modifiers.contains("deps") && archive == Archive.NONE) {
      throw new InvalidFunctionException(
          "UnknownContentType",
          "spec.function-content-type '"
              + raw
              + "': +deps needs an archive (+zip or +compressedtar)");
    }
    return new ContentType(encoding, archive, modifiers.contains("deps"));
  }

  private static InvalidFunctionException unknown(String raw) {
    return new InvalidFunctionException(
        "UnknownContentType",
        "spec.function-content-type '"
            + raw
            + "' is not one of text, base64, url, optionally followed by +zip or +compressedtar"
            + " and +deps");
  }
}
