package io.kubeless.runtime;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;

/**
 * Starts the Kubeless Java runtime: compiles and loads the function named by the environment, then
 * serves it on {@code FUNC_PORT} with the JDK's HTTP server. A function that fails to load still
 * gets a server, whose {@code /healthz} says why.
 */
public final class Main {

  private Main() {}

  /** Entry point of {@code runtimes/java/run}. */
  public static void main(String[] args) throws IOException {
    // Without it the JDK server's small writes wait for delayed ACKs: 40 ms per keep-alive request.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
    // The JDK server keeps at most 200 idle keep-alive connections by default and closes any other
    // right after its response, with no "Connection: close": a client's pool (the HTTP gateway, a
    // trigger with many requests in flight) then sends its next request on a connection that is
    // closing, and that request fails after it may have been read. Idle connections still close
    // after sun.net.httpserver.idleInterval (30 s), longer than the clients keep them (15 s).
    if (System.getProperty("sun.net.httpserver.maxIdleConnections") == null) {
      System.setProperty("sun.net.httpserver.maxIdleConnections", "65536");
    }
    Config config = Config.fromEnv(System.getenv());
    FunctionLoader.Function function = null;
    String loadError = null;
    try {
      function = FunctionLoader.load(config);
    } catch (FunctionLoader.LoadException e) {
      loadError = e.getMessage();
      Log.log(loadError);
    }
    HttpServer server = HttpServer.create(new InetSocketAddress(config.port()), 1024);
    server.createContext("/", new FunctionServer(config, function, loadError));
    // Platform threads: a busy function must not starve /healthz of carrier threads.
    server.setExecutor(Executors.newCachedThreadPool());
    server.start();
    Log.log(
        "Serving "
            + config.modName()
            + "."
            + config.handler()
            + " on port "
            + config.port()
            + ", timeout "
            + config.timeout()
            + "s");
  }
}
