package io.kubeless;

/** What the runtime adds to an event beyond Kubeless's Java fields: {@code request}. */
public class Extensions {
  /** The HTTP request that invoked the function, or null when the event did not come over HTTP. */
  public final Request request;

  public Extensions(Request request) {
    this.request = request;
  }

  public Request getRequest() {
    return request;
  }
}
