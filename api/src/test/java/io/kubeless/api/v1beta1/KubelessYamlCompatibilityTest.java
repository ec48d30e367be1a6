package io.kubeless.api.v1beta1;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Objects as Kubeless's own CLI wrote them (Go zero values included) read into the model and write
 * back with the same field names.
 */
class KubelessYamlCompatibilityTest {

  @Test
  void readsAFunctionWrittenByKubelessCli() {
    Function fn = load("kubeless-function.yaml", Function.class);

    assertThat(fn.getSpec().getHandler()).isEqualTo("hello.foobar");
    assertThat(fn.getSpec().getRuntime()).isEqualTo("python3.7");
    assertThat(fn.getSpec().getFunctionContentType()).isEqualTo("text");
    assertThat(fn.getSpec().getTimeout()).isEqualTo("180");
    assertThat(fn.getSpec().getChecksum()).startsWith("sha256:");
    assertThat(fn.getSpec().getDeps()).contains("requests");
    assertThat(
            fn.getSpec().getDeployment().at("/spec/template/spec/containers/0/env/0/name").asText())
        .isEqualTo("GREETING");
    assertThat(fn.getSpec().getService().at("/ports/0/name").asText())
        .isEqualTo("http-function-port");
    assertThat(fn.getSpec().getHorizontalPodAutoscaler().at("/spec/maxReplicas").asInt()).isZero();
  }

  @Test
  void writesKubelessFieldNames() {
    Function fn = load("kubeless-function.yaml", Function.class);
    String yaml = Serialization.asYaml(fn);

    assertThat(yaml)
        .contains("function-content-type: \"text\"")
        .contains("horizontalPodAutoscaler:")
        .contains("handler: \"hello.foobar\"");
  }

  @Test
  void readsEveryTriggerKindThroughTheGenericDeserializer() {
    List<HasMetadata> triggers;
    try (InputStream in = resource("kubeless-triggers.yaml")) {
      triggers = Serialization.<KubernetesList>unmarshal(in).getItems();
    } catch (Exception e) {
      throw new AssertionError(e);
    }

    assertThat(triggers)
        .extracting(t -> t.getClass().getSimpleName())
        .containsExactly(
            "HTTPTrigger", "CronJobTrigger", "KafkaTrigger", "NATSTrigger", "KinesisTrigger");

    HTTPTrigger http = (HTTPTrigger) triggers.get(0);
    assertThat(http.getSpec().getFunctionName()).isEqualTo("hello");
    assertThat(http.getSpec().getHostName()).isEqualTo("hello.example.com");
    assertThat(http.getSpec().getTls()).isTrue();
    assertThat(http.getSpec().getTlsSecret()).isEmpty();
    assertThat(http.getSpec().getBasicAuthSecret()).isEqualTo("auth");
    assertThat(http.getSpec().getGateway()).isEqualTo("nginx");
    assertThat(http.getSpec().getCorsEnable()).isTrue();
    assertThat(http.getSpec().getPath()).isEqualTo("hello");

    CronJobTrigger cron = (CronJobTrigger) triggers.get(1);
    assertThat(cron.getSpec().getSchedule()).isEqualTo("*/5 * * * *");
    assertThat(cron.getSpec().getPayload().get("greeting").asText()).isEqualTo("hi");

    KafkaTrigger kafka = (KafkaTrigger) triggers.get(2);
    assertThat(kafka.getSpec().getTopic()).isEqualTo("orders");
    assertThat(kafka.getSpec().getFunctionSelector().getMatchLabels())
        .containsEntry("topic", "orders");

    NATSTrigger nats = (NATSTrigger) triggers.get(3);
    assertThat(nats.getSpec().getTopic()).isEqualTo("events.>");

    KinesisTrigger kinesis = (KinesisTrigger) triggers.get(4);
    assertThat(kinesis.getSpec().getRegion()).isEqualTo("us-west-2");
    assertThat(kinesis.getSpec().getShard()).isEqualTo("shardId-000000000000");
    assertThat(kinesis.getSpec().getEndpoint()).isEqualTo("http://kinesis.local:4567");
    assertThat(kinesis.getSpec().getSecret()).isEqualTo("aws");
    assertThat(kinesis.getSpec().getStream()).isEqualTo("clicks");
  }

  private static <T> T load(String name, Class<T> type) {
    try (InputStream in = resource(name)) {
      return Serialization.unmarshal(in, type);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static InputStream resource(String name) {
    return KubelessYamlCompatibilityTest.class.getClassLoader().getResourceAsStream(name);
  }
}
