package io.kubeless.runtime;

import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.net.URL;
import java.nio.file.Path;
import java.time.temporal.TemporalAccessor;
import java.time.temporal.TemporalAmount;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Encodes what a handler returns as JSON, with the standard library only, the way Jackson's
 * defaults do for the common types:
 *
 * <ul>
 *   <li>{@code null}, booleans, numbers (a NaN or infinite one as {@code null}, as in JavaScript),
 *       strings ({@code CharSequence}) and characters;
 *   <li>a {@code Map} as an object (keys by {@code String.valueOf}), an {@code Iterable} or an
 *       array as an array, a {@code byte[]} inside as a base64 string, {@code Optional} as its
 *       value or {@code null};
 *   <li>an enum as its name; {@code UUID}, {@code URI}, {@code URL}, {@code Path} and {@code
 *       java.time} values as their text ({@code 2026-12-02T16:05:01Z}, {@code PT1S});
 *   <li>a record as an object of its components; any other object as an object of its public fields
 *       and public getters ({@code getName()} / {@code isActive()}), by name.
 * </ul>
 *
 * Nesting deeper than {@value #MAX_DEPTH} (a cycle, most likely) fails.
 */
final class Json {

  static final int MAX_DEPTH = 100;

  private Json() {}

  static String encode(Object value) {
    StringBuilder out = new StringBuilder();
    write(out, value, 0);
    return out.toString();
  }

  private static void write(StringBuilder out, Object value, int depth) {
    if (depth > MAX_DEPTH) {
      throw new IllegalArgumentException(
          "cannot encode the result as JSON: nested deeper than " + MAX_DEPTH + " (a cycle?)");
    }
    if (value == null) {
      out.append("null");
    } else if (value instanceof Boolean
        || value instanceof Integer
        || value instanceof Long
        || value instanceof Short
        || value instanceof Byte
        || value instanceof BigInteger
        || value instanceof BigDecimal
        || value instanceof AtomicInteger
        || value instanceof AtomicLong) {
      out.append(value);
    } else if (value instanceof Number n) {
      double d = n.doubleValue();
      out.append(Double.isNaN(d) || Double.isInfinite(d) ? "null" : Double.toString(d));
    } else if (value instanceof CharSequence
        || value instanceof Character
        || value instanceof UUID
        || value instanceof URI
        || value instanceof URL
        || value instanceof Path
        || value instanceof TemporalAccessor
        || value instanceof TemporalAmount) {
      string(out, value.toString());
    } else if (value instanceof Enum<?> e) {
      string(out, e.name());
    } else if (value instanceof Optional<?> o) {
      write(out, o.orElse(null), depth);
    } else if (value instanceof byte[] bytes) {
      string(out, Base64.getEncoder().encodeToString(bytes));
    } else if (value instanceof Map<?, ?> map) {
      out.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        first = comma(out, first);
        string(out, String.valueOf(entry.getKey()));
        out.append(':');
        write(out, entry.getValue(), depth + 1);
      }
      out.append('}');
    } else if (value instanceof Iterable<?> items) {
      out.append('[');
      boolean first = true;
      for (Object item : items) {
        first = comma(out, first);
        write(out, item, depth + 1);
      }
      out.append(']');
    } else if (value.getClass().isArray()) {
      out.append('[');
      for (int i = 0, n = Array.getLength(value); i < n; i++) {
        comma(out, i == 0);
        write(out, Array.get(value, i), depth + 1);
      }
      out.append(']');
    } else if (value instanceof Record r) {
      write(out, components(r), depth);
    } else {
      write(out, properties(value), depth);
    }
  }

  private static Map<String, Object> components(Record r) {
    Map<String, Object> properties = new java.util.LinkedHashMap<>();
    for (RecordComponent component : r.getClass().getRecordComponents()) {
      Method accessor = component.getAccessor();
      properties.put(component.getName(), call(accessor, r));
    }
    return properties;
  }

  /** Public instance fields and getters, by name, as Jackson's defaults find them. */
  private static Map<String, Object> properties(Object bean) {
    Map<String, Object> properties = new TreeMap<>();
    for (Field field : bean.getClass().getFields()) {
      if (!Modifier.isStatic(field.getModifiers())) {
        field.trySetAccessible();
        try {
          properties.put(field.getName(), field.get(bean));
        } catch (IllegalAccessException e) {
          throw new IllegalArgumentException("cannot read " + field, e);
        }
      }
    }
    for (Method method : bean.getClass().getMethods()) {
      String property = property(method);
      if (property != null && !properties.containsKey(property)) {
        properties.put(property, call(method, bean));
      }
    }
    return properties;
  }

  private static String property(Method method) {
    if (Modifier.isStatic(method.getModifiers())
        || method.getParameterCount() != 0
        || method.getReturnType() == void.class
        || method.getDeclaringClass() == Object.class) {
      return null;
    }
    String name = method.getName();
    int prefix;
    if (name.startsWith("get") && name.length() > 3) {
      prefix = 3;
    } else if (name.startsWith("is")
        && name.length() > 2
        && (method.getReturnType() == boolean.class || method.getReturnType() == Boolean.class)) {
      prefix = 2;
    } else {
      return null;
    }
    return Character.toLowerCase(name.charAt(prefix)) + name.substring(prefix + 1);
  }

  private static Object call(Method method, Object target) {
    method.trySetAccessible();
    try {
      return method.invoke(target);
    } catch (IllegalAccessException e) {
      throw new IllegalArgumentException("cannot call " + method, e);
    } catch (InvocationTargetException e) {
      throw new IllegalArgumentException(
          "cannot encode the result as JSON: " + method + " threw " + e.getCause(), e.getCause());
    }
  }

  private static boolean comma(StringBuilder out, boolean first) {
    if (!first) {
      out.append(',');
    }
    return false;
  }

  private static void string(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20 || c == '\u2028' || c == '\u2029') {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
