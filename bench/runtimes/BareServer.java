import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/** A bare hello-world server on the JDK's HTTP server, configured as the Java runtime is. */
public class BareServer {
  public static void main(String[] args) throws Exception {
    System.setProperty("sun.net.httpserver.nodelay", "true");
    System.setProperty("sun.net.httpserver.maxIdleConnections", "65536");
    byte[] hello = "hello world".getBytes(StandardCharsets.UTF_8);
    int port = Integer.parseInt(System.getenv().getOrDefault("FUNC_PORT", "8080"));
    HttpServer server = HttpServer.create(new InetSocketAddress(port), 1024);
    server.createContext(
        "/",
        exchange -> {
          try (exchange) {
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(200, hello.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(hello);
            }
          }
        });
    server.setExecutor(Executors.newCachedThreadPool());
    server.start();
  }
}
