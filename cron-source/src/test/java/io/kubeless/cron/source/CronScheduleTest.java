package io.kubeless.cron.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Schedules as Kubernetes CronJobs read them: five fields, macros, @every, time zones. */
class CronScheduleTest {

  private static final Instant AT = Instant.parse("2026-03-10T10:07:30Z");

  @Test
  void fiveFieldsFireOnTheirMinutes() {
    CronSchedule schedule = CronSchedule.parse("*/5 * * * *", null);
    assertThat(schedule.next(AT)).isEqualTo(Instant.parse("2026-03-10T10:10:00Z"));
    assertThat(schedule.next(Instant.parse("2026-03-10T10:10:00Z")))
        .as("strictly after")
        .isEqualTo(Instant.parse("2026-03-10T10:15:00Z"));
    assertThat(
            CronSchedule.parse("30 9 * * 1-5", "UTC").next(Instant.parse("2026-03-14T00:00:00Z")))
        .as("a Saturday: the next weekday is Monday")
        .isEqualTo(Instant.parse("2026-03-16T09:30:00Z"));
    assertThat(CronSchedule.parse("0 0 1 JAN *", null).next(AT))
        .isEqualTo(Instant.parse("2027-01-01T00:00:00Z"));
  }

  @Test
  void kubernetesMacrosExpandAsCronJobsDo() {
    assertThat(CronSchedule.parse("@hourly", null).next(AT))
        .isEqualTo(Instant.parse("2026-03-10T11:00:00Z"));
    assertThat(CronSchedule.parse("@daily", null).next(AT))
        .isEqualTo(Instant.parse("2026-03-11T00:00:00Z"));
    assertThat(CronSchedule.parse("@midnight", null).next(AT))
        .isEqualTo(Instant.parse("2026-03-11T00:00:00Z"));
    assertThat(CronSchedule.parse("@weekly", null).next(AT))
        .as("Sunday")
        .isEqualTo(Instant.parse("2026-03-15T00:00:00Z"));
    assertThat(CronSchedule.parse("@monthly", null).next(AT))
        .isEqualTo(Instant.parse("2026-04-01T00:00:00Z"));
    assertThat(CronSchedule.parse("@yearly", null).next(AT))
        .isEqualTo(CronSchedule.parse("@annually", null).next(AT))
        .isEqualTo(Instant.parse("2027-01-01T00:00:00Z"));
  }

  @Test
  void everyTicksOnMultiplesOfItsPeriodSoEveryReplicaAgrees() {
    CronSchedule second = CronSchedule.parse("@every 1s", null);
    assertThat(second.next(Instant.parse("2026-03-10T10:07:30.400Z")))
        .isEqualTo(Instant.parse("2026-03-10T10:07:31Z"));
    assertThat(second.next(Instant.parse("2026-03-10T10:07:31Z")))
        .isEqualTo(Instant.parse("2026-03-10T10:07:32Z"));
    CronSchedule ninety = CronSchedule.parse("@every 1m30s", null);
    Instant first = ninety.next(AT);
    assertThat(first.getEpochSecond() % 90).isZero();
    assertThat(ninety.next(first)).isEqualTo(first.plusSeconds(90));
    assertThat(CronSchedule.parse("@every 2h", null).next(AT).getEpochSecond() % 7200).isZero();
    assertThat(second.ticksBetween(AT, AT.plusSeconds(10), 100))
        .as("strictly between")
        .isEqualTo(9);
    assertThat(CronSchedule.parse("*/5 * * * *", null).ticksBetween(AT, AT.plusSeconds(3600), 100))
        .isEqualTo(12);
  }

  @Test
  void aTimeZoneFollowsDaylightSavingTime() {
    // Paris moves from UTC+1 to UTC+2 on 29 March 2026: 09:00 local is 08:00Z, then 07:00Z
    CronSchedule nine = CronSchedule.parse("0 9 * * *", "Europe/Paris");
    assertThat(nine.next(Instant.parse("2026-03-28T00:00:00Z")))
        .isEqualTo(Instant.parse("2026-03-28T08:00:00Z"));
    assertThat(nine.next(Instant.parse("2026-03-28T08:00:00Z")))
        .isEqualTo(Instant.parse("2026-03-29T07:00:00Z"));
    assertThat(nine.next(Instant.parse("2026-03-29T07:00:00Z")))
        .isEqualTo(Instant.parse("2026-03-30T07:00:00Z"));
    assertThat(nine.describe()).contains("Europe/Paris");
    assertThat(nine).isNotEqualTo(CronSchedule.parse("0 9 * * *", null));
    assertThat(nine).isEqualTo(CronSchedule.parse("0 9 * * *", "Europe/Paris"));
  }

  @Test
  void badSchedulesSayWhatIsWrong() {
    assertThatThrownBy(() -> CronSchedule.parse("", null))
        .hasMessageContaining("spec.schedule is empty");
    assertThatThrownBy(() -> CronSchedule.parse("* * * *", null))
        .hasMessageContaining("4 field(s)")
        .hasMessageContaining("five");
    assertThatThrownBy(() -> CronSchedule.parse("0 0 * * * *", null))
        .as("six fields (seconds) are not a CronJob schedule")
        .hasMessageContaining("6 field(s)");
    assertThatThrownBy(() -> CronSchedule.parse("61 * * * *", null))
        .hasMessageContaining("not a valid cron schedule");
    assertThatThrownBy(() -> CronSchedule.parse("@fortnightly", null))
        .hasMessageContaining("not a known macro");
    assertThatThrownBy(() -> CronSchedule.parse("@every", null))
        .hasMessageContaining("@every needs a duration");
    assertThatThrownBy(() -> CronSchedule.parse("@every soon", null))
        .hasMessageContaining("'soon' is not a duration");
    assertThatThrownBy(() -> CronSchedule.parse("@every 500ms", null))
        .hasMessageContaining("at least 1s");
    assertThatThrownBy(() -> CronSchedule.parse("@hourly", "Mars/Olympus"))
        .hasMessageContaining("spec.timeZone 'Mars/Olympus' is not an IANA time zone");
  }

  @Test
  void concurrencyPoliciesAreKubernetesNames() {
    assertThat(ConcurrencyPolicy.of(null)).isEqualTo(ConcurrencyPolicy.ALLOW);
    assertThat(ConcurrencyPolicy.of("Allow")).isEqualTo(ConcurrencyPolicy.ALLOW);
    assertThat(ConcurrencyPolicy.of("Forbid")).isEqualTo(ConcurrencyPolicy.FORBID);
    assertThatThrownBy(() -> ConcurrencyPolicy.of("Replace"))
        .hasMessageContaining("spec.concurrencyPolicy is 'Replace'");
  }
}
