package io.kubeless.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.security.CodeSource;
import java.security.ProtectionDomain;
import java.security.cert.Certificate;

/**
 * Loads the function's compiled classes and its {@code lib/} jars, passing every class it defines
 * through {@link DeadlineInstrumenter}, so a loop in a library the function calls stops on timeout
 * too. The runtime's own classes ({@code io.kubeless.Event}, {@code Context}) come from the parent.
 */
final class FunctionClassLoader extends URLClassLoader {

  static {
    registerAsParallelCapable();
  }

  FunctionClassLoader(URL[] urls, ClassLoader parent) {
    super("kubeless-function", urls, parent);
  }

  @Override
  protected Class<?> findClass(String name) throws ClassNotFoundException {
    URL resource = findResource(name.replace('.', '/') + ".class");
    if (resource == null) {
      throw new ClassNotFoundException(name);
    }
    byte[] classFile;
    try (InputStream in = resource.openStream()) {
      classFile = DeadlineInstrumenter.instrument(in.readAllBytes());
    } catch (IOException | RuntimeException e) {
      throw new ClassNotFoundException(name + ": cannot load " + resource, e);
    }
    return defineClass(name, classFile, 0, classFile.length, domainOf(resource));
  }

  /** Keeps {@code getProtectionDomain().getCodeSource()} pointing at the class's jar. */
  private ProtectionDomain domainOf(URL resource) {
    String url = resource.toString();
    int bang = url.indexOf("!/");
    String base = url.startsWith("jar:") && bang > 0 ? url.substring(4, bang) : url;
    try {
      CodeSource source = new CodeSource(URI.create(base).toURL(), (Certificate[]) null);
      return new ProtectionDomain(source, null, this, null);
    } catch (MalformedURLException | IllegalArgumentException e) {
      return null;
    }
  }
}
