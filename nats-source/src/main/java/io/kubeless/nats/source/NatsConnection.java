package io.kubeless.nats.source;

import io.nats.client.AuthHandler;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Consumer;
import io.nats.client.ErrorListener;
import io.nats.client.NKey;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jboss.logging.Logger;

/**
 * The one connection a process keeps to NATS, shared by every binding. It connects when a binding
 * first needs it (a failed first connect is retried by the bindings, with back-off), then
 * reconnects by itself for ever; meanwhile {@link #problem()} says what is wrong, and the bindings
 * are told when it changes, so their status shows the outage.
 */
final class NatsConnection implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(NatsConnection.class);

  private final NatsSettings.Server server;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private volatile Connection connection;
  private volatile String problem = "not connected yet";
  private volatile boolean closed;

  NatsConnection(NatsSettings.Server server) {
    this.server = server;
  }

  /** The connection, connecting first if need be. */
  synchronized Connection get() throws IOException, InterruptedException {
    if (closed) {
      throw new IOException("the NATS source is closed");
    }
    if (connection == null) {
      try {
        connection = Nats.connect(options());
        problem = null;
        LOG.infof("Connected to NATS at %s", connection.getConnectedUrl());
      } catch (IOException e) {
        problem = "cannot connect to " + server.urls() + ": " + describe(e);
        throw new IOException(problem, e);
      }
    }
    return connection;
  }

  /** What keeps the connection from working now, or null while connected. */
  String problem() {
    return problem;
  }

  /** Tells {@code listener} whenever the connection's state changed. */
  void onChange(Runnable listener) {
    listeners.add(listener);
  }

  void removeListener(Runnable listener) {
    listeners.remove(listener);
  }

  private Options options() throws IOException {
    Options.Builder b =
        new Options.Builder()
            .servers(server.urls().split("\\s*,\\s*"))
            .connectionName(server.connectionName())
            .maxReconnects(-1)
            .reconnectWait(server.reconnectWait())
            .connectionListener(new Listener())
            .errorListener(new Errors());
    if (server.token().isPresent()) {
      b.token(server.token().get().toCharArray());
    } else if (server.user().isPresent()) {
      b.userInfo(server.user().get(), server.password().orElse(""));
    } else if (server.nkeySeed().isPresent()) {
      b.authHandler(nkey(server.nkeySeed().get()));
    } else if (server.credentialsFile().isPresent()) {
      b.authHandler(Nats.credentials(server.credentialsFile().get().toString()));
    }
    if (server.tls().isPresent()) {
      NatsSettings.Tls tls = server.tls().get();
      try {
        tls.truststore().ifPresent(p -> b.truststorePath(p.toString()));
        tls.truststorePassword().ifPresent(p -> b.truststorePassword(p.toCharArray()));
        tls.keystore().ifPresent(p -> b.keystorePath(p.toString()));
        tls.keystorePassword().ifPresent(p -> b.keystorePassword(p.toCharArray()));
        if (tls.truststore().isEmpty() && tls.keystore().isEmpty()) {
          b.secure();
        }
      } catch (GeneralSecurityException e) {
        throw new IOException("TLS settings: " + e.getMessage(), e);
      }
    }
    return b.build();
  }

  /** Signs the server's nonce with an NKey seed (no JWT). */
  private static AuthHandler nkey(String seed) throws IOException {
    NKey key;
    try {
      key = NKey.fromSeed(seed.toCharArray());
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new IOException("the NKey seed is not valid: " + e.getMessage(), e);
    }
    return new AuthHandler() {
      @Override
      public byte[] sign(byte[] nonce) {
        try {
          return key.sign(nonce);
        } catch (GeneralSecurityException | IOException e) {
          throw new IllegalStateException("signing the NATS nonce failed", e);
        }
      }

      @Override
      public char[] getID() {
        try {
          return key.getPublicKey();
        } catch (GeneralSecurityException | IOException e) {
          throw new IllegalStateException("the NKey has no public key", e);
        }
      }

      @Override
      public char[] getJWT() {
        return null;
      }
    };
  }

  private void changed() {
    listeners.forEach(
        l -> {
          try {
            l.run();
          } catch (RuntimeException e) {
            LOG.errorf(e, "A NATS connection listener failed");
          }
        });
  }

  private final class Listener implements ConnectionListener {
    @Override
    public void connectionEvent(Connection conn, Events type) {
      if (conn != connection) {
        // a connect attempt that failed (get() reports it, and the bindings back off), or the
        // first connect, before get() took it: waking every binding here would make them retry
        // in lockstep and rewrite their status each time
        return;
      }
      switch (type) {
        case CONNECTED, RECONNECTED, RESUBSCRIBED -> {
          if (problem != null) {
            LOG.infof("NATS connection %s: %s", type.name().toLowerCase(), conn.getConnectedUrl());
          }
          problem = null;
        }
        case DISCONNECTED -> {
          problem = "disconnected from " + server.urls() + "; reconnecting";
          LOG.warnf("NATS: %s", problem);
        }
        case CLOSED -> problem = closed ? "closed" : "the connection was closed";
        default -> {
          return;
        }
      }
      changed();
    }
  }

  private static final class Errors implements ErrorListener {
    @Override
    public void errorOccurred(Connection conn, String error) {
      LOG.warnf("NATS server error: %s", error);
    }

    @Override
    public void exceptionOccurred(Connection conn, Exception exp) {
      LOG.debugf(exp, "NATS connection exception");
    }

    @Override
    public void slowConsumerDetected(Connection conn, Consumer consumer) {
      // counted per subscription by the bindings (dropped count), reported there
    }
  }

  static String describe(Exception e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage() == null ? e.getMessage() : root.getMessage();
    return root.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  @Override
  public synchronized void close() throws InterruptedException {
    closed = true;
    problem = "closed";
    if (connection != null) {
      connection.close();
      connection = null;
    }
  }
}
