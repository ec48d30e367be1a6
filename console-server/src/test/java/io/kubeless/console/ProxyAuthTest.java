package io.kubeless.console;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.containsString;

import io.kubeless.testing.TestFunctions;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.restassured.RestAssured;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code kubeless.console.auth=proxy}: the proxy's user header is what lets a request in, and
 * writes still need the page's Origin; and {@code auth=token} without a token does not start.
 */
@QuarkusTest
@TestProfile(ProxyAuthTest.Proxy.class)
@WithKubernetesTestServer(crud = true)
class ProxyAuthTest {

  /** Behind an authenticating proxy. */
  public static class Proxy implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("kubeless.console.auth", "proxy", "kubeless.console.token", "");
    }
  }

  @Test
  void theProxysUserHeaderLetsARequestIn() {
    given()
        .get("/api/functions")
        .then()
        .statusCode(401)
        .body("error", containsString("X-Forwarded-User"));
    given().header("X-Forwarded-User", "ada").get("/api/functions").then().statusCode(200);
    // a bearer token means nothing here
    given()
        .header("Authorization", "Bearer test-token")
        .get("/api/functions")
        .then()
        .statusCode(401);
    given()
        .header("X-Forwarded-User", "ada")
        .body("{\"token\": \"x\"}")
        .post("/api/login")
        .then()
        .statusCode(409);
  }

  @Test
  void aWriteNeedsThePagesOrigin() {
    String ns = TestFunctions.unique("proxy");
    String path = "/api/resources/functions/" + ns + "/hello";
    String body = "kind: Function\nspec: {runtime: python3.12, handler: h.f, function: x}\n";
    given().header("X-Forwarded-User", "ada").body(body).put(path).then().statusCode(403);
    given()
        .header("X-Forwarded-User", "ada")
        .header("Origin", "https://evil.example")
        .body(body)
        .put(path)
        .then()
        .statusCode(403);
    given()
        .header("X-Forwarded-User", "ada")
        .header("Origin", "http://localhost:" + RestAssured.port)
        .body(body)
        .put(path)
        .then()
        .statusCode(201);
  }

  @Test
  void tokenModeDoesNotStartWithoutAToken() {
    var config =
        new SmallRyeConfigBuilder()
            .withMapping(ConsoleConfig.class)
            .withSources(
                new PropertiesConfigSource(
                    // (ISO-8601: Quarkus's "2s" converter is not part of a bare SmallRye config)
                    Map.of(
                        "kubeless.console.auth", "token",
                        "kubeless.console.functions.timeout-grace", "PT2S"),
                    "test",
                    500))
            .build()
            .getConfigMapping(ConsoleConfig.class);
    assertThatThrownBy(() -> new ConsoleAuth(config))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("KUBELESS_CONSOLE_TOKEN");
  }
}
