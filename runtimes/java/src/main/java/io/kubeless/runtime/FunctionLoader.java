package io.kubeless.runtime;

import io.kubeless.Context;
import io.kubeless.Event;
import java.io.File;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Compiles {@code <volume>/*.java} with the JDK's compiler (no Maven at run time) against the
 * runtime and {@code <volume>/lib/*.jar}, then loads {@code io.kubeless.<MOD_NAME>} and finds its
 * {@code public <any type> <handler>(Event, Context)}.
 */
final class FunctionLoader {

  /** A loaded function: its instance and the handler taking (instance, event, context). */
  record Function(Object instance, MethodHandle handler) {}

  /** Why the function could not be loaded, said so that its author can fix it. */
  static final class LoadException extends Exception {
    LoadException(String message) {
      super(message);
    }
  }

  private FunctionLoader() {}

  static Function load(Config config) throws LoadException {
    String what = "cannot load " + config.modName() + "." + config.handler();
    Path source = config.volume().resolve(config.modName() + ".java");
    if (!Files.isRegularFile(source)) {
      throw new LoadException(what + ": " + source + " not found");
    }
    try {
      List<Path> libs = jars(config.volume().resolve("lib"));
      Path classes = Files.createTempDirectory("kubeless-" + config.modName());
      compile(what, sources(config.volume()), libs, classes);
      List<URL> urls = new ArrayList<>();
      urls.add(classes.toUri().toURL());
      for (Path lib : libs) {
        urls.add(lib.toUri().toURL());
      }
      ClassLoader loader =
          new FunctionClassLoader(urls.toArray(URL[]::new), FunctionLoader.class.getClassLoader());
      return bind(what, config, loader);
    } catch (IOException e) {
      throw new LoadException(what + ": " + e);
    }
  }

  private static void compile(String what, List<Path> sources, List<Path> libs, Path classes)
      throws LoadException, IOException {
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    if (compiler == null) {
      throw new LoadException(what + ": no Java compiler; the runtime needs a JDK, not a JRE");
    }
    List<String> classpath = new ArrayList<>();
    classpath.add(runtimeLocation());
    libs.forEach(lib -> classpath.add(lib.toString()));
    List<String> options =
        List.of(
            "-d",
            classes.toString(),
            "-classpath",
            String.join(File.pathSeparator, classpath),
            "-encoding",
            "UTF-8",
            "-proc:none",
            "-nowarn");
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    try (StandardJavaFileManager files = compiler.getStandardFileManager(diagnostics, null, null)) {
      boolean ok =
          compiler
              .getTask(
                  null,
                  files,
                  diagnostics,
                  options,
                  null,
                  files.getJavaFileObjectsFromPaths(sources))
              .call();
      if (!ok) {
        String errors =
            diagnostics.getDiagnostics().stream()
                .filter(d -> d.getKind() == Diagnostic.Kind.ERROR)
                .map(FunctionLoader::describe)
                .collect(Collectors.joining("\n"));
        throw new LoadException(what + ": compilation failed\n" + errors);
      }
    }
  }

  private static Function bind(String what, Config config, ClassLoader loader)
      throws LoadException {
    String className = "io.kubeless." + config.modName();
    try {
      Class<?> type = Class.forName(className, true, loader);
      // As in Kubeless: any public method of that name taking (Event, Context), whatever it
      // returns. Kubeless found a class that is not public too (it shared the package).
      Method method = type.getMethod(config.handler(), Event.class, Context.class);
      method.setAccessible(true);
      MethodHandle handler = MethodHandles.lookup().unreflect(method);
      Object instance = null;
      if (Modifier.isStatic(method.getModifiers())) {
        handler = MethodHandles.dropArguments(handler, 0, Object.class);
      } else {
        Constructor<?> constructor;
        try {
          constructor = type.getDeclaredConstructor();
        } catch (NoSuchMethodException e) {
          throw new LoadException(
              what + ": " + className + " has no constructor without arguments");
        }
        constructor.setAccessible(true);
        instance = constructor.newInstance();
      }
      // A primitive result is boxed; a void method's is null (an empty answer).
      handler =
          handler.asType(
              MethodType.methodType(Object.class, Object.class, Event.class, Context.class));
      return new Function(instance, handler);
    } catch (ClassNotFoundException e) {
      throw new LoadException(what + ": no class " + className + " (package io.kubeless?)");
    } catch (NoSuchMethodException e) {
      throw new LoadException(
          what + ": no public method " + config.handler() + "(Event, Context) in " + className);
    } catch (InvocationTargetException e) {
      throw new LoadException(what + ": " + className + " failed to start: " + e.getCause());
    } catch (ReflectiveOperationException | LinkageError e) {
      throw new LoadException(what + ": " + e);
    }
  }

  private static String describe(Diagnostic<? extends JavaFileObject> d) {
    String file = d.getSource() == null ? "" : Path.of(d.getSource().toUri()).getFileName() + ":";
    return file + d.getLineNumber() + ": error: " + d.getMessage(Locale.ROOT);
  }

  private static List<Path> sources(Path volume) throws IOException {
    try (Stream<Path> files = Files.list(volume)) {
      return files.filter(f -> f.toString().endsWith(".java")).sorted().toList();
    }
  }

  private static List<Path> jars(Path lib) throws IOException {
    if (!Files.isDirectory(lib)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(lib)) {
      return files.filter(f -> f.toString().endsWith(".jar")).sorted().toList();
    }
  }

  /** The jar (or classes directory) holding io.kubeless.Event, for the compiler's class path. */
  private static String runtimeLocation() {
    try {
      return Path.of(Event.class.getProtectionDomain().getCodeSource().getLocation().toURI())
          .toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
