import io.kubeless.http.gateway.Gateway;
import io.kubeless.http.gateway.GatewaySettings;
import io.kubeless.http.gateway.Route;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.function.FunctionEndpoint;
import io.kubeless.trigger.function.InMemoryFunctionDirectory;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * The built-in gateway alone, for bench/http/run.sh: listens on {@code -Dport} (one server per
 * event loop, as in the controller) with one route, {@code /} on any host, to the function at
 * {@code -DfunctionUrl}, its meters recorded as in production, and runs until it is killed.
 */
public class GatewayBench {
  public static void main(String[] args) throws Exception {
    InMemoryFunctionDirectory directory = new InMemoryFunctionDirectory();
    directory.put(
        new FunctionEndpoint(
            "bench",
            "hello",
            URI.create(System.getProperty("functionUrl")),
            Duration.ofSeconds(30),
            true,
            Map.of()));
    Vertx vertx = Vertx.vertx();
    Gateway gateway =
        new Gateway(
            vertx,
            directory,
            GatewaySettings.defaults().at("127.0.0.1", Integer.getInteger("port")),
            new SimpleMeterRegistry());
    int port = gateway.start();
    gateway.put(Route.of(new TriggerId("bench", "hello"), "/", "hello"));
    System.out.println("gateway ready on " + port);
    Thread.currentThread().join();
  }
}
