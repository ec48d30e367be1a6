package io.kubeless.local;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The processes local mode starts (the functions' runtimes, each in a session of its own, and the
 * {@code nats-server}), as {@code local.json} records them: pid and start time. A local mode that
 * stops cleanly stops them and deletes the file; one that was killed (SIGKILL, an out-of-memory
 * kill) leaves both, and its processes running with no parent. The next local mode on the same
 * state directory stops them before it starts anything: their ports and the NATS store are its own
 * again. A pid is only trusted while it still names the process that was started (the same start
 * time), never one that reused the number.
 */
final class Leftovers {

  private Leftovers() {}

  /** The {@code local.json} entry of a started process: what it is, its pid and start time. */
  static Map<String, Object> entry(ProcessHandle process, String what) {
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put("what", what);
    entry.put("pid", process.pid());
    process.info().startInstant().ifPresent(t -> entry.put("started", t.toEpochMilli()));
    return entry;
  }

  /**
   * Stops what the local mode that wrote {@code state} left running, when it is gone; fails when it
   * is still running (two local modes cannot share a state directory).
   */
  static void stop(Path state, PrintStream out) throws IOException {
    if (!Files.exists(state)) {
      return;
    }
    JsonNode recorded;
    try {
      recorded = Serialization.jsonMapper().readTree(Files.readString(state));
    } catch (IOException e) {
      out.println("ignoring the unreadable " + state + ": " + e.getMessage());
      return;
    }
    if (recorded == null || !recorded.isObject()) {
      return;
    }
    long pid = recorded.path("pid").asLong(-1);
    if (pid == ProcessHandle.current().pid()) {
      return; // this JVM's own, earlier platform
    }
    Optional<ProcessHandle> owner = live(pid, recorded.path("started"));
    if (owner.isPresent()) {
      throw new IllegalStateException(
          "local mode already runs on the state directory "
              + state.getParent()
              + " (pid "
              + pid
              + "): stop it (Ctrl-C there) or pass another --state-dir");
    }
    List<ProcessHandle> left = new ArrayList<>();
    for (JsonNode entry : recorded.path("processes")) {
      live(entry.path("pid").asLong(-1), entry.path("started"))
          .ifPresent(
              p -> {
                out.println(
                    "stopping "
                        + entry.path("what").asText("a process")
                        + " (pid "
                        + p.pid()
                        + "), left running by a local mode that did not stop cleanly");
                left.add(p);
              });
    }
    for (ProcessHandle p : left) {
      stopTree(p, Duration.ofSeconds(5));
    }
  }

  /** The process {@code pid} when it is alive and started when recorded (within a second). */
  private static Optional<ProcessHandle> live(long pid, JsonNode started) {
    if (pid <= 0 || !started.canConvertToLong()) {
      return Optional.empty();
    }
    Instant recorded = Instant.ofEpochMilli(started.asLong());
    return ProcessHandle.of(pid)
        .filter(ProcessHandle::isAlive)
        .filter(
            p ->
                p.info()
                    .startInstant()
                    .map(t -> Math.abs(Duration.between(t, recorded).toMillis()) < 1000)
                    .orElse(false));
  }

  /**
   * Stops a process and every process under it: SIGTERM, then SIGKILL for what is left after {@code
   * grace}.
   */
  static void stopTree(ProcessHandle process, Duration grace) {
    List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
    all.add(process);
    all.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + grace.toNanos();
    for (ProcessHandle h : all) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      try {
        h.onExit().get(left, TimeUnit.NANOSECONDS);
      } catch (Exception e) {
        break;
      }
    }
    // what is left, and anything started in the meantime
    List<ProcessHandle> rest = new ArrayList<>(all);
    process.descendants().forEach(rest::add);
    for (ProcessHandle h : rest) {
      if (h.isAlive()) {
        h.destroyForcibly();
      }
    }
  }
}
