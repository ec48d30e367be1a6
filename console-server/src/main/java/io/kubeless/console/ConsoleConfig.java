package io.kubeless.console;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** The console server's configuration. */
@ConfigMapping(prefix = "kubeless.console")
public interface ConsoleConfig {

  /** How a user is recognised. */
  enum AuthMode {
    /** A shared token: a bearer header, or the cookie {@code POST /api/login} sets. */
    TOKEN,
    /** An authenticating proxy in front (oauth2-proxy, ...) names the user in a header. */
    PROXY
  }

  /**
   * {@code token} (the default): every API request carries the token; {@code proxy}: an auth proxy
   * in front has authenticated the user and names them in {@link #userHeader()}.
   */
  @WithDefault("token")
  AuthMode auth();

  /**
   * The token of {@code auth=token}, from the environment variable {@code KUBELESS_CONSOLE_TOKEN}
   * (a Secret); the server does not start in that mode without one.
   */
  Optional<String> token();

  /** The header in which the auth proxy names the user, with {@code auth=proxy}. */
  @WithDefault("X-Forwarded-User")
  String userHeader();

  /** How functions are reached. */
  Functions functions();

  /** Where the trigger controllers run, whose metrics give each binding's counts. */
  Controllers controllers();

  /** Kafka, for test messages and peeking at topics; absent: those answer 409. */
  Kafka kafka();

  /** NATS, for test messages; absent: publishing answers 409. */
  Nats nats();

  /** How functions are reached. */
  interface Functions {

    /**
     * Where a function is called, derived from the Function (never from its status): an http(s) URL
     * made of the placeholders {@code {name}}, {@code {namespace}} and {@code {port}} (its
     * Service's port). Checked at start-up.
     */
    @WithDefault("http://{name}.{namespace}.svc.cluster.local:{port}")
    String urlTemplate();

    /** Added to a function's {@code spec.timeout} to bound a call made from the console. */
    @WithDefault("2s")
    Duration timeoutGrace();
  }

  /** The trigger controllers. */
  interface Controllers {

    /** Their namespace (k8s/'s is {@code kubeless}). */
    @WithDefault("kubeless")
    String namespace();

    /**
     * Their metrics port when the pod has no {@code prometheus.io/port} annotation (the Deployments
     * of k8s/ have one).
     */
    @WithDefault("8080")
    int metricsPort();
  }

  /** Kafka. */
  interface Kafka {

    /** Bootstrap servers, e.g. {@code kafka.kafka:9092}. */
    Optional<String> brokers();
  }

  /** NATS. */
  interface Nats {

    /** Server URL, e.g. {@code nats://nats.nats:4222}. */
    Optional<String> url();
  }
}
