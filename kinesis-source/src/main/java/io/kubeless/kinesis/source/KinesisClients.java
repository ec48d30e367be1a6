package io.kubeless.kinesis.source;

import java.net.URI;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * Builds the sync Kinesis clients of the bindings on one shared HTTP client (calls run on the
 * bindings' virtual threads).
 */
final class KinesisClients implements AutoCloseable {

  private final SdkHttpClient http = UrlConnectionHttpClient.builder().build();

  KinesisClient client(String region, URI endpoint, AwsCredentialsProvider credentials) {
    var builder =
        KinesisClient.builder()
            .httpClient(http)
            .region(Region.of(region))
            .credentialsProvider(credentials);
    if (endpoint != null) {
      builder.endpointOverride(endpoint);
    }
    return builder.build();
  }

  @Override
  public void close() {
    http.close();
  }
}
