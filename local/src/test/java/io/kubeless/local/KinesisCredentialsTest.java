package io.kubeless.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeless.kinesis.source.CredentialsResolver.CredentialsException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;

/**
 * A KinesisTrigger's {@code secret} in local mode: the keys of the Secret of the files, in the
 * trigger's namespace, as the Kinesis trigger reads them from the API server; the environment's (or
 * dummy) credentials when the files hold no such Secret.
 */
class KinesisCredentialsTest {

  @TempDir Path dir;

  private KinesisTriggers triggers() throws Exception {
    Files.writeString(
        dir.resolve("secrets.yaml"),
        """
        apiVersion: v1
        kind: Secret
        metadata: {name: aws}
        data:
          aws_access_key_id: %s
          aws_secret_access_key: %s
        stringData:
          aws_session_token: token-1
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: partial, namespace: shop}
        stringData:
          aws_access_key_id: AKIDSHOP
        """
            .formatted(base64("AKIDLOCAL\n"), base64("s3cr3t")));
    KinesisTriggers t =
        new KinesisTriggers(
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            dir.resolve(".kubeless"));
    t.secrets(Manifests.load(List.of(dir)));
    return t;
  }

  private static String base64(String s) {
    return java.util.Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void theSecretOfTheFilesGivesTheKeysInItsNamespace() throws Exception {
    var credentials = triggers().credentials().resolve("default", "aws").resolveCredentials();

    assertThat(credentials.accessKeyId()).isEqualTo("AKIDLOCAL");
    assertThat(credentials.secretAccessKey()).isEqualTo("s3cr3t");
    assertThat(credentials).isInstanceOf(AwsSessionCredentials.class);
    assertThat(((AwsSessionCredentials) credentials).sessionToken()).isEqualTo("token-1");
  }

  @Test
  void aSecretWithoutAKeyFailsTheBindingNamingTheKeyNotItsValue() throws Exception {
    assertThatThrownBy(() -> triggers().credentials().resolve("shop", "partial"))
        .isInstanceOf(CredentialsException.class)
        .hasMessage(
            "Secret partial in namespace shop (of the files) has no key aws_secret_access_key (or"
                + " it is empty)")
        .hasMessageNotContaining("AKIDSHOP");
  }

  @Test
  void withoutTheSecretInTheFilesTheCredentialsAreNotTheSecrets() throws Exception {
    KinesisTriggers t = triggers();

    // another namespace's Secret of that name is not used, nor is a Secret for no secret
    for (String[] ask :
        new String[][] {{"shop", "aws"}, {"default", "missing"}, {"default", null}}) {
      var credentials = t.credentials().resolve(ask[0], ask[1]).resolveCredentials();
      assertThat(credentials.accessKeyId())
          .as(String.join(",", ask[0], ask[1]))
          .isNotEqualTo("AKIDLOCAL");
    }
  }
}
