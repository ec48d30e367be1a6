package io.kubeless.kinesis.source;

import io.kubeless.trigger.coordination.BindingKey;
import io.kubeless.trigger.coordination.LostShardException;
import io.kubeless.trigger.coordination.ShardCoordinator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A binding's shards in the coordinator under their stream's name, {@code <stream>/<shard id>}:
 * every stream numbers its shards from {@code shardId-000000000000}, so a trigger moved to another
 * stream must not take the checkpoints (or the finished parents) of the one it left, whose sequence
 * numbers Kinesis refuses or, worse, skips to. The reader sees plain shard ids; the Leases of the
 * stream left stay until the binding ends, where one moved back resumes.
 */
final class StreamShards implements ShardCoordinator {

  private final ShardCoordinator coordinator;
  private final String prefix;

  StreamShards(ShardCoordinator coordinator, String stream) {
    this.coordinator = coordinator;
    this.prefix = stream + "/";
  }

  /** A shard's id in the coordinator. */
  String qualified(String shard) {
    return prefix + shard;
  }

  @Override
  public String identity() {
    return coordinator.identity();
  }

  @Override
  public Set<String> claim(BindingKey binding, List<String> shards) {
    Set<String> mine = new TreeSet<>();
    for (String shard : coordinator.claim(binding, shards.stream().map(this::qualified).toList())) {
      if (shard.startsWith(prefix)) {
        mine.add(shard.substring(prefix.length()));
      }
    }
    return mine;
  }

  @Override
  public Optional<String> checkpoint(BindingKey binding, String shard) {
    return coordinator.checkpoint(binding, qualified(shard));
  }

  @Override
  public void checkpoint(BindingKey binding, String shard, String sequenceNumber)
      throws LostShardException {
    coordinator.checkpoint(binding, qualified(shard), sequenceNumber);
  }

  @Override
  public void release(BindingKey binding, String shard) {
    coordinator.release(binding, qualified(shard));
  }

  /** The owners of this stream's shards. */
  @Override
  public Map<String, String> owners(BindingKey binding) {
    Map<String, String> owners = new HashMap<>();
    coordinator
        .owners(binding)
        .forEach(
            (shard, owner) -> {
              if (shard.startsWith(prefix)) {
                owners.put(shard.substring(prefix.length()), owner);
              }
            });
    return owners;
  }

  /** Forgets the binding on every stream it read. */
  @Override
  public void forget(BindingKey binding) {
    coordinator.forget(binding);
  }

  /** Closes nothing: the coordinator is the source's. */
  @Override
  public void close() {}
}
