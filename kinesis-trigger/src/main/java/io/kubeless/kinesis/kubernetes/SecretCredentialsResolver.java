package io.kubeless.kinesis.kubernetes;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kubeless.kinesis.source.CredentialsResolver;
import io.kubeless.kinesis.source.SecretCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;

/**
 * A KinesisTrigger's AWS keys from the Secret its {@code spec.secret} names, in the trigger's
 * namespace, with Kubeless's keys; without a Secret, the AWS default chain (IRSA, EKS pod identity,
 * the controller's environment). The controller needs {@code get} on Secrets in every namespace
 * holding KinesisTriggers, as Kubeless's did, and nothing else on them. Key values never appear in
 * messages or logs.
 */
public final class SecretCredentialsResolver implements CredentialsResolver {

  /** The access key id, required. */
  public static final String ACCESS_KEY_ID = SecretCredentials.ACCESS_KEY_ID;

  /** The secret access key, required. */
  public static final String SECRET_ACCESS_KEY = SecretCredentials.SECRET_ACCESS_KEY;

  /** A session token, for temporary credentials; optional. */
  public static final String SESSION_TOKEN = SecretCredentials.SESSION_TOKEN;

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
    return SecretCredentials.of(found, "Secret " + secret + " in namespace " + namespace);
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
}
