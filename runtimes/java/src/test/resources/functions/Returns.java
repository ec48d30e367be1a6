package io.kubeless;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Returns a value of the kind the data names; other handlers are declared with other types. */
public class Returns {
  public record Point(int x, double y) {}

  public static class Order {
    public String id = "o-7";
    private final List<String> items = List.of("tea", "cake");

    public List<String> getItems() {
      return items;
    }

    public boolean isPaid() {
      return true;
    }

    public String summary() {
      return "not a getter, not encoded";
    }
  }

  public Object handler(io.kubeless.Event event, io.kubeless.Context context) {
    switch (event.Data) {
      case "string":
        return "plain \"text\"";
      case "builder":
        return new StringBuilder("built");
      case "list":
        List<Object> list = new ArrayList<>(List.of(1, "two", 3.5, true));
        list.add(null);
        return list;
      case "map":
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("name", "kubeless");
        map.put("nothing", null);
        map.put("nested", Map.of("n", 7L));
        map.put("array", new int[] {1, 2});
        return map;
      case "integer":
        return 42;
      case "decimal":
        return 0.25;
      case "nan":
        return Double.NaN;
      case "boolean":
        return false;
      case "bytes":
        return new byte[] {0, 1, 2, (byte) 255};
      case "buffer":
        return ByteBuffer.wrap("buffered".getBytes(StandardCharsets.UTF_8));
      case "record":
        return new Point(1, 2.5);
      case "bean":
        return new Order();
      case "enum":
        return TimeUnit.SECONDS;
      case "time":
        return Map.of("at", Instant.parse("2026-12-02T16:05:01Z"));
      case "optional":
        return Optional.of("present");
      case "null":
        return null;
      case "cycle":
        List<Object> cycle = new ArrayList<>();
        cycle.add(cycle);
        return cycle;
      default:
        throw new IllegalArgumentException("no such kind");
    }
  }

  public int count(io.kubeless.Event event, io.kubeless.Context context) {
    return event.Data.length();
  }

  public void nothing(io.kubeless.Event event, io.kubeless.Context context) {}

  public byte[] bytes(io.kubeless.Event event, io.kubeless.Context context) {
    return event.Data.getBytes(StandardCharsets.UTF_8);
  }

  public static String shout(io.kubeless.Event event, io.kubeless.Context context) {
    return event.Data.toUpperCase();
  }
}
