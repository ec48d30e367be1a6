package io.kubeless.http.gateway;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.mindrot.jbcrypt.BCrypt;

/**
 * The users of an htpasswd file, as ingress-nginx reads the {@code auth} key of a basic-auth
 * Secret: one {@code user:hash} per line, blank lines and {@code #} comments ignored. Hashes:
 *
 * <ul>
 *   <li>{@code $apr1$} (Apache MD5, {@code htpasswd}'s default) and {@code $1$} (MD5-crypt);
 *   <li>{@code {SHA}} (base64 SHA-1, {@code htpasswd -s});
 *   <li>bcrypt {@code $2y$}, {@code $2a$}, {@code $2b$} ({@code htpasswd -B}).
 * </ul>
 *
 * Anything else (traditional DES {@code crypt(3)}, {@code $5$}/{@code $6$} SHA-crypt, plain text)
 * is refused by {@link #parse} with the line number, never the line's content. Comparisons are
 * constant-time; a successful check is remembered (as a salted digest, never the password), so the
 * costly bcrypt runs once per user and password, not once per request.
 */
public final class Htpasswd {

  private static final int MAX_REMEMBERED = 10_000;
  private static final String ITOA64 =
      "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

  private final Map<String, String> users;
  private final byte[] salt = new byte[16];
  private final Set<String> verified = ConcurrentHashMap.newKeySet();

  private Htpasswd(Map<String, String> users) {
    this.users = users;
    new SecureRandom().nextBytes(salt);
  }

