package io.kubeless.kinesis.source;

import io.fabric8.kubernetes.api.model.Secret;
import io.kubeless.kinesis.source.CredentialsResolver.CredentialsException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * The AWS keys a Secret holds under Kubeless's key names, for a KinesisTrigger's {@code
 * spec.secret}: read from the API server by the Kinesis trigger, from the files by local mode. Key
 * values never appear in messages.
 */
public final class SecretCredentials {

  /** The access key id, required. */
  public static final String ACCESS_KEY_ID = "aws_access_key_id";

  /** The secret access key, required. */
  public static final String SECRET_ACCESS_KEY = "aws_secret_access_key";

  /** A session token, for temporary credentials; optional. */
  public static final String SESSION_TOKEN = "aws_session_token";

  private SecretCredentials() {}

  /**
   * The Secret's keys as credentials; {@code where} names the Secret in messages ({@code Secret s
   * in namespace n}).
   *
   * @throws CredentialsException naming the missing, empty or malformed keys
   */
  public static AwsCredentialsProvider of(Secret secret, String where) throws CredentialsException {
    String id = value(secret, ACCESS_KEY_ID, where);
    String key = value(secret, SECRET_ACCESS_KEY, where);
    List<String> missing = new ArrayList<>();
    if (id == null) {
      missing.add(ACCESS_KEY_ID);
    }
    if (key == null) {
      missing.add(SECRET_ACCESS_KEY);
    }
    if (!missing.isEmpty()) {
      throw new CredentialsException(
          where + " has no key " + String.join(" and no key ", missing) + " (or it is empty)");
    }
    String token = value(secret, SESSION_TOKEN, where);
    return StaticCredentialsProvider.create(
        token == null
            ? AwsBasicCredentials.create(id, key)
            : AwsSessionCredentials.create(id, key, token));
  }

  /**
   * A key's value, or null when absent or blank. Trailing whitespace is dropped: AWS keys have
   * none, and a Secret made with {@code echo} ends with a newline.
   */
  private static String value(Secret secret, String key, String where) throws CredentialsException {
    String raw = entry(secret.getData(), key);
    String value;
    if (raw != null) {
      try {
        value = new String(Base64.getDecoder().decode(raw.strip()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new CredentialsException("key " + key + " of " + where + " is not valid base64");
      }
    } else {
      // stringData: what a Secret written but not yet normalised by an API server holds
      value = entry(secret.getStringData(), key);
    }
    return value == null || value.isBlank() ? null : value.strip();
  }

  private static String entry(Map<String, String> map, String key) {
    return map == null ? null : map.get(key);
  }
}
