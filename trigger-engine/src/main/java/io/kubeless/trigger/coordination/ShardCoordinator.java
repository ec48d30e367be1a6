package io.kubeless.trigger.coordination;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where shard ownership and checkpoints live: Kubernetes Leases (one per binding and shard, the
 * checkpoint in the owner's Lease) on a cluster, memory and files under {@code .kubeless/} in local
 * mode. Only the owner of a shard reads it and writes its checkpoint. When its store cannot be
 * reached, {@link #claim}, {@link #checkpoint} and {@link #owners} throw {@link
 * CoordinatorUnavailableException}.
 */
public interface ShardCoordinator extends AutoCloseable {

  /** The checkpoint of a shard read to its end (a closed parent of a resharding). */
  String SHARD_END = "SHARD_END";

  /** This process's identity, as status shows owners (a pod name). */
  String identity();

  /**
   * Which of {@code shards} this process reads now: renews its own, acquires free or expired ones
   * up to its fair share of the binding's shards across the live replicas, and gives up what is
   * beyond that share (a shard it gives up is no longer in the result; the reader stops it and
   * calls {@link #release}). Called by the binding's reader at least once per renew interval; a
   * shard whose Lease lapses (its holder gone, or not claiming it) may be taken by another replica.
   *
   * @param shards the shards ready to be read: open or closed but not finished, their parents
   *     finished
   */
  Set<String> claim(BindingKey binding, List<String> shards);

  /**
   * The position of a shard: the sequence number of the last record taken, {@link #SHARD_END} when
   * it was read to its end, or empty when it was never read.
   */
  Optional<String> checkpoint(BindingKey binding, String shard);

  /**
   * Records the last record taken from a shard, before any of them is sent (at most once).
   *
   * @throws LostShardException when this process does not own the shard any more (another replica
   *     took it over): then nothing of what was read may be sent
   */
  void checkpoint(BindingKey binding, String shard, String sequenceNumber)
      throws LostShardException;

  /**
   * Gives a shard up after its last checkpoint (a graceful stop, a rebalance, a deleted trigger).
   */
  void release(BindingKey binding, String shard);

  /** Who owns each shard of a binding now (identity, or absent when nobody does), for status. */
  Map<String, String> owners(BindingKey binding);

  /** Forgets a binding that no longer exists (its trigger deleted): its leases and checkpoints. */
  void forget(BindingKey binding);

  /** Releases everything this process owns. */
  @Override
  void close();
}
