package io.kubeless.console;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Each trigger binding's counts, as local mode gives them in {@code /api/triggers}: {@code events}
 * (taken from the source), {@code failures} (requests that did not succeed) and {@code lag}, summed
 * over the ready pods of the trigger controllers (their {@code /q/metrics}, the engine's {@code
 * kubeless_trigger_*} series). A controller that does not answer is left out: the others still
 * count.
 */
final class TriggerCounts {

  /** The controllers whose pods are scraped, by their {@code app.kubernetes.io/name}. */
  static final Set<String> CONTROLLERS =
      Set.of(
          "kubeless-kafka-trigger",
          "kubeless-nats-trigger",
          "kubeless-kinesis-trigger",
          "kubeless-http-trigger",
          "kubeless-cronjob-trigger");

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static final Pattern SERIES =
      Pattern.compile(
          "^(kubeless_trigger_events_received_total|kubeless_trigger_invocations_total"
              + "|kubeless_trigger_lag)\\{([^}]*)}\\s+(\\S+)");
  private static final Pattern LABEL =
      Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  /** One binding's counts. */
  record Counts(long events, long failures, Long lag) {}

  private final KubernetesClient client;
  private final String namespace;
  private final int defaultPort;

  TriggerCounts(KubernetesClient client, String namespace, int defaultPort) {
    this.client = client;
    this.namespace = namespace;
    this.defaultPort = defaultPort;
  }

  /** The counts by {@code namespace/trigger/function}. */
  Map<String, Counts> scrape() throws InterruptedException {
    List<String> scrapes = new ArrayList<>();
    for (Pod pod : client.pods().inNamespace(namespace).list().getItems()) {
      Map<String, String> labels = pod.getMetadata().getLabels();
      if (labels == null || !CONTROLLERS.contains(labels.get("app.kubernetes.io/name"))) {
        continue;
      }
      String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
      if (ip == null || ip.isBlank() || !FunctionsApi.ready(pod)) {
        continue;
      }
      String host = ip.contains(":") ? "[" + ip + "]" : ip;
      try {
        HttpResponse<String> r =
            HTTP.send(
                HttpRequest.newBuilder(
                        URI.create("http://" + host + ":" + port(pod) + "/q/metrics"))
                    .timeout(Duration.ofSeconds(3))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          scrapes.add(r.body());
        }
      } catch (IOException | IllegalArgumentException e) {
        // a controller restarting: the others still count
      }
    }
    return counts(scrapes);
  }

  private int port(Pod pod) {
    Map<String, String> annotations = pod.getMetadata().getAnnotations();
    String port = annotations == null ? null : annotations.get("prometheus.io/port");
    try {
      return port == null ? defaultPort : Integer.parseInt(port.trim());
    } catch (NumberFormatException e) {
      return defaultPort;
    }
  }

  /** The counts of several controllers' metrics: sums of events and failures, the largest lag. */
  static Map<String, Counts> counts(List<String> scrapes) {
    Map<String, long[]> sums = new HashMap<>();
    Map<String, Long> lags = new HashMap<>();
    for (String scrape : scrapes) {
      for (String line : scrape.split("\n")) {
        Matcher m = SERIES.matcher(line);
        if (!m.find()) {
          continue;
        }
        Map<String, String> labels = new LinkedHashMap<>();
        Matcher l = LABEL.matcher(m.group(2));
        while (l.find()) {
          labels.put(l.group(1), l.group(2).replace("\\\"", "\"").replace("\\\\", "\\"));
        }
        String key =
            labels.get("namespace") + "/" + labels.get("trigger") + "/" + labels.get("function");
        double value;
        try {
          value = Double.parseDouble(m.group(3));
        } catch (NumberFormatException e) {
          continue;
        }
        if (Double.isNaN(value)) {
          continue;
        }
        long[] sum = sums.computeIfAbsent(key, k -> new long[2]);
        switch (m.group(1)) {
          case "kubeless_trigger_events_received_total" -> sum[0] += (long) value;
          case "kubeless_trigger_invocations_total" -> {
            if (!"success".equals(labels.get("outcome"))) {
              sum[1] += (long) value;
            }
          }
          default -> lags.merge(key, (long) value, Math::max);
        }
      }
    }
    Map<String, Counts> counts = new HashMap<>();
    sums.forEach((k, v) -> counts.put(k, new Counts(v[0], v[1], lags.get(k))));
    return counts;
  }
}
