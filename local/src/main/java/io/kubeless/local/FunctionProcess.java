package io.kubeless.local;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * One Function as a local process: its code written under {@code .kubeless/functions/<ns>/<name>/},
 * its dependencies installed once per content into {@code .kubeless/deps/}, started through {@code
 * runtimes/<language>/run} on a free port, ready once {@code GET /healthz} answers 200.
 */
final class FunctionProcess {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  private final LocalFunction function;
  private final Path home;
  private final Path runtimes;
  private final int port;
  private final PrintStream out;
  private final LogBuffer logs;
  private final Runnable installStarted;

  /** The runtime's variables and the Function's declared environment ({@link FunctionEnv}). */
  private final Map<String, String> environment;

  private volatile Process process;
  private volatile Process installing;
  private volatile boolean stopping;
  private volatile String unhealthy;

  /**
   * @param installStarted told once the install of the dependencies has started (its process is
   *     then {@link #installing})
   */
  FunctionProcess(
      LocalFunction function,
      Path home,
      Path runtimes,
      int port,
      PrintStream out,
      LogBuffer logs,
      Runnable installStarted,
      Map<String, String> environment) {
    this.function = function;
    this.environment = environment;
    this.home = home;
    this.runtimes = runtimes;
    this.port = port;
    this.out = out;
    this.logs = logs;
    this.installStarted = installStarted;
  }

  /** The install of the dependencies while it runs. */
  Optional<ProcessHandle> installing() {
    Process p = installing;
    return p == null || !p.isAlive() ? Optional.empty() : Optional.of(p.toHandle());
  }

  /** The last lines the function printed, and their followers. */
  LogBuffer logs() {
    return logs;
  }

