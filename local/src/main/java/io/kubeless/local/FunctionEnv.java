package io.kubeless.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The environment a Function's own container declares ({@code spec.deployment}'s first container,
 * the one the function controller fills), resolved for the local process as the kubelet resolves it
 * in a cluster: {@code envFrom} first, then the function controller's variables and {@code env}
 * over them, {@code $(VAR)} references expanded; keys of the Secrets and ConfigMaps of the files
 * local mode reads; the pod fields that have a meaning here. What cannot be resolved here is left
 * unset and named in a note. {@code FUNC_MEMORY_LIMIT} is the container's memory limit, as in a
 * cluster (not enforced here).
 */
final class FunctionEnv {

  /** Set by local mode for its own use: the process's port and code volume. */
  static final List<String> RESERVED = List.of("FUNC_PORT", "KUBELESS_INSTALL_VOLUME");

  private static final Pattern LABEL = Pattern.compile("metadata\\.labels\\['([^']+)'\\]");

  private volatile Map<String, Secret> secrets = Map.of();
  private volatile Map<String, ConfigMap> configMaps = Map.of();

  /** The environment to add to the process, and a note for each variable left unset. */
  record Resolved(Map<String, String> vars, List<String> notes) {}

  /**
   * Keeps the Secrets and ConfigMaps of every file, {@code all} (the first of a name counts, as for
   * every resource); what the files no longer hold is gone.
   */
  void learn(Manifests all) {
    secrets = all.secretsByName();
    configMaps = all.configMapsByName();
  }

  /**
   * The process's variables: {@code ours} (the function controller's: handler, timeout, ...) with
   * the container's declared environment resolved around them.
   */
  Resolved resolve(LocalFunction f, Map<String, String> ours) {
    Container c = container(f);
    List<String> notes = new ArrayList<>();
    Map<String, String> vars = new LinkedHashMap<>();
    for (EnvFromSource from : c.getEnvFrom()) {
      envFrom(f, from, vars, notes);
    }
    Map<String, String> base = new LinkedHashMap<>(ours);
    base.put("FUNC_MEMORY_LIMIT", memoryLimit(c));
    vars.putAll(base);
    for (EnvVar e : c.getEnv()) {
      if (e.getName() == null || e.getName().isBlank()) {
        continue;
      }
      if (RESERVED.contains(e.getName())) {
        notes.add("env " + e.getName() + " is set by local mode; the Function's value is ignored");
        continue;
      }
      if (e.getValueFrom() == null) {
        vars.put(e.getName(), expand(e.getValue() == null ? "" : e.getValue(), vars));
        continue;
      }
      String value = valueFrom(f, e.getName(), e.getValueFrom(), notes);
      if (value != null) {
        vars.put(e.getName(), value);
      }
    }
    return new Resolved(vars, notes);
  }

  /** The function container as the Function declares it (empty when it declares none). */
  static Container container(LocalFunction f) {
    ObjectNode deployment = f.function().getSpec().getDeployment();
    if (deployment == null) {
      return new Container();
    }
    try {
      Deployment d = Serialization.jsonMapper().treeToValue(deployment, Deployment.class);
      if (d.getSpec() != null
          && d.getSpec().getTemplate() != null
          && d.getSpec().getTemplate().getSpec() != null
          && !d.getSpec().getTemplate().getSpec().getContainers().isEmpty()) {
        return d.getSpec().getTemplate().getSpec().getContainers().getFirst();
      }
    } catch (Exception e) {
      // not a Deployment's shape: nothing to take from it (the note names it as ignored)
    }
    return new Container();
  }

  private static String memoryLimit(Container c) {
    if (c.getResources() == null || c.getResources().getLimits() == null) {
      return "0";
    }
    Quantity memory = c.getResources().getLimits().get("memory");
    return memory == null ? "0" : memory.toString();
  }

