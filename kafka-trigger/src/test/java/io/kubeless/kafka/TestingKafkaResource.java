package io.kubeless.kafka;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/** Points the application under test at the broker of {@link TestingKafka}. */
public class TestingKafkaResource implements QuarkusTestResourceLifecycleManager {

  @Override
  public Map<String, String> start() {
    return Map.of("kubeless.kafka.brokers", TestingKafka.bootstrap());
  }

  @Override
  public void stop() {
    // the broker is shared by the JVM and stops with it
  }
}
