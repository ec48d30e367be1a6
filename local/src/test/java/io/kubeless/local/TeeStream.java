package io.kubeless.local;

import java.io.IOException;
import java.io.OutputStream;

/** Writes to two streams: what local mode prints, kept for assertions and shown on the console. */
final class TeeStream extends OutputStream {
  private final OutputStream a;
  private final OutputStream b;

  TeeStream(OutputStream a, OutputStream b) {
    this.a = a;
    this.b = b;
  }

  @Override
  public synchronized void write(int c) throws IOException {
    a.write(c);
    b.write(c);
  }

  @Override
  public synchronized void write(byte[] buf, int off, int len) throws IOException {
    a.write(buf, off, len);
    b.write(buf, off, len);
  }
}
