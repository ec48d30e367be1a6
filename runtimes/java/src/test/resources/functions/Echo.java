package io.kubeless;

public class Echo {
  public String handler(io.kubeless.Event event, io.kubeless.Context context) {
    return event.Data;
  }
}
