package io.kubeless.trigger.coordination;

/** This process no longer owns a shard: another replica took it over. */
public final class LostShardException extends Exception {

  public LostShardException(String message) {
    super(message);
  }
}
