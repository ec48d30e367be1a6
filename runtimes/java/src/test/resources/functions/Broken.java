package io.kubeless;

public class Broken {
  public String handler(io.kubeless.Event event, io.kubeless.Context context) {
    return "missing semicolon"
  }
}
