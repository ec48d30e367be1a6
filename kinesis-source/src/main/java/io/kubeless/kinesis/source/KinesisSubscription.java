package io.kubeless.kinesis.source;

import io.kubeless.trigger.delivery.Delivery;
import io.kubeless.trigger.engine.FunctionSelection;
import java.net.URI;
import java.time.Instant;

/**
 * A KinesisTrigger's spec, checked and defaulted.
 *
 * @param stream the stream's name
 * @param region the AWS region
 * @param endpoint the service endpoint (an emulator, a VPC endpoint), or null for AWS's
 * @param secret the Secret with the AWS keys, or null for the default chain
 * @param shard the one shard to read (Kubeless's field), or null for every shard
 * @param functions the function by name ({@code function-name}) or a label selector
 * @param startFrom where a shard without a checkpoint starts
 * @param timestamp with {@link StartFrom#AT_TIMESTAMP}, from when
 * @param delivery ordering ({@code partition}: per shard, by default; {@code key}: per partition
 *     key), in-flight limit, retry
 */
public record KinesisSubscription(
    String stream,
    String region,
    URI endpoint,
    String secret,
    String shard,
    FunctionSelection functions,
    StartFrom startFrom,
    Instant timestamp,
    Delivery.Settings delivery) {

  /** Where a shard without a checkpoint starts. */
  public enum StartFrom {
    LATEST,
    TRIM_HORIZON,
    AT_TIMESTAMP
  }
}
