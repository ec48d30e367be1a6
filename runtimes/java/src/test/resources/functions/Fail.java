package io.kubeless;

public class Fail {
  public String handler(io.kubeless.Event event, io.kubeless.Context context) {
    throw new IllegalStateException("intentional failure");
  }
}
