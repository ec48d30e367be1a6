package io.kubeless.kinesis.source;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.StartingPosition;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEvent;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEventStream;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

/**
 * One {@code SubscribeToShard} call (enhanced fan-out) on one shard, for a {@link ShardReader}.
 * Kinesis pushes its events over HTTP/2; they are asked for one at a time, and the next only once
 * the reader took the last ({@link #poll}), so at most one event waits here and a slow function
 * slows the stream down instead of filling the heap. A call lasts up to five minutes; the reader
 * then opens a new one where the last left off.
 */
final class FanOutSubscription implements Subscriber<SubscribeToShardEventStream> {

  private final ConcurrentLinkedQueue<SubscribeToShardEvent> events = new ConcurrentLinkedQueue<>();
  private final Runnable wake;
  private volatile Subscription upstream;
  private volatile Throwable error;
  private volatile boolean completed;
  private volatile boolean cancelled;

  private FanOutSubscription(Runnable wake) {
    this.wake = wake;
  }

  /**
   * Subscribes {@code consumerArn} to {@code shard} from {@code position}; returns at once.
   *
   * @param wake called whenever an event, an error or the end arrives
   */
  static FanOutSubscription open(
      KinesisAsyncClient client,
      String consumerArn,
      String shard,
      StartingPosition position,
      Runnable wake) {
    FanOutSubscription subscription = new FanOutSubscription(wake);
    SubscribeToShardResponseHandler handler =
        SubscribeToShardResponseHandler.builder()
            .onError(subscription::failed)
            .subscriber(() -> subscription)
            .build();
    client
        .subscribeToShard(
            b -> b.consumerARN(consumerArn).shardId(shard).startingPosition(position), handler)
        .whenComplete(
            (done, failure) -> {
              if (failure != null) {
                subscription.failed(failure);
              } else {
                subscription.onComplete();
              }
            });
    return subscription;
  }

  /** The next event, and asks Kinesis for the one after it; null when none arrived yet. */
  SubscribeToShardEvent poll() {
    SubscribeToShardEvent event = events.poll();
    Subscription s = upstream;
    if (event != null && s != null && !cancelled) {
      s.request(1);
    }
    return event;
  }

  /** Whether the call ended (its five minutes, an error) and every event it brought was taken. */
  boolean ended() {
    return (completed || error != null) && events.isEmpty();
  }

  /** Why the call ended, or null when it ended normally or runs. */
  Throwable error() {
    return error;
  }

  /** Ends the call; events not taken yet are dropped (their records were not checkpointed). */
  void cancel() {
    cancelled = true;
    Subscription s = upstream;
    if (s != null) {
      s.cancel();
    }
    events.clear();
  }

  @Override
  public void onSubscribe(Subscription subscription) {
    upstream = subscription;
    if (cancelled) {
      subscription.cancel();
    } else {
      subscription.request(1);
    }
  }

  @Override
  public void onNext(SubscribeToShardEventStream item) {
    if (item instanceof SubscribeToShardEvent event && !cancelled) {
      events.add(event);
      wake.run();
    } else if (!cancelled) {
      Subscription s = upstream;
      if (s != null) {
        s.request(1); // an event type without records: ask for the next one
      }
    }
  }

  @Override
  public void onError(Throwable failure) {
    failed(failure);
  }

  @Override
  public void onComplete() {
    completed = true;
    wake.run();
  }

  private void failed(Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (error == null) {
      error = cause;
    }
    wake.run();
  }
}
