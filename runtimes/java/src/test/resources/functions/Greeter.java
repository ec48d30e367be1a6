package io.kubeless;

/**
 * Deployed as Kubeless's own examples are, with {@code --handler Greeter.greet}: the controller
 * writes Greeter.java and sets MOD_NAME=Greeter, FUNC_HANDLER=greet.
 */
public class Greeter {
  public String greet(io.kubeless.Event event, io.kubeless.Context context) {
    System.out.println("greeting: " + event.Data);
    return "Hello world!";
  }
}
