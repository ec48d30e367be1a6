package io.kubeless;

public class Hello {
  public String handler(io.kubeless.Event event, io.kubeless.Context context) {
    return "hello world";
  }
}
