package io.kubeless.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * Marks a test that starts a real event source (an in-JVM Kafka broker, {@code nats-server}, {@code
 * kinesis-local}): the broker tier. {@code ./mvnw verify} runs every tier; {@code ./mvnw test
 * -DexcludedGroups=broker} only the fast one.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag("broker")
public @interface BrokerTest {}
