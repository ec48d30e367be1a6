package io.kubeless.testing;

import io.kubeless.trigger.coordination.BindingKey;
import io.kubeless.trigger.coordination.CoordinatorUnavailableException;
import io.kubeless.trigger.coordination.InMemoryShardCoordinator;
import io.kubeless.trigger.coordination.LostShardException;
import io.kubeless.trigger.coordination.ShardCoordinator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The in-memory coordinator, steered by a test as Leases on an API server would behave: a shard (a
 * Kinesis shard, a Kafka partition) taken over by another replica (no longer claimed, its
 * checkpoint refused, the other replica its owner), or checkpoints whose outcome is unknown
 * (written, then reported failed, as a request that timed out after the server applied it).
 */
public final class SteeredCoordinator implements ShardCoordinator {

  private final InMemoryShardCoordinator store;
  private final String other;
  private final Set<String> taken = ConcurrentHashMap.newKeySet();
  private final Set<String> released = ConcurrentHashMap.newKeySet();
  private volatile Predicate<String> unknownOutcome = checkpoint -> false;

  /**
   * Steers {@code store}, whose checkpoints a test may read and another coordinator share; {@code
   * other} names the replica that takes shards over.
   */
  public SteeredCoordinator(InMemoryShardCoordinator store, String other) {
    this.store = store;
    this.other = other;
  }

  /** The other replica owns {@code shard} from now on. */
  public void takeOver(String shard) {
    taken.add(shard);
  }

  /** Checkpoints matching {@code which} are written and then reported failed. */
  public void unknownOutcome(Predicate<String> which) {
    unknownOutcome = which;
  }

  /** The shards this replica released. */
  public Set<String> released() {
    return Set.copyOf(released);
  }

  @Override
  public String identity() {
    return store.identity();
  }

  @Override
  public Set<String> claim(BindingKey binding, List<String> shards) {
    Set<String> mine = new LinkedHashSet<>(store.claim(binding, shards));
    mine.removeAll(taken);
    return mine;
  }

  @Override
  public Optional<String> checkpoint(BindingKey binding, String shard) {
    return store.checkpoint(binding, shard);
  }

  @Override
  public void checkpoint(BindingKey binding, String shard, String sequenceNumber)
      throws LostShardException {
    if (taken.contains(shard)) {
      throw new LostShardException(shard + " belongs to " + other);
    }
    store.checkpoint(binding, shard, sequenceNumber);
    if (unknownOutcome.test(sequenceNumber)) {
      throw new CoordinatorUnavailableException("checkpointing " + shard + " timed out", null);
    }
  }

  @Override
  public void release(BindingKey binding, String shard) {
    released.add(shard);
    store.release(binding, shard);
  }

  @Override
  public Map<String, String> owners(BindingKey binding) {
    Map<String, String> owners = new TreeMap<>(store.owners(binding));
    taken.forEach(shard -> owners.put(shard, other));
    return owners;
  }

  @Override
  public void forget(BindingKey binding) {
    store.forget(binding);
  }

  @Override
  public void close() {
    store.close();
  }
}
