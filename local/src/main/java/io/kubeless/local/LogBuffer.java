package io.kubeless.local;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The last lines a function printed (a bounded ring), and whoever follows them (the admin API's log
 * streams). Kept per function across its restarts.
 */
final class LogBuffer {

  static final int CAPACITY = 200;

  private final int capacity;
  private final ArrayDeque<String> lines;
  private final List<Consumer<String>> followers = new CopyOnWriteArrayList<>();

  LogBuffer() {
    this(CAPACITY);
  }

  LogBuffer(int capacity) {
    this.capacity = capacity;
    this.lines = new ArrayDeque<>(capacity);
  }

  /** Keeps {@code line} (dropping the oldest when full) and hands it to the followers. */
  void add(String line) {
    synchronized (this) {
      if (lines.size() == capacity) {
        lines.removeFirst();
      }
      lines.addLast(line);
      // under the lock: a follower registered by follow() sees each line once, in order
      for (Consumer<String> f : followers) {
        f.accept(line);
      }
    }
  }

  /** The last {@code n} lines, oldest first. */
  synchronized List<String> tail(int n) {
    List<String> all = new ArrayList<>(lines);
    return all.subList(Math.max(0, all.size() - Math.max(0, n)), all.size());
  }

  /**
   * The last {@code n} lines, then every new line to {@code follower} (which must not block) until
   * the returned handle is closed; no line is lost or repeated in between.
   */
  synchronized Following follow(int n, Consumer<String> follower) {
    List<String> tail = tail(n);
    followers.add(follower);
    return new Following(tail, () -> followers.remove(follower));
  }

  /** What {@link #follow} returns: the lines so far, and the handle that stops the following. */
  record Following(List<String> tail, Runnable stop) implements AutoCloseable {
    @Override
    public void close() {
      stop.run();
    }
  }
}
