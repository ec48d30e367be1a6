package io.kubeless.kinesis.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.kubeless.api.v1beta1.KinesisTriggerSpec;
import io.kubeless.trigger.coordination.InMemoryShardCoordinator;
import io.kubeless.trigger.delivery.Ordering;
import io.kubeless.trigger.engine.FunctionSelection;
import io.kubeless.trigger.engine.InvalidTriggerException;
import java.net.URI;
import java.time.Instant;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A KinesisTrigger's spec checked and defaulted, and refused naming the field. */
class KinesisSourceSpecTest {

  private final KinesisSource source =
      new KinesisSource(
          null,
          KinesisSettings.defaults(),
          new InMemoryShardCoordinator("local", null),
          (namespace, secret) -> null);

  @AfterEach
  void close() {
    source.close();
  }

  private static KinesisTriggerSpec valid() {
    KinesisTriggerSpec spec = new KinesisTriggerSpec();
    spec.setFunctionName("audit");
    spec.setStream("orders");
    spec.setRegion("eu-west-1");
    return spec;
  }

  private static KinesisTriggerSpec with(Consumer<KinesisTriggerSpec> change) {
    KinesisTriggerSpec spec = valid();
    change.accept(spec);
    return spec;
  }

  @Test
  void aKubelessSpecIsDefaulted() throws Exception {
    KinesisSubscription s = source.subscription(valid());

    assertThat(s.stream()).isEqualTo("orders");
    assertThat(s.region()).isEqualTo("eu-west-1");
    assertThat(s.endpoint()).isNull();
    assertThat(s.shard()).isNull();
    assertThat(s.secret()).isNull();
    assertThat(s.functions()).isEqualTo(FunctionSelection.named("audit"));
    assertThat(s.startFrom()).isEqualTo(KinesisSubscription.StartFrom.LATEST);
    assertThat(s.delivery().ordering()).isEqualTo(Ordering.PARTITION);
    assertThat(source.describe(s)).isEqualTo("stream orders (eu-west-1)");
  }

  @Test
  void anEndpointDefaultsTheRegionAndTakesPartInTheDeliveryKey() throws Exception {
    KinesisSubscription s =
        source.subscription(
            with(
                spec -> {
                  spec.setRegion(null);
                  spec.setEndpoint("http://localhost:4567");
                  spec.setShard("shardId-000000000001");
                  spec.setStartFrom("at_timestamp");
                  spec.setTimestamp("2026-12-01T10:00:00+01:00");
                }));

    assertThat(s.region()).isEqualTo("us-east-1");
    assertThat(s.endpoint()).isEqualTo(URI.create("http://localhost:4567"));
    assertThat(s.timestamp()).isEqualTo(Instant.parse("2026-12-01T09:00:00Z"));
    assertThat(source.deliveryKey(s))
        .isNotEqualTo(source.deliveryKey(source.subscription(valid())))
        .asString()
        .contains("orders", "us-east-1", "http://localhost:4567", "shardId-000000000001");
  }

  @Test
  void aSelectorMayReplaceTheName() throws Exception {
    var selector = new LabelSelectorBuilder().withMatchLabels(Map.of("team", "orders")).build();
    KinesisSubscription s =
        source.subscription(
            with(
                spec -> {
                  spec.setFunctionName(null);
                  spec.setFunctionSelector(selector);
                  spec.setOrdering("key");
                  spec.setMaxInFlight(5);
                }));

    assertThat(s.functions()).isEqualTo(FunctionSelection.matching(selector));
    assertThat(s.delivery().ordering()).isEqualTo(Ordering.KEY);
    assertThat(s.delivery().maxInFlight()).isEqualTo(5);
  }

  @Test
  void invalidSpecsAreRefusedNamingTheField() {
    var selector = new LabelSelectorBuilder().withMatchLabels(Map.of("a", "b")).build();
    Map<String, Consumer<KinesisTriggerSpec>> cases =
        Map.ofEntries(
            Map.entry("spec.stream", spec -> spec.setStream(null)),
            Map.entry("spec.stream ", spec -> spec.setStream("no spaces/here")),
            Map.entry("spec.aws-region", spec -> spec.setRegion(null)),
            Map.entry("spec.aws-region ", spec -> spec.setRegion("Mars 1")),
            Map.entry("spec.endpoint", spec -> spec.setEndpoint("ftp://host")),
            Map.entry("spec.endpoint ", spec -> spec.setEndpoint("not a url")),
            Map.entry("spec.function-name", spec -> spec.setFunctionName(null)),
            Map.entry("spec.function-name ", spec -> spec.setFunctionSelector(selector)),
            Map.entry("spec.startFrom", spec -> spec.setStartFrom("earliest")),
            Map.entry("spec.timestamp", spec -> spec.setStartFrom("at_timestamp")),
            Map.entry(
                "spec.timestamp ",
                spec -> {
                  spec.setStartFrom("at_timestamp");
                  spec.setTimestamp("yesterday");
                }),
            Map.entry("spec.timestamp  ", spec -> spec.setTimestamp("2026-12-01T00:00:00Z")),
            Map.entry("spec.ordering", spec -> spec.setOrdering("random")),
            Map.entry("spec.maxInFlight", spec -> spec.setMaxInFlight(0)),
            Map.entry("spec.shard", spec -> spec.setShard("shard 1")));
    cases.forEach(
        (field, change) ->
            assertThatThrownBy(() -> source.subscription(with(change)))
                .as(field)
                .isInstanceOf(InvalidTriggerException.class)
                .hasMessageContaining(field.strip()));
  }
}
