package io.kubeless.trigger.invoke;

import io.vertx.core.http.HttpHeaders;

/**
 * The wire contract's header names (Kubeless's {@code event-*} and CloudEvents' binary-mode {@code
 * ce-*}), encoded once: Vert.x neither hashes nor encodes them again per request.
 */
public final class WireHeaders {

  public static final CharSequence EVENT_ID = HttpHeaders.createOptimized("event-id");
  public static final CharSequence EVENT_TIME = HttpHeaders.createOptimized("event-time");
  public static final CharSequence EVENT_NAMESPACE = HttpHeaders.createOptimized("event-namespace");
  public static final CharSequence EVENT_TYPE = HttpHeaders.createOptimized("event-type");
  public static final CharSequence EVENT_TOPIC = HttpHeaders.createOptimized("event-topic");
  public static final CharSequence CE_SPECVERSION = HttpHeaders.createOptimized("ce-specversion");
  public static final CharSequence CE_ID = HttpHeaders.createOptimized("ce-id");
  public static final CharSequence CE_SOURCE = HttpHeaders.createOptimized("ce-source");
  public static final CharSequence CE_TYPE = HttpHeaders.createOptimized("ce-type");
  public static final CharSequence CE_TIME = HttpHeaders.createOptimized("ce-time");

  /** The CloudEvents spec version the events carry. */
  public static final CharSequence SPEC_VERSION = HttpHeaders.createOptimized("1.0");

  private WireHeaders() {}
}
