package io.kubeless.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * The code of a function as Kubeless stores it ({@code pkg/utils/kubelessutil.go}): the {@code
 * function} field, its {@code function-content-type} and a {@code sha256:} checksum of the bytes.
 */
record FunctionSource(String content, String contentType, String checksum) {

  private static final List<String> COMPRESSED_TAR =
      List.of(".tar.gz", ".tgz", ".taz", ".tar.bz2", ".tbz", ".tbz2", ".tar.xz");

  /** Reads {@code -f}: an http(s) URL, a file, or a directory (zipped, as a {@code .zip} file). */
  static FunctionSource read(String from) {
    if (isUrl(from)) {
      return new FunctionSource(from, contentType(from, null), checksum(download(from)));
    }
    Path path = Path.of(from);
    if (!Files.exists(path)) {
      throw new Cli.CliException("cannot read \"" + from + "\": no such file or directory");
    }
    try {
      if (Files.isDirectory(path)) {
        byte[] zip = zip(path);
        return of(path.getFileName() + ".zip", zip);
      }
      return of(from, Files.readAllBytes(path));
    } catch (IOException e) {
      throw new Cli.CliException("cannot read \"" + from + "\": " + e.getMessage(), e);
    }
  }

  /** The source of a file named {@code filename} holding {@code bytes}. */
  static FunctionSource of(String filename, byte[] bytes) {
    String type = contentType(filename, bytes);
    String content =
        type.startsWith("text")
            ? new String(bytes, StandardCharsets.UTF_8)
            : java.util.Base64.getEncoder().encodeToString(bytes);
    return new FunctionSource(content, type, checksum(bytes));
  }

  /** Kubeless's content type: url, text or base64, then +zip or +compressedtar by file name. */
  static String contentType(String filename, byte[] bytes) {
    String type;
    if (isUrl(filename)) {
      type = "url";
    } else {
      type = isUtf8(bytes) ? "text" : "base64";
    }
    String lower = filename.toLowerCase(Locale.ROOT);
    if (lower.endsWith(".zip")) {
      type += "+zip";
    } else if (COMPRESSED_TAR.stream().anyMatch(lower::endsWith)) {
      type += "+compressedtar";
    }
    return type;
  }

  static String checksum(byte[] bytes) {
    try {
      return "sha256:"
          + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static boolean isUrl(String from) {
    String lower = from.toLowerCase(Locale.ROOT);
    return lower.startsWith("http://") || lower.startsWith("https://");
  }

  private static boolean isUtf8(byte[] bytes) {
    try {
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  /** Downloads a URL source; Kubeless fetches it only to compute the checksum. */
  private static byte[] download(String url) {
    try (HttpClient http =
        HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NORMAL)
            .connectTimeout(Duration.ofSeconds(30))
            .build()) {
      HttpResponse<byte[]> response =
          http.send(
              HttpRequest.newBuilder(URI.create(url)).GET().build(),
              HttpResponse.BodyHandlers.ofByteArray());
      if (response.statusCode() >= 400) {
        throw new Cli.CliException(
            "cannot download \"" + url + "\": HTTP status " + response.statusCode());
      }
      return response.body();
    } catch (IOException e) {
      throw new Cli.CliException("cannot download \"" + url + "\": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Cli.CliException("interrupted while downloading \"" + url + "\"", e);
    }
  }

  /**
   * Zips a directory with sorted entries and fixed timestamps, so the same tree always gives the
   * same checksum (and redeploying unchanged code does not roll the function's pods).
   */
  static byte[] zip(Path dir) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes);
        Stream<Path> walk = Files.walk(dir)) {
      List<Path> files = walk.filter(Files::isRegularFile).sorted().toList();
      for (Path file : files) {
        String name = dir.relativize(file).toString().replace('\\', '/');
        ZipEntry entry = new ZipEntry(name);
        // Not 1980-01-01 00:00, the edge of DOS time: for it the JDK adds an
        // extended timestamp in UTC seconds, which makes the bytes depend on the time zone.
        entry.setTimeLocal(LocalDateTime.of(1980, 2, 1, 0, 0));
        zip.putNextEntry(entry);
        try {
          Files.copy(file, zip);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        zip.closeEntry();
      }
    }
    return bytes.toByteArray();
  }
}
