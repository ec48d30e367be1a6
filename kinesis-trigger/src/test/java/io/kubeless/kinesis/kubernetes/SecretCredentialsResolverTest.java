package io.kubeless.kinesis.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.kubeless.kinesis.source.CredentialsResolver.CredentialsException;
import io.kubeless.testing.MockApiServer;
import io.kubeless.testing.TestFunctions;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;

/** A trigger's AWS keys from its Secret, with Kubeless's key names, on the mock API server. */
class SecretCredentialsResolverTest {

  private static final String ID = "AKIAIOSFODNN7EXAMPLE";
  private static final String KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  private static final String TOKEN = "FwoGZXIvYXdzEXAMPLETOKEN";

  private static MockApiServer api;
  private final String namespace = TestFunctions.unique("secrets");
  private final SecretCredentialsResolver resolver = new SecretCredentialsResolver(api.client());

  @BeforeAll
  static void startApiServer() {
    api = MockApiServer.withCrds();
  }

  @AfterAll
  static void stopApiServer() {
    api.close();
  }

  @Test
  void theKeysOfKubelessSecretAreRead() throws Exception {
    // kubectl create secret generic ... --from-file: a trailing newline is common
    secret("aws", Map.of("aws_access_key_id", ID + "\n", "aws_secret_access_key", KEY));

    AwsCredentials credentials = resolver.resolve(namespace, "aws").resolveCredentials();

    assertThat(credentials.accessKeyId()).isEqualTo(ID);
    assertThat(credentials.secretAccessKey()).isEqualTo(KEY);
    assertThat(credentials).isNotInstanceOf(AwsSessionCredentials.class);
  }

  @Test
  void aSessionTokenMakesTemporaryCredentials() throws Exception {
    secret(
        "sts",
        Map.of("aws_access_key_id", ID, "aws_secret_access_key", KEY, "aws_session_token", TOKEN));

    AwsCredentials credentials = resolver.resolve(namespace, "sts").resolveCredentials();

    assertThat(credentials)
        .isInstanceOfSatisfying(
            AwsSessionCredentials.class,
            session -> {
              assertThat(session.accessKeyId()).isEqualTo(ID);
              assertThat(session.sessionToken()).isEqualTo(TOKEN);
            });
  }

  @Test
  void aMissingSecretIsNamedWithItsNamespace() {
    assertThatThrownBy(() -> resolver.resolve(namespace, "nowhere"))
        .isInstanceOf(CredentialsException.class)
        .hasMessage("Secret nowhere not found in namespace " + namespace);
  }

  @Test
  void missingKeysAreNamedAndNoValueIsShown() {
    secret("partial", Map.of("aws_access_key_id", ID, "aws_session_token", TOKEN));
    secret("blank", Map.of("aws_access_key_id", " ", "aws_secret_access_key", KEY));

    assertThatThrownBy(() -> resolver.resolve(namespace, "partial"))
        .isInstanceOf(CredentialsException.class)
        .hasMessageContaining("Secret partial in namespace " + namespace)
        .hasMessageContaining("aws_secret_access_key")
        .message()
        .doesNotContain(ID, TOKEN, "aws_access_key_id");
    assertThatThrownBy(() -> resolver.resolve(namespace, "blank"))
        .hasMessageContaining("has no key aws_access_key_id")
        .message()
        .doesNotContain(KEY, "aws_secret_access_key");
  }

  @Test
  void withoutASecretTheDefaultChainIsUsedOnceForAll() throws Exception {
    assertThat(resolver.resolve(namespace, null))
        .isInstanceOf(DefaultCredentialsProvider.class)
        .isSameAs(resolver.resolve("elsewhere", null));
  }

  private void secret(String name, Map<String, String> values) {
    Map<String, String> data = new LinkedHashMap<>();
    values.forEach(
        (k, v) ->
            data.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
    Secret secret =
        new SecretBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(namespace)
            .endMetadata()
            .withData(data)
            .build();
    api.client().resource(secret).create();
  }
}
