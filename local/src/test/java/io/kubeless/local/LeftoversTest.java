package io.kubeless.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The processes a killed local mode leaves, as its {@code local.json} names them, stopped by the
 * next one: real processes, each a tree as a function's runtime is (a session of its own, with a
 * child).
 */
class LeftoversTest {

  @TempDir Path dir;

  private final List<ProcessHandle> started = new ArrayList<>();
  private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);

  @AfterEach
  void kill() {
    for (ProcessHandle p : started) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
  }

  @Test
  void theProcessesOfALocalModeThatIsGoneAreStoppedWithWhatTheyStarted() throws Exception {
    ProcessHandle gone = exited();
    ProcessHandle runtime = tree();
    ProcessHandle natsServer = tree();
    ProcessHandle child =
        await().until(() -> runtime.children().findFirst(), o -> o.isPresent()).get();
    Path state =
        state(
            Leftovers.entry(gone, "local mode"),
            List.of(
                Leftovers.entry(runtime, "function default/hello"),
                Leftovers.entry(natsServer, "nats-server")));

    Leftovers.stop(state, out);

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> !runtime.isAlive() && !child.isAlive() && !natsServer.isAlive());
    assertThat(printed.toString(StandardCharsets.UTF_8))
        .contains(
            "stopping function default/hello (pid "
                + runtime.pid()
                + "), left running by a local mode that did not stop cleanly")
        .contains("stopping nats-server (pid " + natsServer.pid() + ")");
  }

  @Test
  void aLocalModeStillRunningOnTheDirectoryIsNotTouchedAndTheNewOneRefusesToStart()
      throws Exception {
    ProcessHandle running = tree();
    ProcessHandle runtime = tree();
    Path state =
        state(
            Leftovers.entry(running, "local mode"),
            List.of(Leftovers.entry(runtime, "function default/hello")));

    assertThatThrownBy(() -> Leftovers.stop(state, out))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("local mode already runs on the state directory " + dir)
        .hasMessageContaining("(pid " + running.pid() + ")")
        .hasMessageContaining("--state-dir");
    assertThat(runtime.isAlive()).isTrue();
  }

  @Test
  void aSecondLocalModeOnTheDirectoryStartsNothingAndLeavesTheFirstOnesStateAlone()
      throws Exception {
    ProcessHandle running = tree();
    Path state = state(Leftovers.entry(running, "local mode"), List.of());
    String before = Files.readString(state);

    assertThatThrownBy(
            () ->
                LocalPlatform.start(
                    Manifests.load(List.of()),
                    new LocalPlatform.Options(dir, Path.of("..", "runtimes"), null, 0, out)))
        .hasMessageContaining("local mode already runs on the state directory " + dir);
    assertThat(Files.readString(state)).isEqualTo(before);
  }

  @Test
  void aRecordedPidNowNamingAnotherProcessIsLeftAlone() throws Exception {
    ProcessHandle gone = exited();
    ProcessHandle other = tree();
    Map<String, Object> entry = Leftovers.entry(other, "function default/hello");
    // the pid as if recorded for a process started a minute earlier: reused since
    entry.put("started", (Long) entry.get("started") - 60_000);
    Path state = state(Leftovers.entry(gone, "local mode"), List.of(entry));

    Leftovers.stop(state, out);

    assertThat(other.isAlive()).isTrue();
    assertThat(printed.toString(StandardCharsets.UTF_8)).doesNotContain("stopping");
  }

  @Test
  void noStateOrAnUnreadableOneStopsNothing() throws Exception {
    Leftovers.stop(dir.resolve("local.json"), out);
    Path state = Files.writeString(dir.resolve("local.json"), "{not json");
    Leftovers.stop(state, out);
    assertThat(printed.toString(StandardCharsets.UTF_8)).contains("ignoring the unreadable");
  }

  /** local.json as local mode writes it: its own pid and start time, and what it started. */
  private Path state(Map<String, Object> owner, List<Map<String, Object>> processes)
      throws Exception {
    Map<String, Object> state = new java.util.LinkedHashMap<>();
    state.put("pid", owner.get("pid"));
    state.put("started", owner.get("started"));
    state.put("processes", processes);
    return Files.writeString(
        dir.resolve("local.json"), Serialization.jsonMapper().writeValueAsString(state));
  }

  /** A process in a session of its own with a child, as a runtime started by local mode is. */
  private ProcessHandle tree() throws Exception {
    Process p = new ProcessBuilder("setsid", "sh", "-c", "sleep 300 & wait").start();
    started.add(p.toHandle());
    return p.toHandle();
  }

  private static ProcessHandle exited() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    return p.toHandle();
  }
}
