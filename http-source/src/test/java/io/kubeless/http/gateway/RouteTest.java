package io.kubeless.http.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubeless.trigger.TriggerId;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** How routes are normalised and matched, without a server. */
class RouteTest {

  private static final TriggerId T = new TriggerId("default", "t");

  @Test
  void pathsAreNormalisedAsKubelessWroteThem() {
    assertThat(Route.of(T, null, "f").path()).isEqualTo("/");
    assertThat(Route.of(T, "", "f").path()).isEqualTo("/");
    assertThat(Route.of(T, "hello", "f").path()).isEqualTo("/hello");
    assertThat(Route.of(T, "/a//b/", "f").path()).isEqualTo("/a/b");
    assertThat(Route.of(T, "/a/./b/../c", "f").path()).isEqualTo("/a/c");
    assertThat(Route.of(T, "/../../x", "f").path()).isEqualTo("/x");
  }

  @Test
  void hostsAreLowerCaseWithoutPortOrTrailingDot() {
    Route r = new Route(T, Instant.EPOCH, "Example.COM.:8080", "/", "f", false, null);
    assertThat(r.host()).isEqualTo("example.com");
    assertThat(Route.normaliseHost("[::1]:8080")).isEqualTo("[::1]");
    assertThat(Route.normaliseHost("  ")).isNull();
  }

  @Test
  void prefixesMatchOnSegmentBoundariesAndTheRestIsWhatTheFunctionSees() {
    assertThat(RouteTable.matches("/api", "/api")).isTrue();
    assertThat(RouteTable.matches("/api", "/api/x")).isTrue();
    assertThat(RouteTable.matches("/api", "/apix")).isFalse();
    assertThat(RouteTable.matches("/", "/anything")).isTrue();
    assertThat(RouteTable.rest("/api", "/api")).isEqualTo("/");
    assertThat(RouteTable.rest("/api", "/api/a/b")).isEqualTo("/a/b");
    assertThat(RouteTable.rest("/", "/a/b")).isEqualTo("/a/b");
  }
}
