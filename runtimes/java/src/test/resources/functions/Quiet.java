package io.kubeless;

/** Neither the class nor its constructor is public: Kubeless found such a class all the same. */
class Quiet {
  private final String greeting;

  Quiet() {
    greeting = "hello from a package-private class";
  }

  public String handler(io.kubeless.Event event, io.kubeless.Context context) {
    return greeting;
  }
}
