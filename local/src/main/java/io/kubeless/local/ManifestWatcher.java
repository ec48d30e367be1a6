package io.kubeless.local;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;
import static java.nio.file.StandardWatchEventKinds.OVERFLOW;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Watches the directories given to {@code local up} and the parent directories of the files given,
 * and calls {@code onChange} once the manifests they hold have been quiet for {@link #QUIET}.
 * Editor temporary and backup files never cause a pass. The directories are watched as the loader
 * reads them: their own files, not their subdirectories. The {@code tree} of applied resources is
 * watched whole, its folders as they appear.
 */
final class ManifestWatcher implements AutoCloseable {

  /** How long the files have to be quiet before they are read again. */
  static final Duration QUIET = Duration.ofMillis(200);

  private final Set<Path> directories = new LinkedHashSet<>();
  private final Set<Path> files = new LinkedHashSet<>();
  private final Set<Path> trees = new LinkedHashSet<>();
  private final Runnable onChange;
  private final PrintStream out;
  private final WatchService service;
  private final Map<WatchKey, Path> keys = new HashMap<>();
  private final Thread thread;

  private ManifestWatcher(List<Path> sources, Path tree, Runnable onChange, PrintStream out)
      throws IOException {
    this.onChange = onChange;
    this.out = out;
    Set<Path> watched = new LinkedHashSet<>();
    for (Path source : sources) {
      Path p = source.toAbsolutePath().normalize();
      if (Files.isDirectory(p)) {
        directories.add(p);
        watched.add(p);
      } else {
        files.add(p);
        watched.add(p.getParent());
      }
    }
    service = java.nio.file.FileSystems.getDefault().newWatchService();
    try {
      for (Path dir : watched) {
        register(dir);
      }
      if (tree != null) {
        registerTree(tree.toAbsolutePath().normalize());
      }
    } catch (IOException | RuntimeException e) {
      service.close();
      throw e;
    }
    thread = Thread.ofVirtual().name("kubeless-local-watch").unstarted(this::loop);
  }

  /**
   * Registers every directory, and {@code tree} (when not null) with its subdirectories; {@link
   * #start()} then calls {@code onChange} at each change.
   */
  static ManifestWatcher open(List<Path> sources, Path tree, Runnable onChange, PrintStream out)
      throws IOException {
    return new ManifestWatcher(sources, tree, onChange, out);
  }

  private void register(Path dir) throws IOException {
    keys.put(dir.register(service, ENTRY_CREATE, ENTRY_MODIFY, ENTRY_DELETE), dir);
  }

  /** Registers a directory of the applied tree and the directories under it. */
  private void registerTree(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path d : all.filter(Files::isDirectory).toList()) {
        trees.add(d);
        register(d);
      }
    }
  }

  /** Starts the virtual thread that waits for changes. */
  void start() {
    thread.start();
  }

  /**
   * The manifest files of {@code sources}, as {@link Manifests#load} reads them: a directory's
   * {@code .yaml}, {@code .yml} and {@code .json} in name order, a file as given (when it exists).
   */
  static List<Path> files(List<Path> sources) {
    List<Path> all = new ArrayList<>();
    for (Path source : sources) {
      if (Files.isDirectory(source)) {
        try (Stream<Path> list = Files.list(source)) {
          all.addAll(list.filter(Manifests::manifest).sorted().toList());
        } catch (IOException e) {
          // gone in the meantime
        }
      } else if (Files.isRegularFile(source)) {
        all.add(source);
      }
    }
    return all;
  }

  /** Whether an editor writes files of that name while saving, or keeps them as backups. */
  static boolean editorFile(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.startsWith(".")
        || n.startsWith("#")
        || n.endsWith("~")
        || n.endsWith(".swp")
        || n.endsWith(".swx")
        || n.endsWith(".tmp")
        || n.equals("4913");
  }

  private boolean relevant(Path dir, Path name) {
    String n = name.toString();
    if (editorFile(n)) {
      return false;
    }
    Path full = dir.resolve(name);
    if (files.contains(full)) {
      return true;
    }
    if (trees.contains(dir) && Files.isDirectory(full) && !trees.contains(full)) {
      try {
        registerTree(full); // a new namespace or kind folder: its files may be there already
      } catch (IOException e) {
        out.println("[watch] cannot watch " + full + ": " + e.getMessage());
      }
      return true;
    }
    String lower = n.toLowerCase(Locale.ROOT);
    return (directories.contains(dir) || trees.contains(dir))
        && (lower.endsWith(".yaml") || lower.endsWith(".yml") || lower.endsWith(".json"));
  }

  private void loop() {
    try {
      while (true) {
        if (!drain(service.take())) {
          continue;
        }
        // debounce: read once the files have been quiet for a while
        for (WatchKey k; (k = service.poll(QUIET.toMillis(), TimeUnit.MILLISECONDS)) != null; ) {
          drain(k);
        }
        try {
          onChange.run();
        } catch (RuntimeException e) {
          out.println("[watch] applying the changes failed: " + e);
        }
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      // closed
    }
  }

  /** Reads a key's events; whether one of them concerns a manifest. */
  private boolean drain(WatchKey key) {
    Path dir = keys.get(key);
    boolean relevant = false;
    for (WatchEvent<?> event : key.pollEvents()) {
      if (event.kind() == OVERFLOW) {
        relevant = true;
      } else if (dir != null && event.context() instanceof Path name) {
        relevant |= relevant(dir, name);
      }
    }
    if (!key.reset()) {
      if (!trees.remove(dir)) {
        out.println("[watch] " + dir + " is gone: no longer watched");
      }
      keys.remove(key);
      relevant = true;
    }
    return relevant;
  }

  @Override
  public void close() {
    try {
      service.close();
    } catch (IOException e) {
      // closing anyway
    }
    try {
      thread.join(Duration.ofSeconds(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
