package io.kubeless;

public class Overlap {
  public String handler(io.kubeless.Event event, io.kubeless.Context context)
      throws InterruptedException {
    long start = System.currentTimeMillis();
    Thread.sleep(1000);
    return start + " " + System.currentTimeMillis();
  }
}
