package io.kubeless.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /api/triggers}: every trigger of the five kinds with what its controller reports, in
 * the shape local mode answers: {@code kind, namespace, name, topic, problem, functions:
 * [{function, phase, reason, message, events, failures, lag}]} (the counts from the trigger
 * controllers' metrics, see {@link TriggerCounts}), plus the status's own fields (conditions,
 * shards, url, schedule times, missed ticks). A binding's phase is {@code ACTIVE} when its function
 * receives events, else its reason in the engine's spelling ({@code FunctionUnavailable} -> {@code
 * FUNCTION_UNAVAILABLE}).
 */
final class TriggersApi {

  private static final List<String> NOT_COPIED = List.of("functions", "observedGeneration");

  private final KubernetesClient client;
  private final TriggerCounts counts;

  TriggersApi(KubernetesClient client, TriggerCounts counts) {
    this.client = client;
    this.counts = counts;
  }

  List<Map<String, Object>> list() throws InterruptedException {
    Map<String, TriggerCounts.Counts> scraped = counts.scrape();
    List<Map<String, Object>> all = new ArrayList<>();
    for (Class<? extends HasMetadata> kind : Kinds.TRIGGERS) {
      client.resources(kind).inAnyNamespace().list().getItems().stream()
          .sorted(
              Comparator.comparing((HasMetadata t) -> t.getMetadata().getNamespace())
                  .thenComparing(t -> t.getMetadata().getName()))
          .map(t -> describe(t, scraped))
          .forEach(all::add);
    }
    return all;
  }

  private static Map<String, Object> describe(
      HasMetadata trigger, Map<String, TriggerCounts.Counts> scraped) {
    JsonNode tree = Serialization.jsonMapper().valueToTree(trigger);
    JsonNode status = tree.path("status");
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("kind", trigger.getKind());
    t.put("namespace", trigger.getMetadata().getNamespace());
    t.put("name", trigger.getMetadata().getName());
    t.put("topic", tree.at("/spec/topic").asText(null));
    JsonNode ready = null;
    for (JsonNode c : status.path("conditions")) {
      if ("Ready".equals(c.path("type").asText())) {
        ready = c;
      }
    }
    t.put(
        "problem",
        ready != null && "False".equals(ready.path("status").asText())
            ? ready.path("reason").asText("") + ": " + ready.path("message").asText("")
            : null);
    List<Map<String, Object>> functions = new ArrayList<>();
    for (JsonNode f : status.path("functions")) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("function", f.path("name").asText(null));
      m.put(
          "phase",
          f.path("ready").asBoolean(false) ? "ACTIVE" : phase(f.path("reason").asText("")));
      m.put("reason", f.path("reason").asText(null));
      m.put("message", f.path("message").asText(null));
      if (f.has("dropped")) {
        m.put("dropped", f.path("dropped").asLong());
      }
      TriggerCounts.Counts c =
          scraped.get(
              trigger.getMetadata().getNamespace()
                  + "/"
                  + trigger.getMetadata().getName()
                  + "/"
                  + f.path("name").asText(""));
      m.put("events", c == null ? 0 : c.events());
      m.put("failures", c == null ? 0 : c.failures());
      m.put("lag", c == null ? null : c.lag());
      functions.add(m);
    }
    t.put("functions", functions);
    if (status instanceof ObjectNode s) {
      s.fields()
          .forEachRemaining(
              e -> {
                if (!NOT_COPIED.contains(e.getKey())) {
                  t.put(e.getKey(), e.getValue());
                }
              });
    }
    return t;
  }

  /** {@code FunctionUnavailable} -> {@code FUNCTION_UNAVAILABLE}; {@code NOT_READY} when none. */
  static String phase(String reason) {
    if (reason.isEmpty()) {
      return "NOT_READY";
    }
    return reason.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(java.util.Locale.ROOT);
  }
}
