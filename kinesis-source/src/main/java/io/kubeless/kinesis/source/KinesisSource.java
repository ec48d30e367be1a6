package io.kubeless.kinesis.source;

import io.kubeless.api.v1beta1.KinesisTriggerSpec;
import io.kubeless.trigger.coordination.BindingKey;
import io.kubeless.trigger.coordination.ShardCoordinator;
import io.kubeless.trigger.delivery.Delivery;
import io.kubeless.trigger.delivery.RetryPolicy;
import io.kubeless.trigger.engine.BindingWorker;
import io.kubeless.trigger.engine.FunctionSelection;
import io.kubeless.trigger.engine.InvalidTriggerException;
import io.kubeless.trigger.engine.TriggerEngine;
import io.kubeless.trigger.engine.TriggerSource;
import io.kubeless.trigger.function.LabelSelectors;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Kinesis as a trigger source: a KinesisTrigger's spec becomes a {@link KinesisSubscription}; each
 * binding a {@link ShardReader} that reads the shards the {@link ShardCoordinator} gives it,
 * checkpoints each read before sending it, and follows resharding (children after their parents).
 */
public final class KinesisSource
    implements TriggerSource<KinesisTriggerSpec, KinesisSubscription>, AutoCloseable {

  /** A stream's name, as Kinesis allows it. */
  private static final Pattern STREAM = Pattern.compile("[a-zA-Z0-9_.-]{1,128}");

  /** A shard id: {@code shardId-000000000000}. */
  private static final Pattern SHARD = Pattern.compile("[a-zA-Z0-9_.-]{1,128}");

  /** An AWS region: {@code us-east-1}, {@code cn-north-1}, {@code us-gov-west-1}. */
  private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z0-9]+)+");

  private final TriggerEngine engine;
  private final KinesisSettings settings;
  private final ShardCoordinator coordinator;
  private final CredentialsResolver credentials;
  private final KinesisClients clients;

  /** The latest reader of each binding: a changed trigger's waits for the one it replaces. */
  private final Map<BindingKey, ShardReader> latest = new ConcurrentHashMap<>();

  public KinesisSource(
      TriggerEngine engine,
      KinesisSettings settings,
      ShardCoordinator coordinator,
      CredentialsResolver credentials) {
    this.engine = engine;
    this.settings = settings;
    this.coordinator = coordinator;
    this.credentials = credentials;
    this.clients = new KinesisClients();
  }

  @Override
  public String kind() {
    return "KinesisTrigger";
  }

  @Override
  public KinesisSubscription subscription(KinesisTriggerSpec spec) throws InvalidTriggerException {
    if (spec == null || spec.getStream() == null || spec.getStream().isBlank()) {
      throw new InvalidTriggerException("spec.stream is empty; name the Kinesis stream to read");
    }
    if (!STREAM.matcher(spec.getStream()).matches()) {
      throw new InvalidTriggerException(
          "spec.stream '"
              + spec.getStream()
              + "' is not a Kinesis stream name (1 to 128 of a-z, A-Z, 0-9, '_', '.', '-')");
    }
    URI endpoint = null;
    if (spec.getEndpoint() != null && !spec.getEndpoint().isBlank()) {
      endpoint = endpoint(spec.getEndpoint());
    }
    String region = spec.getRegion();
    if (region == null || region.isBlank()) {
      if (endpoint == null) {
        throw new InvalidTriggerException(
            "spec.aws-region is empty; name the stream's AWS region (e.g. us-east-1)");
      }
      region = "us-east-1";
    } else if (!REGION.matcher(region).matches()) {
      throw new InvalidTriggerException(
          "spec.aws-region '" + region + "' is not an AWS region (e.g. us-east-1)");
    }
    String shard = spec.getShard() == null || spec.getShard().isBlank() ? null : spec.getShard();
    if (shard != null && !SHARD.matcher(shard).matches()) {
      throw new InvalidTriggerException(
          "spec.shard '" + shard + "' is not a shard id (e.g. shardId-000000000000)");
    }
    FunctionSelection functions = selection(spec);
    KinesisSubscription.StartFrom startFrom = startFrom(spec.getStartFrom());
    Instant timestamp = null;
    if (startFrom == KinesisSubscription.StartFrom.AT_TIMESTAMP) {
      if (spec.getTimestamp() == null || spec.getTimestamp().isBlank()) {
        throw new InvalidTriggerException(
            "spec.timestamp is empty; startFrom at_timestamp needs an RFC 3339 time"
                + " (e.g. 2026-12-01T00:00:00Z)");
      }
      try {
        timestamp = OffsetDateTime.parse(spec.getTimestamp()).toInstant();
      } catch (DateTimeParseException e) {
        throw new InvalidTriggerException(
            "spec.timestamp '"
                + spec.getTimestamp()
                + "' is not an RFC 3339 time (e.g. 2026-12-01T00:00:00Z)");
      }
    } else if (spec.getTimestamp() != null && !spec.getTimestamp().isBlank()) {
      throw new InvalidTriggerException(
          "spec.timestamp applies to startFrom at_timestamp only; set startFrom too");
    }
    String secret =
        spec.getSecret() == null || spec.getSecret().isBlank() ? null : spec.getSecret();
    return new KinesisSubscription(
        spec.getStream(),
        region,
        endpoint,
        secret,
        shard,
        functions,
        startFrom,
        timestamp,
        Delivery.Settings.of(spec.getOrdering(), spec.getMaxInFlight(), RetryPolicy.UNTIL_SENT));
  }

  private static URI endpoint(String value) throws InvalidTriggerException {
    try {
      URI uri = new URI(value);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null) {
        return uri;
      }
    } catch (URISyntaxException e) {
      // reported below
    }
    throw new InvalidTriggerException(
        "spec.endpoint '" + value + "' is not an http(s) URL (e.g. https://kinesis.example:4567)");
  }

  /** The functions a KinesisTrigger selects: its {@code function-name} or selector, checked. */
  public static FunctionSelection selection(KinesisTriggerSpec spec)
      throws InvalidTriggerException {
    boolean named = spec.getFunctionName() != null && !spec.getFunctionName().isBlank();
    boolean selected = spec.getFunctionSelector() != null;
    if (named == selected) {
      throw new InvalidTriggerException(
          named
              ? "spec.function-name and spec.functionSelector are both set; use one of them"
              : "spec.function-name is empty; name the function (or set spec.functionSelector)");
    }
    if (named) {
      return FunctionSelection.named(spec.getFunctionName());
    }
    try {
      LabelSelectors.validate(spec.getFunctionSelector());
    } catch (IllegalArgumentException e) {
      throw new InvalidTriggerException("spec." + e.getMessage());
    }
    return FunctionSelection.matching(spec.getFunctionSelector());
  }

  private static KinesisSubscription.StartFrom startFrom(String value)
      throws InvalidTriggerException {
    if (value == null || value.isBlank()) {
      return KinesisSubscription.StartFrom.LATEST;
    }
    return switch (value) {
      case "latest" -> KinesisSubscription.StartFrom.LATEST;
      case "trim_horizon" -> KinesisSubscription.StartFrom.TRIM_HORIZON;
      case "at_timestamp" -> KinesisSubscription.StartFrom.AT_TIMESTAMP;
      default ->
          throw new InvalidTriggerException(
              "spec.startFrom is '" + value + "'; use latest, trim_horizon or at_timestamp");
    };
  }

  @Override
  public FunctionSelection functions(KinesisSubscription subscription) {
    return subscription.functions();
  }

  @Override
  public String describe(KinesisSubscription subscription) {
    String what = "stream " + subscription.stream() + " (" + subscription.region() + ")";
    return subscription.shard() == null ? what : "shard " + subscription.shard() + " of " + what;
  }

  @Override
  public Object deliveryKey(KinesisSubscription subscription) {
    return "kinesis:"
        + subscription.stream()
        + ":"
        + subscription.region()
        + ":"
        + (subscription.endpoint() == null ? "" : subscription.endpoint())
        + (subscription.shard() == null ? "" : ":" + subscription.shard());
  }

  @Override
  public BindingWorker start(Binding<KinesisSubscription> binding) {
    BindingKey key = new BindingKey(binding.trigger(), binding.function());
    ShardReader reader;
    synchronized (latest) {
      latest.values().removeIf(ShardReader::isStopped);
      reader =
          new ShardReader(
              binding, engine, settings, coordinator, credentials, clients, latest.get(key));
      latest.put(key, reader);
    }
    reader.start(engine);
    return reader;
  }

  @Override
  public Duration stopTimeout() {
    return settings.stopTimeout().plusSeconds(2);
  }

  /** Closes the clients; close the bindings first. */
  @Override
  public void close() {
    clients.close();
  }
}
