package io.kubeless.trigger.coordination;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@link ShardCoordinator} for one process (local mode, tests): it owns every shard it is asked
 * about, and keeps checkpoints in memory and, given a directory, in one small JSON file per binding
 * ({@code <namespace>_<trigger>_<function>.json}), written to a temporary file and moved over the
 * old one, so a restart resumes after the last checkpoint.
 */
public final class InMemoryShardCoordinator implements ShardCoordinator {

  private static final Pattern ENTRY =
      Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

  private final String identity;
  private final Path checkpointDir;
  private final Map<BindingKey, Map<String, String>> checkpoints = new ConcurrentHashMap<>();
  private final Map<BindingKey, Set<String>> owned = new ConcurrentHashMap<>();

  /**
   * @param identity how status names this process as the owner of the shards
   * @param checkpointDir where checkpoints persist, or null to keep them in memory only
   */
  public InMemoryShardCoordinator(String identity, Path checkpointDir) {
    this.identity = identity;
    this.checkpointDir = checkpointDir;
  }

  @Override
  public String identity() {
    return identity;
  }

  @Override
  public Set<String> claim(BindingKey binding, List<String> shards) {
    Set<String> mine = owned.computeIfAbsent(binding, b -> ConcurrentHashMap.newKeySet());
    mine.addAll(shards);
    return Set.copyOf(new LinkedHashSet<>(shards));
  }

  @Override
  public Optional<String> checkpoint(BindingKey binding, String shard) {
    return Optional.ofNullable(positions(binding).get(shard));
  }

  @Override
  public void checkpoint(BindingKey binding, String shard, String sequenceNumber)
      throws LostShardException {
    Set<String> mine = owned.get(binding);
    if (mine == null || !mine.contains(shard)) {
      throw new LostShardException(binding + ": shard " + shard + " is not claimed");
    }
    Map<String, String> positions = positions(binding);
    synchronized (positions) {
      positions.put(shard, sequenceNumber);
      persist(binding, positions);
    }
  }

  @Override
  public void release(BindingKey binding, String shard) {
    Set<String> mine = owned.get(binding);
    if (mine != null) {
      mine.remove(shard);
    }
  }

  @Override
  public Map<String, String> owners(BindingKey binding) {
    Map<String, String> owners = new TreeMap<>();
    for (String shard : owned.getOrDefault(binding, Set.of())) {
      owners.put(shard, identity);
    }
    return owners;
  }

  @Override
  public void forget(BindingKey binding) {
    owned.remove(binding);
    checkpoints.remove(binding);
    if (checkpointDir != null) {
      try {
        Files.deleteIfExists(file(binding));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  @Override
  public void close() {
    owned.clear();
  }

  /** The checkpoints of a binding, read from its file the first time. */
  private Map<String, String> positions(BindingKey binding) {
    return checkpoints.computeIfAbsent(binding, this::load);
  }

  private Map<String, String> load(BindingKey binding) {
    Map<String, String> positions = new TreeMap<>();
    if (checkpointDir == null) {
      return positions;
    }
    Path file = file(binding);
    if (!Files.exists(file)) {
      return positions;
    }
    try {
      Matcher m = ENTRY.matcher(Files.readString(file, StandardCharsets.UTF_8));
      while (m.find()) {
        positions.put(unescape(m.group(1)), unescape(m.group(2)));
      }
      return positions;
    } catch (IOException e) {
      throw new UncheckedIOException("reading the checkpoints in " + file, e);
    }
  }

  private void persist(BindingKey binding, Map<String, String> positions) {
    if (checkpointDir == null) {
      return;
    }
    StringBuilder json = new StringBuilder("{\n");
    var it = positions.entrySet().iterator();
    while (it.hasNext()) {
      var e = it.next();
      json.append("  \"")
          .append(escape(e.getKey()))
          .append("\": \"")
          .append(escape(e.getValue()))
          .append('"')
          .append(it.hasNext() ? ",\n" : "\n");
    }
    json.append("}\n");
    Path file = file(binding);
    try {
      Files.createDirectories(checkpointDir);
      Path temp = Files.createTempFile(checkpointDir, file.getFileName().toString(), ".tmp");
      Files.writeString(temp, json, StandardCharsets.UTF_8);
      try {
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("writing the checkpoints to " + file, e);
    }
  }

  private Path file(BindingKey binding) {
    String name =
        binding.trigger().namespace() + "_" + binding.trigger().name() + "_" + binding.function();
    return checkpointDir.resolve(name.replaceAll("[^A-Za-z0-9._-]", "-") + ".json");
  }

  private static String escape(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  private static String unescape(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        c = s.charAt(++i);
      }
      out.append(c);
    }
    return out.toString();
  }

  /** For tests: the shards of a binding this process owns. */
  Set<String> owned(BindingKey binding) {
    return new HashSet<>(owned.getOrDefault(binding, Set.of()));
  }
}
