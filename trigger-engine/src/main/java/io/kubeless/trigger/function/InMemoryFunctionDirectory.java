package io.kubeless.trigger.function;

import io.fabric8.kubernetes.api.model.LabelSelector;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jboss.logging.Logger;

/**
 * A function directory kept in memory: what the Kubernetes informer feeds, what local mode fills
 * from its runner, and what engine tests set by hand.
 */
public class InMemoryFunctionDirectory implements FunctionDirectory {

  private static final Logger LOG = Logger.getLogger(InMemoryFunctionDirectory.class);

  private final Map<String, Map<String, FunctionEndpoint>> byNamespace = new ConcurrentHashMap<>();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();

  /** Adds or replaces a function; listeners hear of it when something changed. */
  public void put(FunctionEndpoint endpoint) {
    FunctionEndpoint previous =
        byNamespace
            .computeIfAbsent(endpoint.namespace(), ns -> new ConcurrentHashMap<>())
            .put(endpoint.name(), endpoint);
    if (!endpoint.equals(previous)) {
      changed(endpoint.namespace(), endpoint.name());
    }
  }

  /** Removes a function; listeners hear of it when it was there. */
  public void remove(String namespace, String name) {
    Map<String, FunctionEndpoint> functions = byNamespace.get(namespace);
    if (functions != null && functions.remove(name) != null) {
      changed(namespace, name);
    }
  }

  @Override
  public List<FunctionEndpoint> select(String namespace, LabelSelector selector) {
    LabelSelectors.validate(selector);
    return byNamespace.getOrDefault(namespace, Map.of()).values().stream()
        .filter(f -> LabelSelectors.matches(selector, f.labels()))
        .sorted(Comparator.comparing(FunctionEndpoint::name))
        .toList();
  }

  @Override
  public Optional<FunctionEndpoint> find(String namespace, String name) {
    return Optional.ofNullable(byNamespace.getOrDefault(namespace, Map.of()).get(name));
  }

  @Override
  public AutoCloseable subscribe(Listener listener) {
    listeners.add(Objects.requireNonNull(listener));
    return () -> listeners.remove(listener);
  }

  private void changed(String namespace, String name) {
    for (Listener listener : listeners) {
      try {
        listener.functionChanged(namespace, name);
      } catch (RuntimeException e) {
        LOG.errorf(e, "A listener failed on the change of Function %s/%s", namespace, name);
      }
    }
  }
}