  LocalFunction function() {
    return function;
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + port + "/");
  }

  Process process() {
    return process;
  }

  /**
   * The runtime's variables as the function controller sets them (handler, module, timeout,
   * runtime), which the Function's declared environment may refer to and override ({@link
   * FunctionEnv}); the port and code volume are local mode's own.
   */
  static Map<String, String> runtimeVariables(LocalFunction function) {
    Map<String, String> vars = new java.util.LinkedHashMap<>();
    vars.put("FUNC_HANDLER", function.handler().function());
    vars.put("MOD_NAME", function.handler().module());
    vars.put("FUNC_TIMEOUT", String.valueOf(function.timeout().toSeconds()));
    vars.put("FUNC_RUNTIME", function.runtime());
    return vars;
  }

  /** Writes the code, installs the dependencies (once per content) and starts the runtime. */
  void start() throws IOException, InterruptedException {
    String[] lang = LocalFunction.LANGUAGES.get(function.language());
    Path volume =
        home.resolve("functions")
            .resolve(function.namespace())
            .resolve(function.name())
            .resolve("volume");
    deleteTree(volume);
    Files.createDirectories(volume);
    writeCode(volume, lang[0]);

    String deps = function.function().getSpec().getDeps();
    if (deps != null && !deps.isBlank()) {
      Path cache = installDeps(deps, lang[1]);
      // what the install step left beside the deps file (node_modules, .python_packages, lib,
      // vendor, a lock file, Bundler's settings), linked into the volume as if installed there
      try (var installed = Files.list(cache)) {
        for (Path entry : installed.toList()) {
          String name = entry.getFileName().toString();
          if (!name.equals(lang[1]) && !name.equals(".installed")) {
            Files.createSymbolicLink(volume.resolve(name), entry.toAbsolutePath());
          }
        }
      }
      Files.writeString(volume.resolve(lang[1]), deps);
    }

    ProcessBuilder pb =
        new ProcessBuilder(command(runtimes.resolve(function.language()).resolve("run")));
    Map<String, String> env = pb.environment();
    env.putAll(environment);
    env.put("FUNC_PORT", String.valueOf(port));
    env.put("KUBELESS_INSTALL_VOLUME", volume.toAbsolutePath().toString());
    pb.redirectErrorStream(true);
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    process = pb.start();
    pump(process.getInputStream(), "[" + function.label() + "] ");
    process
        .onExit()
        .thenAccept(
            p -> {
              if (!stopping) {
                out.println("[" + function.label() + "] exited with code " + p.exitValue());
                logs.add("exited with code " + p.exitValue());
              }
            });
  }

  /**
   * What the runtime's {@code /healthz} last said while it did not answer 200 (e.g. {@code cannot
   * load hello.handler: SyntaxError ...}), or null: not asked yet, or healthy.
   */
  String unhealthy() {
    return unhealthy;
  }

  /** Polls {@code /healthz} until it answers 200; tells {@code ready} once, on a virtual thread. */
  void whenReady(Consumer<FunctionProcess> ready) {
    Thread.ofVirtual()
        .name("ready-" + function.name())
        .start(
            () -> {
              HttpRequest request =
                  HttpRequest.newBuilder(url().resolve("/healthz"))
                      .timeout(Duration.ofSeconds(2))
                      .build();
              String last = "";
              while (!stopping && process != null && process.isAlive()) {
                try {
                  HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
                  if (r.statusCode() == 200) {
                    unhealthy = null;
                    ready.accept(this);
                    return;
                  }
                  if (!r.body().equals(last)) {
                    last = r.body();
                    unhealthy = last.isBlank() ? "HTTP " + r.statusCode() : last.strip();
                    out.println("[" + function.label() + "] not healthy: " + unhealthy);
                  }
                } catch (IOException e) {
                  // not listening yet
                } catch (InterruptedException e) {
                  return;
                }
                try {
                  Thread.sleep(100);
                } catch (InterruptedException e) {
                  return;
                }
              }
            });
  }

  /** Stops the process and everything it started: SIGTERM, then SIGKILL after {@code grace}. */
  void stop(Duration grace) {
    stopping = true;
    Process install = installing;
    if (install != null) {
      Leftovers.stopTree(install.toHandle(), grace);
    }
    Process p = process;
    if (p == null) {
      return;
    }
    Leftovers.stopTree(p.toHandle(), grace);
    try {
      p.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private List<String> command(Path run) {
    // its own session: a Ctrl-C on the terminal reaches local mode, which stops the functions in
    // order, and not the runtimes directly
    Path setsid = Path.of("/usr/bin/setsid");
    if (Files.isExecutable(setsid)) {
      return List.of(setsid.toString(), run.toAbsolutePath().toString());
    }
    return List.of(run.toAbsolutePath().toString());
  }

  private void writeCode(Path volume, String suffix) throws IOException {
    var spec = function.function().getSpec();
    String contentType =
        spec.getFunctionContentType() == null ? "text" : spec.getFunctionContentType();
    byte[] content =
        contentType.contains("base64")
            ? Base64.getMimeDecoder().decode(spec.getFunction())
            : spec.getFunction().getBytes(StandardCharsets.UTF_8);
    if (contentType.contains("zip")) {
      unzip(content, volume);
    } else {
      Files.write(volume.resolve(function.handler().module() + suffix), content);
    }
  }

  private static void unzip(byte[] zip, Path target) throws IOException {
    try (var in = new ZipInputStream(new java.io.ByteArrayInputStream(zip))) {
      for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
        Path to = target.resolve(e.getName()).normalize();
        if (!to.startsWith(target)) {
          throw new IOException("zip entry outside the function: " + e.getName());
        }
        if (e.isDirectory()) {
          Files.createDirectories(to);
        } else {
          Files.createDirectories(to.getParent());
          Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  /**
   * Installs the dependencies with the runtime's own {@code install} into {@code
   * .kubeless/deps/<language>-<sha256>/}, unless that was done before.
   */
  private Path installDeps(String deps, String depsFile) throws IOException, InterruptedException {
    String key = function.language() + "-" + sha256(deps);
    Path cache = home.resolve("deps").resolve(key);
    Path done = cache.resolve(".installed");
    if (Files.exists(done)) {
      return cache;
    }
    deleteTree(cache);
    Files.createDirectories(cache);
    Files.writeString(cache.resolve(depsFile), deps);
    out.println("[" + function.label() + "] installing dependencies into " + cache);
    ProcessBuilder pb =
        new ProcessBuilder(
            runtimes.resolve(function.language()).resolve("install").toAbsolutePath().toString());
    pb.environment().put("KUBELESS_INSTALL_VOLUME", cache.toAbsolutePath().toString());
    pb.redirectErrorStream(true);
    if (stopping) {
      throw new IOException("stopped before the dependencies were installed");
    }
    Process install = pb.start();
    installing = install;
    int code;
    try {
      installStarted.run();
      Thread pump = pump(install.getInputStream(), "[" + function.label() + "] ");
      code = install.waitFor();
      pump.join();
    } finally {
      installing = null;
    }
    if (stopping) {
      throw new IOException("stopped while the dependencies were installing");
    }
    if (code != 0) {
      throw new IOException("installing the dependencies failed with code " + code);
    }
    Files.writeString(done, deps);
    return cache;
  }

  private Thread pump(InputStream stream, String prefix) {
    return Thread.ofVirtual()
        .name("out-" + function.name())
        .start(
            () -> {
              try (var reader =
                  new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                for (String line; (line = reader.readLine()) != null; ) {
                  out.println(prefix + line);
                  logs.add(line);
                }
              } catch (IOException e) {
                // the process is gone
              }
            });
  }

  static String sha256(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (Files.isSymbolicLink(dir) || !Files.isDirectory(dir)) {
      Files.delete(dir);
      return;
    }
    try (var children = Files.list(dir)) {
      for (Path child : children.toList()) {
        deleteTree(child);
      }
    }
    Files.delete(dir);
  }
}