  private void envFrom(
      LocalFunction f, EnvFromSource from, Map<String, String> vars, List<String> notes) {
    String prefix = from.getPrefix() == null ? "" : from.getPrefix();
    Map<String, String> data;
    String what;
    boolean optional;
    if (from.getConfigMapRef() != null) {
      what = "ConfigMap " + from.getConfigMapRef().getName();
      optional = Boolean.TRUE.equals(from.getConfigMapRef().getOptional());
      ConfigMap cm = configMaps.get(f.namespace() + "/" + from.getConfigMapRef().getName());
      data = cm == null ? null : configMapData(cm);
    } else if (from.getSecretRef() != null) {
      what = "Secret " + from.getSecretRef().getName();
      optional = Boolean.TRUE.equals(from.getSecretRef().getOptional());
      Secret s = secrets.get(f.namespace() + "/" + from.getSecretRef().getName());
      data = s == null ? null : secretData(s);
    } else {
      return;
    }
    if (data == null) {
      if (!optional) {
        notes.add("envFrom " + what + " not set: " + missing(what, f));
      }
      return;
    }
    data.forEach(
        (k, v) -> {
          if (!k.isEmpty() && !k.contains("=")) {
            vars.put(prefix + k, v);
          }
        });
  }

  private String valueFrom(LocalFunction f, String name, EnvVarSource from, List<String> notes) {
    if (from.getSecretKeyRef() != null) {
      var ref = from.getSecretKeyRef();
      Secret s = secrets.get(f.namespace() + "/" + ref.getName());
      return keyed(
          f,
          name,
          "Secret " + ref.getName(),
          s == null ? null : secretData(s),
          ref.getKey(),
          Boolean.TRUE.equals(ref.getOptional()),
          notes);
    }
    if (from.getConfigMapKeyRef() != null) {
      var ref = from.getConfigMapKeyRef();
      ConfigMap cm = configMaps.get(f.namespace() + "/" + ref.getName());
      return keyed(
          f,
          name,
          "ConfigMap " + ref.getName(),
          cm == null ? null : configMapData(cm),
          ref.getKey(),
          Boolean.TRUE.equals(ref.getOptional()),
          notes);
    }
    if (from.getFieldRef() != null && from.getFieldRef().getFieldPath() != null) {
      String path = from.getFieldRef().getFieldPath();
      Matcher label = LABEL.matcher(path);
      if (label.matches()) {
        return f.labels().getOrDefault(label.group(1), "");
      }
      switch (path) {
        case "metadata.name":
          return f.name();
        case "metadata.namespace":
          return f.namespace();
        case "status.podIP", "status.hostIP":
          return "127.0.0.1";
        default:
          notes.add("env " + name + " not set: the pod field " + path + " has no value here");
          return null;
      }
    }
    notes.add(
        "env "
            + name
            + " not set: "
            + (from.getResourceFieldRef() != null
                ? "resource fields have no value here"
                : "its valueFrom is not one local mode resolves")
            + "; export it before `kubeless local up` (the processes inherit its environment)");
    return null;
  }

  private static String keyed(
      LocalFunction f,
      String name,
      String what,
      Map<String, String> data,
      String key,
      boolean optional,
      List<String> notes) {
    if (data == null) {
      if (!optional) {
        notes.add("env " + name + " not set: " + missing(what, f));
      }
      return null;
    }
    String value = data.get(key);
    if (value == null && !optional) {
      notes.add("env " + name + " not set: " + what + " has no key " + key);
    }
    return value;
  }

  private static String missing(String what, LocalFunction f) {
    return what
        + " (namespace "
        + f.namespace()
        + ") is in none of the files local mode reads; add its YAML to them";
  }

  private static Map<String, String> configMapData(ConfigMap cm) {
    Map<String, String> data = new LinkedHashMap<>();
    if (cm.getBinaryData() != null) {
      cm.getBinaryData().forEach((k, v) -> data.put(k, decode(v)));
    }
    if (cm.getData() != null) {
      data.putAll(cm.getData());
    }
    return data;
  }

