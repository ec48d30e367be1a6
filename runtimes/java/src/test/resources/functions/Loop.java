package io.kubeless;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

public class Loop {
  private static final Path TICKS = Path.of(System.getenv("KUBELESS_INSTALL_VOLUME"), "ticks");

  public String handler(io.kubeless.Event event, io.kubeless.Context context) throws IOException {
    if (!event.Data.equals("spin")) {
      return "ok";
    }
    for (long n = 1; ; n++) { // runs until the runtime stops it
      if (n % 50_000_000 == 0) {
        Files.writeString(TICKS, Long.toString(n));
      }
    }
  }
}
