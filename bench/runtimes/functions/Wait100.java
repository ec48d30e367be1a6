package io.kubeless;

public class Wait100 {
  /** An I/O-bound handler: a blocking 100 ms wait (a database, an HTTP call). */
  public String handler(io.kubeless.Event event, io.kubeless.Context context)
      throws InterruptedException {
    Thread.sleep(100);
    return "done";
  }
}
