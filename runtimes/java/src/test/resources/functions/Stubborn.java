package io.kubeless;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Blocks, and swallows everything thrown at it, forever: only the runtime's timeout ends it. */
public class Stubborn {
  private static final Path TICKS = Path.of(System.getenv("KUBELESS_INSTALL_VOLUME"), "ticks");

  public String handler(io.kubeless.Event event, io.kubeless.Context context) throws IOException {
    Files.writeString(TICKS, "started");
    for (long n = 1; ; n++) {
      try {
        Thread.sleep(60_000);
      } catch (Throwable swallowed) {
        try {
          Files.writeString(TICKS, "swallowed " + swallowed.getClass().getSimpleName());
        } catch (IOException ignored) {
          // keep going regardless
        }
      }
    }
  }
}
