package io.kubeless.kinesis.source;

import java.net.URI;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.ProtocolNegotiation;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * Builds the Kinesis clients of the bindings: the sync ones on one shared URLConnection client
 * (calls run on the bindings' virtual threads), and, only once a binding reads by enhanced fan-out,
 * async ones on a shared Netty HTTP/2 client, which {@code SubscribeToShard} requires.
 */
final class KinesisClients implements AutoCloseable {

  private final SdkHttpClient http = UrlConnectionHttpClient.builder().build();
  private SdkAsyncHttpClient http2Tls;
  private SdkAsyncHttpClient http2Plain;

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

  /**
   * An async client for {@code SubscribeToShard}: HTTP/2 negotiated by ALPN over TLS (AWS, or an
   * {@code https} endpoint), or spoken from the first byte on a plain {@code http} endpoint (an
   * emulator), where no negotiation exists.
   */
  KinesisAsyncClient asyncClient(String region, URI endpoint, AwsCredentialsProvider credentials) {
    boolean plain = endpoint != null && "http".equalsIgnoreCase(endpoint.getScheme());
    var builder =
        KinesisAsyncClient.builder()
            .httpClient(plain ? http2Plain() : http2Tls())
            .region(Region.of(region))
            .credentialsProvider(credentials);
    if (endpoint != null) {
      builder.endpointOverride(endpoint);
    }
    return builder.build();
  }

  private synchronized SdkAsyncHttpClient http2Tls() {
    if (http2Tls == null) {
      http2Tls =
          NettyNioAsyncHttpClient.builder()
              .protocol(Protocol.HTTP2)
              .protocolNegotiation(ProtocolNegotiation.ALPN)
              .build();
    }
    return http2Tls;
  }

  private synchronized SdkAsyncHttpClient http2Plain() {
    if (http2Plain == null) {
      http2Plain =
          NettyNioAsyncHttpClient.builder()
              .protocol(Protocol.HTTP2)
              .protocolNegotiation(ProtocolNegotiation.ASSUME_PROTOCOL)
              .build();
    }
    return http2Plain;
  }

  @Override
  public synchronized void close() {
    http.close();
    if (http2Tls != null) {
      http2Tls.close();
    }
    if (http2Plain != null) {
      http2Plain.close();
    }
  }
}
