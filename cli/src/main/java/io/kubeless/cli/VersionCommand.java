package io.kubeless.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code kubeless version}. */
@Command(name = "version", description = "Print the version of Kubeless")
final class VersionCommand implements Callable<Integer> {

  private final Cli cli;

  VersionCommand(Cli cli) {
    this.cli = cli;
  }

  /** The project version, written into {@code kubeless-cli.properties} by the build. */
  static String version() {
    try (InputStream in = VersionCommand.class.getResourceAsStream("/kubeless-cli.properties")) {
      Properties properties = new Properties();
      if (in != null) {
        properties.load(in);
      }
      return properties.getProperty("version", "unknown");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public Integer call() {
    cli.out().println("Kubeless version: " + version());
    return 0;
  }

  /** The version {@code kubeless --version} prints. */
  static final class Provider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"Kubeless version: " + version()};
    }
  }
}
