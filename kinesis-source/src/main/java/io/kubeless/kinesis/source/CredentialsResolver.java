package io.kubeless.kinesis.source;

import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * The AWS credentials of a trigger: on Kubernetes from the Secret its {@code secret} names (keys
 * {@code aws_access_key_id}, {@code aws_secret_access_key}, optional {@code aws_session_token}, as
 * Kubeless), otherwise the AWS default chain (IRSA, pod identity, environment).
 */
public interface CredentialsResolver {

  /**
   * @param namespace the trigger's namespace
   * @param secret the Secret's name, or null for the default chain
   * @throws CredentialsException saying what is missing, for the trigger's status
   */
  AwsCredentialsProvider resolve(String namespace, String secret) throws CredentialsException;

  /** Credentials that cannot be had: a missing Secret or key. */
  final class CredentialsException extends Exception {
    public CredentialsException(String message) {
      super(message);
    }
  }
}
