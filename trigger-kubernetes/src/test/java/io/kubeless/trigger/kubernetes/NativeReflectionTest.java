package io.kubeless.trigger.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.runtime.annotations.RegisterForReflection;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NativeReflectionTest {

  private static final String MODEL = "io.kubeless.api.";

  @Test
  void everyModelTypeTheRegisteredClassesReachIsRegistered() {
    RegisterForReflection registration =
        NativeReflection.class.getAnnotation(RegisterForReflection.class);
    List<Class<?>> registered = Arrays.asList(registration.targets());

    Set<Class<?>> reached = new HashSet<>();
    Deque<Class<?>> pending = new ArrayDeque<>(registered);
    while (!pending.isEmpty()) {
      Class<?> type = pending.pop();
      if (!reached.add(type)) {
        continue;
      }
      for (Class<?> c = type; c != null && c.getName().startsWith(MODEL); c = c.getSuperclass()) {
        for (Field field : c.getDeclaredFields()) {
          if (!Modifier.isStatic(field.getModifiers())) {
            collect(field.getGenericType(), pending);
          }
        }
      }
    }

    assertThat(registration.registerFullHierarchy()).isTrue();
    assertThat(reached).filteredOn(c -> c.getName().startsWith(MODEL)).isSubsetOf(registered);
    // the Kinesis trigger's per-shard status is reached through the trigger status
    assertThat(reached).extracting(Class::getSimpleName).contains("ShardStatus");
  }

  private static void collect(Type type, Deque<Class<?>> pending) {
    if (type instanceof Class<?> c) {
      Class<?> element = c.isArray() ? c.getComponentType() : c;
      if (element.getName().startsWith(MODEL)) {
        pending.push(element);
      }
    } else if (type instanceof ParameterizedType p) {
      collect(p.getRawType(), pending);
      Arrays.stream(p.getActualTypeArguments()).forEach(t -> collect(t, pending));
    }
  }
}
