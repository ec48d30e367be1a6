package io.kubeless.trigger.kubernetes;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseList;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kubeless.api.v1beta1.Function;
import io.kubeless.trigger.TriggerId;
import io.kubeless.trigger.coordination.BindingKey;
import io.kubeless.trigger.coordination.CoordinatorUnavailableException;
import io.kubeless.trigger.coordination.LostShardException;
import io.kubeless.trigger.coordination.ShardCoordinator;
import io.kubeless.trigger.engine.FunctionSelection;
import io.kubeless.trigger.engine.InvalidTriggerException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * Shard ownership and checkpoints in {@code coordination.k8s.io/v1} Leases, in the controller's
 * namespace: one Lease per (binding, shard), held by the replica that reads the shard, with the
 * shard's checkpoint in its annotation {@value #CHECKPOINT}; and one membership Lease per replica,
 * so that each knows how many share the work (kinesis-trigger's README, "Shard Leases"). A shard is
 * a Kinesis shard or a Kafka partition; the source's name ({@code kinesis}, {@code kafka}) prefixes
 * the Leases' names and labels, so that the triggers of two sources never see each other's.
 *
 * <p>Every write is an update with the resourceVersion last read (optimistic concurrency): two
 * replicas racing for a Lease, or a checkpoint racing a takeover, cannot both win, so a replica
 * that lost a shard finds out at its next checkpoint and sends nothing more of it.
 *
 * <p>A shard Lease is held while its holder's membership Lease is renewed: the membership is the
 * heartbeat (one write per replica and renew interval), so a crashed replica's shards move one
 * lease duration after its last renewal, and an idle shard's Lease is written only when a third of
 * its own, longer duration ({@link Settings#shardLeaseDuration}) has passed. That duration bounds a
 * replica alive but whose reader is stuck. A checkpoint renews the shard's Lease too.
 *
 * <p>Claims and owners read an informer's cache of the source's Leases, not the API server: a claim
 * per binding every few seconds would otherwise list Leases as often, and each list costs the
 * server in proportion to all the Leases. A stale cache costs nothing but a retry: a write based on
 * it conflicts. A checkpoint is read from the API server, so a start position is never stale.
 */
public final class LeaseShardCoordinator implements ShardCoordinator {

  private static final Logger LOG = Logger.getLogger(LeaseShardCoordinator.class);

  /** The checkpoint annotation of a shard Lease: a sequence number or {@link #SHARD_END}. */
  public static final String CHECKPOINT = "kubeless.io/checkpoint";

  public static final String SHARD = "shard";
  public static final String MEMBER = "member";

  static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  static final String NAMESPACE = "kubeless.io/namespace";
  static final String TRIGGER = "kubeless.io/trigger";
  static final String FUNCTION = "kubeless.io/function";
  static final String SHARD_ID = "kubeless.io/shard";
  static final String IDENTITY = "kubeless.io/identity";

  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern LABEL_VALUE =
      Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]");
  private static final int CONFLICT = 409;
  private static final int NOT_FOUND = 404;
  private static final int ATTEMPTS = 5;

  /** A shard Lease lasts this many lease durations unless the settings say otherwise. */
  public static final int SHARD_LEASE_FACTOR = 10;

  /**
   * How often the Leases of triggers and functions that no longer exist are looked for (after one
   * minute).
   */
  public static final Duration STALE_SWEEP_INTERVAL = Duration.ofMinutes(10);

  /**
   * Where the Leases are and how they are kept.
   *
   * @param source the event source, a DNS label: {@code kinesis}, {@code kafka}
   * @param namespace the Leases' namespace, the controller's own
   * @param identity this replica's name in them (its pod name)
   * @param leaseDuration how long a membership Lease not renewed keeps the others away: a crashed
   *     replica's shards move this long after its last renewal
   * @param renewInterval how often the membership Lease is renewed (readers claim as often)
   * @param shardLeaseDuration how long a shard Lease lasts without a renewal or a checkpoint, while
   *     its holder's membership Lease is renewed: it only bounds a replica that is alive but whose
   *     reader is stuck; renewed when a third of it has passed
   */
  public record Settings(
      String source,
      String namespace,
      String identity,
      Duration leaseDuration,
      Duration renewInterval,
      Duration shardLeaseDuration) {

    /** Settings whose shard Leases last {@value #SHARD_LEASE_FACTOR} lease durations. */
    public Settings(
        String source,
        String namespace,
        String identity,
        Duration leaseDuration,
        Duration renewInterval) {
      this(
          source,
          namespace,
          identity,
          leaseDuration,
          renewInterval,
          leaseDuration.multipliedBy(SHARD_LEASE_FACTOR));
    }

    public Settings {
      if (source == null || !DNS_LABEL.matcher(source).matches()) {
        throw new IllegalArgumentException("the source must be a DNS label: " + source);
      }
      Objects.requireNonNull(namespace, "namespace");
      Objects.requireNonNull(identity, "identity");
      if (renewInterval.isNegative()
          || renewInterval.isZero()
          || renewInterval.compareTo(leaseDuration) >= 0) {
        throw new IllegalArgumentException(
            "the renew interval must be positive and shorter than the lease duration");
      }
      if (shardLeaseDuration.compareTo(leaseDuration) < 0) {
        throw new IllegalArgumentException(
            "a shard Lease must last at least the lease duration: " + shardLeaseDuration);
      }
    }
  }

  private final KubernetesClient client;
  private final Settings settings;
  private final String source;
  private final String role;
  private final String bindingKey;
  private final Clock clock;
  private final String memberLease;
  private final int leaseSeconds;
  private final int shardLeaseSeconds;

  /** A shard Lease this replica holds is written again once its last write is this old. */
  private final Duration shardRenewAfter;

  private final ScheduledExecutorService membership;
  private final SharedIndexInformer<Lease> cache;

  /** The Leases this replica holds, as last written: their resourceVersion saves a read. */
  private final Map<String, Lease> held = new ConcurrentHashMap<>();

  /** The triggers of the source's kind and the Functions that exist; null: no sweep. */
  private final Supplier<Existing> existing;

  private volatile boolean closed;
  private volatile boolean sweepFailed;

  /** Whether this replica's membership Lease was written once: the others count it from then. */
  private volatile boolean member;

  /** A coordinator that leaves the Leases of deleted triggers to {@link #forget}. */
  public LeaseShardCoordinator(KubernetesClient client, Settings settings) {
    this(client, settings, null);
  }

  /**
   * @param existing the triggers of the source's kind and the Functions that exist, read from the
   *     API server (not a cache that may not have synced): every {@link #STALE_SWEEP_INTERVAL}, the
   *     shard Leases of any other trigger or function that nobody has written for two shard Lease
   *     durations are deleted ({@link #forgetStale}); null for none
   */
  public LeaseShardCoordinator(
      KubernetesClient client, Settings settings, Supplier<Existing> existing) {
    this.existing = existing;
    this.client = client;
    this.settings = settings;
    this.source = settings.source();
    this.role = roleLabel(source);
    this.bindingKey = bindingLabelKey(source);
    this.clock = Clock.systemUTC();
    this.memberLease = memberLeaseName(source, settings.identity());
    this.leaseSeconds = seconds(settings.leaseDuration());
    this.shardLeaseSeconds = seconds(settings.shardLeaseDuration());
    Duration third = Duration.ofSeconds(shardLeaseSeconds).dividedBy(3);
    this.shardRenewAfter =
        third.compareTo(settings.renewInterval()) > 0 ? third : settings.renewInterval();
    this.membership =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name(source + "-membership").unstarted(r));
    membership.scheduleWithFixedDelay(
        this::renewMembership, 0, settings.renewInterval().toMillis(), TimeUnit.MILLISECONDS);
    if (existing != null) {
      membership.scheduleWithFixedDelay(
          this::sweepStale,
          Math.min(60_000, STALE_SWEEP_INTERVAL.toMillis()),
          STALE_SWEEP_INTERVAL.toMillis(),
          TimeUnit.MILLISECONDS);
    }
    this.cache = leases().withLabel(role).runnableInformer(0);
    // shard Leases by their binding's label value (memberships have none), and all by role
    cache.addIndexers(
        Map.of(
            BY_BINDING, lease -> label(lease, bindingKey), BY_ROLE, lease -> label(lease, role)));
    cache.start();
  }

  private static final String BY_BINDING = "binding";
  private static final String BY_ROLE = "role";

  private static List<String> label(Lease lease, String key) {
    Map<String, String> labels = lease.getMetadata().getLabels();
    String value = labels == null ? null : labels.get(key);
    return value == null ? List.of() : List.of(value);
  }

  @Override
  public String identity() {
    return settings.identity();
  }

  /** What a Lease of a source is for: {@value #SHARD} or {@value #MEMBER}. */
  public static String roleLabel(String source) {
    return "kubeless.io/" + source + "-lease";
  }

  /**
   * The label holding the binding of a shard Lease: the first 16 hex digits of
   * sha256(namespace/trigger/function).
   */
  public static String bindingLabelKey(String source) {
    return "kubeless.io/" + source + "-binding";
  }

  /** The Lease of a binding's shard: {@code <source>-<sha256(ns/trigger/function/shard):16>}. */
  public static String leaseName(String source, BindingKey binding, String shard) {
    return source + "-" + hash(binding + "/" + shard);
  }

  /** The label value that finds a binding's shard Leases. */
  public static String bindingLabel(BindingKey binding) {
    return hash(binding.toString());
  }

  /** A replica's membership Lease: {@code <source>-member-<identity>}, or its hash if too long. */
  public static String memberLeaseName(String source, String identity) {
    String name = source + "-member-" + identity;
    return name.length() <= 63 && DNS_LABEL.matcher(name).matches()
        ? name
        : source + "-member-" + hash(identity);
  }

  private String leaseName(BindingKey binding, String shard) {
    return leaseName(source, binding, shard);
  }

  @Override
  public Set<String> claim(BindingKey binding, List<String> shards) {
    if (closed) {
      return Set.of();
    }
    try {
      return claimLeases(binding, shards);
    } catch (KubernetesClientException e) {
      throw unavailable("claiming the shards of " + binding, e);
    }
  }

  private Set<String> claimLeases(BindingKey binding, List<String> shards) {
    if (!member) {
      // the others hold a shard Lease for this replica's only once they see its membership
      synchronized (this) {
        if (!member) {
          writeMembership();
        }
      }
    }
    Instant now = clock.instant();
    Map<String, Lease> leases = shardLeases(binding);
    List<String> wanted = new ArrayList<>(new TreeSet<>(shards));
    Set<String> members = liveMembers(now);
    int share = Math.ceilDiv(wanted.size(), members.size());

    List<String> own = new ArrayList<>();
    List<String> free = new ArrayList<>();
    for (String shard : wanted) {
      Lease lease = leases.get(shard);
      if (lease == null || !held(lease, members, now)) {
        free.add(shard);
      } else if (identity().equals(lease.getSpec().getHolderIdentity())) {
        own.add(shard);
      } else {
        held.remove(leaseName(binding, shard));
      }
    }

    Set<String> mine = new TreeSet<>();
    for (String shard : own) {
      if (mine.size() >= share) {
        // beyond this replica's share: no longer renewed; the reader stops it, checkpoints and
        // calls release(), and a replica below its share takes it
        LOG.debugf("%s gives up shard %s of %s (share %d)", identity(), shard, binding, share);
        continue;
      }
      if (renew(leases.get(shard), now)) {
        mine.add(shard);
      }
    }
    // a shard this replica held whose Lease expired unseen is taken again like any free one
    Collections.shuffle(free);
    for (String shard : free) {
      if (mine.size() >= share) {
        break;
      }
      if (acquire(binding, shard, leases.get(shard), now)) {
        mine.add(shard);
      }
    }
    return mine;
  }

  @Override
  public Optional<String> checkpoint(BindingKey binding, String shard) {
    Lease lease;
    try {
      lease = leases().withName(leaseName(binding, shard)).get();
    } catch (KubernetesClientException e) {
      throw unavailable("reading the checkpoint of shard " + shard + " of " + binding, e);
    }
    return Optional.ofNullable(lease)
        .map(l -> l.getMetadata().getAnnotations())
        .map(a -> a.get(CHECKPOINT));
  }

  @Override
  public void checkpoint(BindingKey binding, String shard, String sequenceNumber)
      throws LostShardException {
    try {
      writeCheckpoint(binding, shard, sequenceNumber);
    } catch (KubernetesClientException e) {
      throw unavailable("checkpointing shard " + shard + " of " + binding, e);
    }
  }

  private void writeCheckpoint(BindingKey binding, String shard, String sequenceNumber)
      throws LostShardException {
    String name = leaseName(binding, shard);
    Lease current = held.get(name);
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (current == null) {
        current = leases().withName(name).get();
      }
      if (current == null || !identity().equals(current.getSpec().getHolderIdentity())) {
        held.remove(name);
        throw lost(binding, shard, current);
      }
      Lease next =
          new LeaseBuilder(current)
              .editMetadata()
              .addToAnnotations(CHECKPOINT, sequenceNumber)
              .endMetadata()
              .editSpec()
              .withRenewTime(now())
              .withLeaseDurationSeconds(shardLeaseSeconds)
              .endSpec()
              .build();
      try {
        held.put(name, leases().resource(next).update());
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() == NOT_FOUND) {
          held.remove(name);
          throw lost(binding, shard, null);
        }
        if (e.getCode() != CONFLICT) {
          throw e;
        }
        // written meanwhile (a renewal, or a takeover): look again
        current = null;
      }
    }
    held.remove(name);
    throw new LostShardException(
        "shard " + shard + " of " + binding + ": its Lease " + name + " keeps changing");
  }

  @Override
  public void release(BindingKey binding, String shard) {
    String name = leaseName(binding, shard);
    Lease current = held.remove(name);
    try {
      for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
        if (current == null) {
          current = leases().withName(name).get();
        }
        if (current == null || !identity().equals(current.getSpec().getHolderIdentity())) {
          return;
        }
        Lease free =
            new LeaseBuilder(current)
                .editSpec()
                .withHolderIdentity(null)
                .withRenewTime(now())
                .endSpec()
                .build();
        try {
          leases().resource(free).update();
          LOG.debugf("%s released shard %s of %s", identity(), shard, binding);
          return;
        } catch (KubernetesClientException e) {
          if (e.getCode() != CONFLICT) {
            throw e;
          }
          current = null;
        }
      }
    } catch (KubernetesClientException e) {
      // the Lease expires anyway; the next owner only waits longer
      LOG.warnf(
          "%s could not release shard %s of %s (Lease %s/%s): %s",
          identity(), shard, binding, settings.namespace(), name, e.getMessage());
    }
  }

  @Override
  public Map<String, String> owners(BindingKey binding) {
    Instant now = clock.instant();
    Map<String, String> owners = new TreeMap<>();
    Map<String, Lease> leases;
    Set<String> members;
    try {
      leases = shardLeases(binding);
      members = liveMembers(now);
    } catch (KubernetesClientException e) {
      throw unavailable("reading the owners of " + binding, e);
    }
    leases.forEach(
        (shard, lease) -> {
          if (held(lease, members, now)) {
            owners.put(shard, lease.getSpec().getHolderIdentity());
          }
        });
    return owners;
  }

  /**
   * Deletes the binding's shard Leases that nobody else holds: free, expired, or this replica's.
   * One another replica holds live is left to it (it forgets the binding when it learns the trigger
   * is gone, or the binding is that of a trigger created again under the same name). Each delete is
   * conditional on the version read, so a Lease taken over meanwhile stays.
   */
  @Override
  public void forget(BindingKey binding) {
    Instant now = clock.instant();
    List<Lease> leases;
    Set<String> members;
    try {
      leases = listShardLeases(binding, true);
      members = liveMembers(now);
    } catch (KubernetesClientException e) {
      LOG.warnf("Could not list the Leases of %s to delete them: %s", binding, e.getMessage());
      return;
    }
    for (Lease lease : leases) {
      String name = lease.getMetadata().getName();
      if (lease.getSpec() != null
          && held(lease, members, now)
          && !identity().equals(lease.getSpec().getHolderIdentity())) {
        continue;
      }
      held.remove(name);
      try {
        leases()
            .withName(name)
            .lockResourceVersion(lease.getMetadata().getResourceVersion())
            .delete();
        LOG.debugf("%s deleted Lease %s of %s", identity(), name, binding);
      } catch (KubernetesClientException e) {
        if (e.getCode() != CONFLICT) {
          LOG.warnf(
              "Could not delete Lease %s/%s of %s: %s",
              settings.namespace(), name, binding, e.getMessage());
        }
      }
    }
  }

  /**
   * What exists in the cluster when the sweep reads it: the triggers of the source's kind, each
   * with the functions it selects (empty when its spec is invalid: its Leases are kept for the
   * spec's fix), and the Functions with their labels, each by namespace and name.
   */
  public record Existing(
      Map<TriggerId, Optional<FunctionSelection>> triggers,
      Map<TriggerId, Map<String, String>> functions) {

    /** The triggers and functions by name alone: no binding is judged by its selection. */
    public Existing(Set<TriggerId> triggers, Set<TriggerId> functions) {
      this(
          triggers.stream()
              .collect(
                  java.util.stream.Collectors.toMap(
                      t -> t, t -> Optional.<FunctionSelection>empty())),
          functions.stream()
              .collect(java.util.stream.Collectors.toMap(f -> f, f -> Map.<String, String>of())));
    }

    /**
     * Why the Leases of {@code binding} may go, or null when its trigger and function exist and the
     * trigger selects the function (or its spec is invalid).
     */
    String gone(BindingKey binding) {
      Optional<FunctionSelection> selection = triggers.get(binding.trigger());
      if (selection == null) {
        return "its trigger no longer exists";
      }
      if (binding.function() == null) {
        return null;
      }
      Map<String, String> labels =
          functions.get(new TriggerId(binding.trigger().namespace(), binding.function()));
      if (labels == null) {
        return "its function no longer exists";
      }
      if (selection.isPresent() && !selection.get().matches(binding.function(), labels)) {
        return "its trigger no longer selects its function";
      }
      return null;
    }
  }

  /** A trigger spec's selection of functions, as its source reads it; throws for an invalid one. */
  @FunctionalInterface
  public interface Selection<S> {
    FunctionSelection of(S spec) throws InvalidTriggerException;
  }

  /**
   * Deletes the shard Leases of bindings whose trigger or function no longer exists and that nobody
   * has written for two shard Lease durations: those of triggers or functions deleted while no
   * replica ran (a running replica {@linkplain #forget forgets} the bindings it retires), which
   * would otherwise stay forever. The triggers and functions are read first, then the Leases, all
   * from the API server: a trigger or function created meanwhile has Leases written moments ago,
   * and a Lease of a binding that lives is written at least once a third of its duration. Each
   * delete is conditional on the version read, so a Lease claimed meanwhile (a trigger or function
   * created again under the same name) stays.
   *
   * @return how many Leases were deleted
   */
  public int forgetStale() {
    if (existing == null || closed) {
      return 0;
    }
    Existing exists;
    List<Lease> leases;
    try {
      exists = existing.get();
      leases = leases().withLabel(role, SHARD).list().getItems();
    } catch (KubernetesClientException e) {
      if (!sweepFailed) {
        sweepFailed = true;
        LOG.warnf(
            "Cannot look for the %s Leases of deleted triggers and functions (they stay until"
                + " deleted by hand): %s",
            source, e.getMessage());
      }
      return 0;
    }
    Instant now = clock.instant();
    int deleted = 0;
    for (Lease lease : leases) {
      Map<String, String> a = lease.getMetadata().getAnnotations();
      if (a == null || a.get(NAMESPACE) == null || a.get(TRIGGER) == null) {
        continue;
      }
      TriggerId trigger = new TriggerId(a.get(NAMESPACE), a.get(TRIGGER));
      String gone = exists.gone(new BindingKey(trigger, a.get(FUNCTION)));
      if (gone == null
          || lease.getSpec() == null
          || expiry(lease).plus(settings.shardLeaseDuration()).isAfter(now)) {
        continue;
      }
      String name = lease.getMetadata().getName();
      try {
        leases()
            .withName(name)
            .lockResourceVersion(lease.getMetadata().getResourceVersion())
            .delete();
        deleted++;
        LOG.infof(
            "Deleted Lease %s/%s (shard %s of %s, function %s): %s",
            settings.namespace(), name, a.get(SHARD_ID), trigger, a.get(FUNCTION), gone);
      } catch (KubernetesClientException e) {
        if (e.getCode() != CONFLICT && e.getCode() != NOT_FOUND) {
          LOG.warnf("Could not delete Lease %s/%s: %s", settings.namespace(), name, e.getMessage());
        }
      }
    }
    return deleted;
  }

  /**
   * The triggers of {@code kind} with the functions each selects, and the Functions in the cluster
   * with their labels, listed from the API server when called (a page at a time, keeping only
   * names, selections and labels: a Function holds its code).
   */
  public static <S, T extends CustomResource<S, ?>> Supplier<Existing> existing(
      KubernetesClient client, Class<T> kind, Selection<S> selection) {
    return () -> {
      Map<TriggerId, Optional<FunctionSelection>> triggers = new HashMap<>();
      each(
          client,
          kind,
          t -> {
            Optional<FunctionSelection> selects;
            try {
              selects = Optional.of(selection.of(t.getSpec()));
            } catch (InvalidTriggerException | RuntimeException e) {
              selects = Optional.empty();
            }
            triggers.put(id(t), selects);
          });
      Map<TriggerId, Map<String, String>> functions = new HashMap<>();
      each(
          client,
          Function.class,
          f ->
              functions.put(
                  id(f),
                  f.getMetadata().getLabels() == null
                      ? Map.of()
                      : Map.copyOf(f.getMetadata().getLabels())));
      return new Existing(triggers, functions);
    };
  }

  private static TriggerId id(HasMetadata item) {
    return new TriggerId(item.getMetadata().getNamespace(), item.getMetadata().getName());
  }

  private static <T extends HasMetadata> void each(
      KubernetesClient client, Class<T> kind, java.util.function.Consumer<T> each) {
    String next = null;
    do {
      var page =
          client
              .resources(kind)
              .inAnyNamespace()
              .list(new ListOptionsBuilder().withLimit(LIST_PAGE).withContinue(next).build());
      page.getItems().forEach(each);
      next = page.getMetadata() == null ? null : page.getMetadata().getContinue();
    } while (next != null && !next.isEmpty());
  }

  /** Objects per page of the sweep's lists. */
  private static final long LIST_PAGE = 100;

  private void sweepStale() {
    try {
      forgetStale();
    } catch (RuntimeException e) {
      LOG.warnf(e, "Looking for the %s Leases of deleted triggers and functions failed", source);
    }
  }

  /**
   * Stops renewing, releases every shard Lease this replica holds (their checkpoints stay) and
   * deletes its membership Lease, so the other replicas take its shards over at once.
   */
  @Override
  public void close() {
    closed = true;
    cache.stop();
    membership.shutdownNow();
    try {
      membership.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Lease lease : List.copyOf(held.values())) {
      Map<String, String> a = lease.getMetadata().getAnnotations();
      BindingKey binding =
          new BindingKey(new TriggerId(a.get(NAMESPACE), a.get(TRIGGER)), a.get(FUNCTION));
      try {
        release(binding, a.get(SHARD_ID));
      } catch (RuntimeException e) {
        LOG.warnf(
            "%s could not release shard %s of %s: %s", identity(), a.get(SHARD_ID), binding, e);
      }
    }
    try {
      leases().withName(memberLease).delete();
    } catch (RuntimeException e) {
      LOG.warnf(
          "Could not delete membership Lease %s/%s: %s",
          settings.namespace(), memberLease, e.getMessage());
    }
  }

  // --- shard Leases ------------------------------------------------------------------------

  private boolean renew(Lease cached, Instant now) {
    String name = cached.getMetadata().getName();
    // the cache may not have seen this replica's last write yet, which is then the one to go by
    Lease written = held.get(name);
    Lease lease = written != null && renewed(written).isAfter(renewed(cached)) ? written : cached;
    if (renewedLately(lease, now)) {
      // a checkpoint renews too: this replica's membership Lease says it is alive, so an idle
      // shard costs a write only once a third of its Lease has passed
      held.putIfAbsent(name, lease);
      return true;
    }
    Lease current = lease;
    for (int attempt = 0; attempt < 2; attempt++) {
      if (current == null || !identity().equals(current.getSpec().getHolderIdentity())) {
        break;
      }
      if (attempt > 0 && renewedLately(current, now)) {
        // renewed meanwhile (a checkpoint): nothing to write
        held.put(name, current);
        return true;
      }
      try {
        held.put(
            name,
            leases()
                .resource(
                    new LeaseBuilder(current)
                        .editSpec()
                        .withRenewTime(now())
                        .withLeaseDurationSeconds(shardLeaseSeconds)
                        .endSpec()
                        .build())
                .update());
        return true;
      } catch (KubernetesClientException e) {
        if (e.getCode() != CONFLICT) {
          LOG.warnf("%s could not renew Lease %s: %s", identity(), name, e.getMessage());
          // still held until it expires: keep reading, the next checkpoint tells
          return held.containsKey(name);
        }
        current = leases().withName(name).get();
      }
    }
    held.remove(name);
    return false;
  }

  /**
   * Whether a shard Lease was renewed within a third of its duration, as this version writes it.
   */
  private boolean renewedLately(Lease lease, Instant now) {
    return renewed(lease).plus(shardRenewAfter).isAfter(now)
        && Integer.valueOf(shardLeaseSeconds).equals(lease.getSpec().getLeaseDurationSeconds());
  }

  private static Instant renewed(Lease lease) {
    ZonedDateTime time = lease.getSpec().getRenewTime();
    return time == null ? Instant.MIN : time.toInstant();
  }

  private boolean acquire(BindingKey binding, String shard, Lease existing, Instant now) {
    String name = leaseName(binding, shard);
    ZonedDateTime time = now();
    try {
      Lease taken;
      if (existing == null) {
        taken =
            leases()
                .resource(
                    newLease(
                        name,
                        shardLabels(binding),
                        annotations(binding, shard),
                        time,
                        0,
                        shardLeaseSeconds))
                .create();
      } else {
        String previous = existing.getSpec().getHolderIdentity();
        Integer transitions = existing.getSpec().getLeaseTransitions();
        taken =
            leases()
                .resource(
                    new LeaseBuilder(existing)
                        .editSpec()
                        .withHolderIdentity(identity())
                        .withLeaseDurationSeconds(shardLeaseSeconds)
                        .withAcquireTime(time)
                        .withRenewTime(time)
                        .withLeaseTransitions(transitions == null ? 1 : transitions + 1)
                        .endSpec()
                        .build())
                .update();
        if (previous != null && !previous.isEmpty() && !previous.equals(identity())) {
          LOG.infof(
              "%s took over shard %s of %s from %s, which is gone or whose Lease expired",
              identity(), shard, binding, previous);
        }
      }
      held.put(name, taken);
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() != CONFLICT) {
        LOG.warnf("%s could not acquire Lease %s: %s", identity(), name, e.getMessage());
      }
      // another replica was faster
      return false;
    }
  }

  /** The binding's shard Leases by shard id. */
  private Map<String, Lease> shardLeases(BindingKey binding) {
    Map<String, Lease> byShard = new HashMap<>();
    for (Lease lease : listShardLeases(binding)) {
      Map<String, String> a = lease.getMetadata().getAnnotations();
      if (a != null && lease.getSpec() != null && a.get(SHARD_ID) != null) {
        byShard.put(a.get(SHARD_ID), lease);
      }
    }
    return byShard;
  }

  private List<Lease> listShardLeases(BindingKey binding) {
    return listShardLeases(binding, false);
  }

  /**
   * The binding's shard Leases, from the cache once it has synced unless {@code fresh} asks the API
   * server (for what must not miss a Lease created a moment ago).
   */
  private List<Lease> listShardLeases(BindingKey binding, boolean fresh) {
    List<Lease> leases;
    if (!fresh && cache.hasSynced()) {
      leases =
          cache.getIndexer().byIndex(BY_BINDING, bindingLabel(binding)).stream()
              .filter(l -> SHARD.equals(l.getMetadata().getLabels().get(role)))
              .toList();
    } else {
      leases =
          leases()
              .withLabel(role, SHARD)
              .withLabel(bindingKey, bindingLabel(binding))
              .list()
              .getItems();
    }
    // a hash collision of two bindings is all but impossible; the annotations settle it anyway
    return leases.stream().filter(l -> belongsTo(l, binding)).toList();
  }

  private static boolean belongsTo(Lease lease, BindingKey binding) {
    Map<String, String> a = lease.getMetadata().getAnnotations();
    return a != null
        && binding.trigger().namespace().equals(a.get(NAMESPACE))
        && binding.trigger().name().equals(a.get(TRIGGER))
        && binding.function().equals(a.get(FUNCTION));
  }

  private Map<String, String> shardLabels(BindingKey binding) {
    Map<String, String> labels = new HashMap<>();
    labels.put(MANAGED_BY, manager());
    labels.put(role, SHARD);
    labels.put(bindingKey, bindingLabel(binding));
    // readable selectors where the names fit in a label value (kubectl get leases -l ...)
    putIfLabelValue(labels, NAMESPACE, binding.trigger().namespace());
    putIfLabelValue(labels, TRIGGER, binding.trigger().name());
    putIfLabelValue(labels, FUNCTION, binding.function());
    return labels;
  }

  private static void putIfLabelValue(Map<String, String> labels, String key, String value) {
    if (LABEL_VALUE.matcher(value).matches()) {
      labels.put(key, value);
    }
  }

  private static Map<String, String> annotations(BindingKey binding, String shard) {
    return Map.of(
        NAMESPACE, binding.trigger().namespace(),
        TRIGGER, binding.trigger().name(),
        FUNCTION, binding.function(),
        SHARD_ID, shard);
  }

  private LostShardException lost(BindingKey binding, String shard, Lease lease) {
    String holder = lease == null ? null : lease.getSpec().getHolderIdentity();
    return new LostShardException(
        "shard "
            + shard
            + " of "
            + binding
            + " is no longer "
            + identity()
            + "'s: "
            + (lease == null
                ? "its Lease is gone"
                : holder == null || holder.isEmpty()
                    ? "its Lease was released"
                    : "it is now " + holder + "'s"));
  }

  // --- membership --------------------------------------------------------------------------

  /** This replica plus the others whose membership Lease was renewed within the lease duration. */
  private Set<String> liveMembers(Instant now) {
    Set<String> members = new LinkedHashSet<>();
    members.add(identity());
    List<Lease> memberships =
        cache.hasSynced()
            ? cache.getIndexer().byIndex(BY_ROLE, MEMBER)
            : leases().withLabel(role, MEMBER).list().getItems();
    for (Lease lease : memberships) {
      if (lease.getSpec() == null) {
        continue;
      }
      if (live(lease, now)) {
        members.add(lease.getSpec().getHolderIdentity());
      } else if (expiredLongAgo(lease, now)) {
        // a replica that crashed; pods have new names, so nobody else will ever renew it
        try {
          leases().withName(lease.getMetadata().getName()).delete();
        } catch (KubernetesClientException e) {
          LOG.debugf("Could not delete stale Lease %s: %s", lease.getMetadata().getName(), e);
        }
      }
    }
    return members;
  }

  private void renewMembership() {
    if (closed) {
      return;
    }
    try {
      writeMembership();
    } catch (KubernetesClientException e) {
      LOG.warnf(
          "%s could not renew its membership Lease %s/%s: %s",
          identity(), settings.namespace(), memberLease, e.getMessage());
    } catch (RuntimeException e) {
      LOG.warnf(e, "%s could not renew its membership Lease", identity());
    }
  }

  /** Creates or renews this replica's membership Lease. */
  private synchronized void writeMembership() {
    Lease current = leases().withName(memberLease).get();
    ZonedDateTime time = now();
    if (current == null) {
      leases()
          .resource(
              newLease(
                  memberLease,
                  Map.of(MANAGED_BY, manager(), role, MEMBER),
                  Map.of(IDENTITY, identity()),
                  time,
                  null,
                  leaseSeconds))
          .create();
    } else {
      leases()
          .resource(
              new LeaseBuilder(current)
                  .editSpec()
                  .withHolderIdentity(identity())
                  .withLeaseDurationSeconds(leaseSeconds)
                  .withRenewTime(time)
                  .endSpec()
                  .build())
          .update();
    }
    member = true;
  }

  private CoordinatorUnavailableException unavailable(String what, KubernetesClientException e) {
    return new CoordinatorUnavailableException(
        "Kubernetes API server: "
            + what
            + " in namespace "
            + settings.namespace()
            + " failed: "
            + (e.getCode() > 0 ? "HTTP " + e.getCode() + " " : "")
            + e.getMessage(),
        e);
  }

  // --- time and names ----------------------------------------------------------------------

  private boolean live(Lease lease, Instant now) {
    String holder = lease.getSpec().getHolderIdentity();
    return holder != null && !holder.isEmpty() && !expiry(lease).isBefore(now);
  }

  /**
   * Whether a shard Lease is held: by this replica, or by a live member (its membership Lease
   * renewed within the lease duration), and not expired (a holder alive but stuck lets it expire).
   */
  private boolean held(Lease lease, Set<String> members, Instant now) {
    if (!live(lease, now)) {
      return false;
    }
    String holder = lease.getSpec().getHolderIdentity();
    return holder.equals(identity()) || members.contains(holder);
  }

  private boolean expiredLongAgo(Lease lease, Instant now) {
    return expiry(lease).plus(settings.leaseDuration().multipliedBy(10)).isBefore(now);
  }

  private Instant expiry(Lease lease) {
    ZonedDateTime renewed = lease.getSpec().getRenewTime();
    if (renewed == null) {
      return Instant.MIN;
    }
    Integer seconds = lease.getSpec().getLeaseDurationSeconds();
    return renewed
        .toInstant()
        .plus(seconds == null ? settings.leaseDuration() : Duration.ofSeconds(seconds));
  }

  private static int seconds(Duration duration) {
    return (int) Math.max(1, (duration.toMillis() + 999) / 1000);
  }

  private ZonedDateTime now() {
    return ZonedDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
  }

  private NonNamespaceOperation<Lease, LeaseList, Resource<Lease>> leases() {
    return client.resources(Lease.class, LeaseList.class).inNamespace(settings.namespace());
  }

  /** A Lease this replica holds from {@code time}. */
  private Lease newLease(
      String name,
      Map<String, String> labels,
      Map<String, String> annotations,
      ZonedDateTime time,
      Integer transitions,
      int seconds) {
    return new LeaseBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(settings.namespace())
        .withLabels(labels)
        .withAnnotations(annotations)
        .endMetadata()
        .withNewSpec()
        .withHolderIdentity(identity())
        .withLeaseDurationSeconds(seconds)
        .withAcquireTime(time)
        .withRenewTime(time)
        .withLeaseTransitions(transitions)
        .endSpec()
        .build();
  }

  private String manager() {
    return "kubeless-" + source + "-trigger";
  }

  private static String hash(String value) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
