package io.kubeless.http.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** htpasswd entries of every supported format, checked against hashes made by other tools. */
class HtpasswdTest {

  // openssl passwd -apr1 -salt xyzabc12 secret
  static final String APR1 = "$apr1$xyzabc12$wV5/gRd3p1qZVpf79jFkA1";
  // openssl passwd -1 -salt abc secret
  static final String MD5 = "$1$abc$iCQ2D3nhptRYi27fDYv2s1";
  // OpenBSD's bcrypt test vector for the password U*U
  static final String BCRYPT = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";

  @Test
  void apacheMd5MatchesOnlyItsPassword() {
    Htpasswd file = Htpasswd.parse("alice:" + APR1 + "\n");
    assertThat(file.matches("alice", "secret")).isTrue();
    assertThat(file.matches("alice", "Secret")).isFalse();
    assertThat(file.matches("bob", "secret")).isFalse();
    assertThat(file.matches("alice", null)).isFalse();
  }

  @Test
  void md5CryptAndShaEntriesMatch() {
    Htpasswd file =
        Htpasswd.parse(
            "# users\n\ncarol:" + MD5 + "\n  dave:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=  \n");
    assertThat(file.users()).containsExactlyInAnyOrder("carol", "dave");
    assertThat(file.matches("carol", "secret")).isTrue();
    assertThat(file.matches("dave", "secret")).isTrue();
    assertThat(file.matches("dave", "secreT")).isFalse();
  }

  @Test
  void bcryptMatchesWithEveryPrefixAndIsRememberedOnceVerified() {
    for (String prefix : new String[] {"$2a$", "$2y$", "$2b$"}) {
      Htpasswd file = Htpasswd.parse("erin:" + prefix + BCRYPT.substring(4));
      assertThat(file.cheap("erin", "U*U")).isFalse();
      assertThat(file.matches("erin", "U*U")).as(prefix).isTrue();
      assertThat(file.matches("erin", "U*V")).as(prefix).isFalse();
      assertThat(file.cheap("erin", "U*U")).isTrue();
      assertThat(file.cheap("erin", "U*V")).isFalse();
    }
  }

  @Test
  void unsupportedFormatsAreRefusedNamingTheLineNotTheHash() {
    assertThatThrownBy(() -> Htpasswd.parse("ok:" + APR1 + "\nold:rl.3StKT.4T8M"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("line 2")
        .hasMessageContaining("DES crypt(3) is not supported")
        .hasMessageNotContaining("rl.3StKT.4T8M");
    assertThatThrownBy(() -> Htpasswd.parse("x:$6$salt$abcdef")).hasMessageContaining("SHA-crypt");
    assertThatThrownBy(() -> Htpasswd.parse("no colon here")).hasMessageContaining("line 1");
    assertThatThrownBy(() -> Htpasswd.parse("x:plaintext")).hasMessageContaining("unknown");
  }

  @Test
  void noUsersRefusesEveryone() {
    assertThat(Htpasswd.none().matches("alice", "secret")).isFalse();
    assertThat(Htpasswd.parse("").users()).isEmpty();
  }
}
