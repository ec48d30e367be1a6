import io.kubeless.kafka.TestingKafka;
import java.util.Map;

/**
 * A KRaft broker in a JVM of its own for the benchmarks, so that its threads and heap are not
 * counted as the trigger's: prints {@code bootstrap=<address>}, then runs until killed.
 */
public class BenchBroker {

  public static void main(String[] args) throws Exception {
    TestingKafka.Broker broker = TestingKafka.start(Map.of());
    System.out.println("bootstrap=" + broker.bootstrap());
    System.out.flush();
    Thread.currentThread().join();
  }
}