  /**
   * A Secret's keys: {@code data} decoded, {@code stringData} over it, as the API server merges.
   */
  private static Map<String, String> secretData(Secret s) {
    Map<String, String> data = new LinkedHashMap<>();
    if (s.getData() != null) {
      s.getData().forEach((k, v) -> data.put(k, decode(v)));
    }
    if (s.getStringData() != null) {
      data.putAll(s.getStringData());
    }
    return data;
  }

  private static String decode(String base64) {
    try {
      return new String(
          Base64.getMimeDecoder().decode(base64 == null ? "" : base64), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return "";
    }
  }

  /**
   * Kubernetes's expansion of an environment value: {@code $(NAME)} is the value of a variable
   * defined before it, left as it is when there is none; {@code $$} is one {@code $}.
   */
  static String expand(String value, Map<String, String> defined) {
    StringBuilder out = new StringBuilder(value.length());
    int i = 0;
    while (i < value.length()) {
      char ch = value.charAt(i);
      if (ch != '$' || i + 1 >= value.length()) {
        out.append(ch);
        i++;
        continue;
      }
      char next = value.charAt(i + 1);
      if (next == '$') {
        out.append('$');
        i += 2;
      } else if (next == '(') {
        int close = value.indexOf(')', i + 2);
        if (close < 0) {
          out.append(value, i, value.length());
          break;
        }
        String name = value.substring(i + 2, close);
        String found = defined.get(name);
        out.append(found != null ? found : "$(" + name + ")");
        i = close + 1;
      } else {
        out.append(ch);
        i++;
      }
    }
    return out.toString();
  }

  /**
   * What of {@code spec.deployment} local mode does not use, by field ({@code replicas}, {@code
   * containers[0].resources}, ...): all but the function container's environment and pull policy;
   * empty when that is all it holds.
   */
  static List<String> ignored(ObjectNode deployment) {
    List<String> ignored = new ArrayList<>();
    if (deployment == null) {
      return ignored;
    }
    ObjectNode copy = deployment.deepCopy();
    JsonNode containers = copy.at("/spec/template/spec/containers");
    if (containers instanceof ArrayNode list && !list.isEmpty() && list.get(0).isObject()) {
      ((ObjectNode) list.get(0)).remove(List.of("env", "envFrom", "imagePullPolicy", "name"));
    }
    prune(copy);
    fields(copy, "", ignored);
    return ignored;
  }

  private static void fields(JsonNode node, String path, List<String> into) {
    boolean descend =
        path.isEmpty()
            || path.equals("spec")
            || path.equals("spec.template")
            || path.equals("spec.template.spec");
    if (descend && node.isObject()) {
      node.fieldNames()
          .forEachRemaining(n -> fields(node.get(n), path.isEmpty() ? n : path + "." + n, into));
    } else if (path.equals("spec.template.spec.containers") && node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        JsonNode c = node.get(i);
        if (i == 0 && c.isObject()) {
          c.fieldNames().forEachRemaining(n -> into.add("containers[0]." + n));
        } else {
          into.add("containers[" + i + "]");
        }
      }
    } else {
      into.add(
          path.startsWith("spec.template.spec.")
              ? path.substring("spec.template.spec.".length())
              : path.startsWith("spec.") ? path.substring("spec.".length()) : path);
    }
  }

  /** Removes empty objects and arrays, bottom up; true when {@code node} is empty after. */
  private static boolean prune(JsonNode node) {
    if (node instanceof ObjectNode o) {
      for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
        var e = it.next();
        if (prune(e.getValue())) {
          it.remove();
        }
      }
      return o.isEmpty();
    }
    if (node instanceof ArrayNode a) {
      boolean allEmpty = true;
      for (JsonNode n : a) {
        allEmpty &= prune(n);
      }
      return a.isEmpty() || allEmpty;
    }
    return node == null || node.isNull();
  }
}