  /**
   * Reads an htpasswd file's content.
   *
   * @throws IllegalArgumentException naming the first line that is not {@code user:hash} of a
   *     supported format
   */
  public static Htpasswd parse(String fileContent) {
    Map<String, String> users = new LinkedHashMap<>();
    List<String> lines = fileContent == null ? List.of() : fileContent.lines().toList();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("htpasswd line " + (i + 1) + " is not user:hash");
      }
      String user = line.substring(0, colon);
      String hash = line.substring(colon + 1);
      // a trailing ":comment" field is allowed by Apache's format
      int extra = hash.indexOf(':');
      if (extra >= 0) {
        hash = hash.substring(0, extra);
      }
      String problem = unsupported(hash);
      if (problem != null) {
        throw new IllegalArgumentException(
            "htpasswd line " + (i + 1) + " (user " + user + "): " + problem);
      }
      users.putIfAbsent(user, hash);
    }
    return new Htpasswd(Map.copyOf(users));
  }

  /** No user at all: every request is refused (a route whose credentials cannot be read). */
  public static Htpasswd none() {
    return new Htpasswd(Map.of());
  }

  private static String unsupported(String hash) {
    if (hash.startsWith("$apr1$") || hash.startsWith("$1$")) {
      return hash.indexOf('$', hash.startsWith("$1$") ? 3 : 6) > 0 ? null : "malformed MD5 hash";
    }
    if (hash.startsWith("{SHA}")) {
      try {
        return Base64.getDecoder().decode(hash.substring(5)).length == 20
            ? null
            : "malformed {SHA} hash";
      } catch (IllegalArgumentException e) {
        return "malformed {SHA} hash";
      }
    }
    if (hash.startsWith("$2y$") || hash.startsWith("$2a$") || hash.startsWith("$2b$")) {
      return hash.length() == 60 ? null : "malformed bcrypt hash";
    }
    if (hash.startsWith("$5$") || hash.startsWith("$6$")) {
      return "SHA-crypt ($5$, $6$) is not supported; use htpasswd -B (bcrypt) or -m (apr1)";
    }
    if (hash.length() == 13 && !hash.startsWith("$")) {
      return "DES crypt(3) is not supported (it keeps only 8 characters of a password); use"
          + " htpasswd -B (bcrypt) or -m (apr1)";
    }
    return "unknown hash format; use htpasswd -B (bcrypt), -m (apr1) or -s ({SHA})";
  }

  /** The users, without their hashes. */
  public Set<String> users() {
    return users.keySet();
  }

  /** Whether {@code password} is {@code user}'s. */
  public boolean matches(String user, String password) {
    if (user == null || password == null) {
      return false;
    }
    String hash = users.get(user);
    if (hash == null) {
      return false;
    }
    String remembered = remembered(user, password);
    if (verified.contains(remembered)) {
      return true;
    }
    boolean ok = check(hash, password);
    if (ok) {
      if (verified.size() >= MAX_REMEMBERED) {
        verified.clear();
      }
      verified.add(remembered);
    }
    return ok;
  }

  /**
   * Whether checking this user's password is cheap enough for an event loop: not bcrypt, or already
   * verified.
   */
  boolean cheap(String user, String password) {
    String hash = users.get(user);
    return hash == null
        || password == null
        || !hash.startsWith("$2")
        || verified.contains(remembered(user, password));
  }

  private String remembered(String user, String password) {
    MessageDigest sha = sha("SHA-256");
    sha.update(salt);
    sha.update(user.getBytes(StandardCharsets.UTF_8));
    sha.update((byte) 0);
    sha.update(password.getBytes(StandardCharsets.UTF_8));
    return Base64.getEncoder().encodeToString(sha.digest());
  }

  private static boolean check(String hash, String password) {
    byte[] pw = password.getBytes(StandardCharsets.UTF_8);
    if (hash.startsWith("$apr1$")) {
      return same(md5Crypt(pw, hash, "$apr1$"), hash);
    }
    if (hash.startsWith("$1$")) {
      return same(md5Crypt(pw, hash, "$1$"), hash);
    }
    if (hash.startsWith("{SHA}")) {
      return same("{SHA}" + Base64.getEncoder().encodeToString(sha("SHA-1").digest(pw)), hash);
    }
    if (hash.startsWith("$2")) {
      // jBCrypt knows $2a$; $2y$ and $2b$ are the same algorithm with fixed implementations
      String a = "$2a$" + hash.substring(4);
      try {
        return same(BCrypt.hashpw(password, a), a);
      } catch (IllegalArgumentException e) {
        return false;
      }
    }
    return false;
  }

  private static boolean same(String a, String b) {
    return MessageDigest.isEqual(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Poul-Henning Kamp's MD5-crypt, with Apache's {@code $apr1$} magic or the original {@code $1$}.
   */
  static String md5Crypt(byte[] pw, String setting, String magic) {
    String rest = setting.substring(magic.length());
    int end = rest.indexOf('$');
    String saltText = end < 0 ? rest : rest.substring(0, end);
    if (saltText.length() > 8) {
      saltText = saltText.substring(0, 8);
    }
    byte[] salt = saltText.getBytes(StandardCharsets.UTF_8);
    MessageDigest ctx = sha("MD5");
    ctx.update(pw);
    ctx.update(magic.getBytes(StandardCharsets.UTF_8));
    ctx.update(salt);
    MessageDigest alt = sha("MD5");
    alt.update(pw);
    alt.update(salt);
    alt.update(pw);
    byte[] fin = alt.digest();
    for (int pl = pw.length; pl > 0; pl -= 16) {
      ctx.update(fin, 0, Math.min(pl, 16));
    }
    for (int i = pw.length; i != 0; i >>>= 1) {
      if ((i & 1) != 0) {
        ctx.update((byte) 0);
      } else {
        ctx.update(pw.length == 0 ? 0 : pw[0]);
      }
    }
    fin = ctx.digest();
    for (int i = 0; i < 1000; i++) {
      MessageDigest round = sha("MD5");
      if ((i & 1) != 0) {
        round.update(pw);
      } else {
        round.update(fin);
      }
      if (i % 3 != 0) {
        round.update(salt);
      }
      if (i % 7 != 0) {
        round.update(pw);
      }
      if ((i & 1) != 0) {
        round.update(fin);
      } else {
        round.update(pw);
      }
      fin = round.digest();
    }
    StringBuilder out = new StringBuilder(magic).append(saltText).append('$');
    to64(out, (fin[0] & 0xff) << 16 | (fin[6] & 0xff) << 8 | (fin[12] & 0xff), 4);
    to64(out, (fin[1] & 0xff) << 16 | (fin[7] & 0xff) << 8 | (fin[13] & 0xff), 4);
    to64(out, (fin[2] & 0xff) << 16 | (fin[8] & 0xff) << 8 | (fin[14] & 0xff), 4);
    to64(out, (fin[3] & 0xff) << 16 | (fin[9] & 0xff) << 8 | (fin[15] & 0xff), 4);
    to64(out, (fin[4] & 0xff) << 16 | (fin[10] & 0xff) << 8 | (fin[5] & 0xff), 4);
    to64(out, fin[11] & 0xff, 2);
    return out.toString();
  }

  private static void to64(StringBuilder out, int v, int n) {
    for (int i = 0; i < n; i++) {
      out.append(ITOA64.charAt(v & 0x3f));
      v >>>= 6;
    }
  }

  private static MessageDigest sha(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(algorithm + " is part of every JDK", e);
    }
  }

  @Override
  public String toString() {
    return "Htpasswd" + users.keySet();
  }
}
