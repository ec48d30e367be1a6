package io.kubeless.kinesis.kubernetes;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kubeless.kinesis.source.CredentialsResolver;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * A KinesisTrigger's AWS keys from the Secret its {@code spec.secret} names, in the trigger's
 * namespace, with Kubeless's keys; without a Secret, the AWS default chain (IRSA, EKS pod identity,
 * the controller's environment). The controller needs {@code get} on Secrets in every namespace
 * holding KinesisTriggers, as Kubeless's did, and nothing else on them. Key values never appear in
 * messages or logs.
 */
public final class SecretCredentialsResolver implements CredentialsResolver {

  /** The access key id, required. */
  public static final String ACCESS_KEY_ID = "aws_access_key_id";

  /** The secret access key, required. */
  public static final String SECRET_ACCESS_KEY = "aws_secret_access_key";

  /** A session token, for temporary credentials; optional. */
  public static final String SESSION_TOKEN = "aws_session_token";

  private final KubernetesClient client;
  private volatile AwsCredentialsProvider defaultChain;

  public SecretCredentialsResolver(KubernetesClient client) {
    this.client = client;
  }

  @Override
  public AwsCredentialsProvider resolve(String namespace, String secret)
      throws CredentialsException {
    if (secret == null || secret.isBlank()) {
      return defaultChain();
    }
    Secret found;
    try {
      found = client.secrets().inNamespace(namespace).withName(secret).get();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 403) {
        throw new CredentialsException(
            "the trigger may not read Secret "
                + secret
                + " in namespace "
                + namespace
                + ": its ServiceAccount needs get on secrets (k8s/kinesis-trigger/rbac.yaml)");
      }
      throw e;
    }
    if (found == null) {
      throw new CredentialsException("Secret " + secret + " not found in namespace " + namespace);
    }
    String where = "Secret " + secret + " in namespace " + namespace;
    String id = value(found, ACCESS_KEY_ID, where);
    String key = value(found, SECRET_ACCESS_KEY, where);
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
    String token = value(found, SESSION_TOKEN, where);
    return StaticCredentialsProvider.create(
        token == null
            ? AwsBasicCredentials.create(id, key)
            : AwsSessionCredentials.create(id, key, token));
  }

  /** One provider for every trigger without a Secret: it caches what it fetched. */
  private AwsCredentialsProvider defaultChain() {
    AwsCredentialsProvider chain = defaultChain;
    if (chain == null) {
      synchronized (this) {
        if (defaultChain == null) {
          defaultChain = DefaultCredentialsProvider.builder().build();
        }
        chain = defaultChain;
      }
    }
    return chain;
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
