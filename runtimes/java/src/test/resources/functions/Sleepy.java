package io.kubeless;

public class Sleepy {
  public String handler(io.kubeless.Event event, io.kubeless.Context context)
      throws InterruptedException {
    Thread.sleep(100);
    return event.Data;
  }
}
