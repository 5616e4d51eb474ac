package dev.ranna.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;

class CronScheduleTest {

    private static final ZonedDateTime T = ZonedDateTime.of(2026, 11, 26, 4, 30, 15, 0, ZoneOffset.UTC); // a Thursday

    private static ZonedDateTime next(String cron, ZonedDateTime after) {
        return CronSchedule.parse("k", cron).next(after);
    }

    @Test
    void rannasDefaultFiresAtThreeEveryNight() {
        assertThat(next("0 3 * * *", T))
                .isEqualTo(T.withDayOfMonth(27).withHour(3).withMinute(0).withSecond(0));
        assertThat(next("0 3 * * *", T.withHour(2).withMinute(59)))
                .isEqualTo(T.withHour(3).withMinute(0).withSecond(0));
    }

    @Test
    void stepsRangesListsAndNames() {
        assertThat(next("*/15 * * * *", T)).isEqualTo(T.withMinute(45).withSecond(0));
        assertThat(next("5,10 9-17 * * mon-fri", T))
                .isEqualTo(T.withHour(9).withMinute(5).withSecond(0));
        assertThat(next("0 0 1 jan *", T)).isEqualTo(ZonedDateTime.of(2027, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC));
        assertThat(next("0 12 * * 7", T))
                .isEqualTo(T.withDayOfMonth(29).withHour(12).withMinute(0).withSecond(0));
    }

    @Test
    void dayOfMonthOrDayOfWeekWhenBothAreRestricted() {
        // the 1st, or any Friday: Friday 27 Nov comes first
        assertThat(next("0 0 1 * fri", T))
                .isEqualTo(T.withDayOfMonth(27).withHour(0).withMinute(0).withSecond(0));
    }

    @Test
    void descriptorsAndEvery() {
        assertThat(next("@daily", T))
                .isEqualTo(T.withDayOfMonth(27).withHour(0).withMinute(0).withSecond(0));
        assertThat(next("@hourly", T)).isEqualTo(T.withHour(5).withMinute(0).withSecond(0));
        assertThat(next("@every 1h30m", T)).isEqualTo(T.plusMinutes(90));
    }

    @Test
    void february30thNeverComesAndBadExpressionsNameTheKey() {
        assertThatThrownBy(() -> next("0 0 30 2 *", T)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> CronSchedule.parse("scheduler.updateimages", "0 25 * * *"))
                .hasMessageContaining("scheduler.updateimages")
                .hasMessageContaining("0 25 * * *");
        assertThatThrownBy(() -> CronSchedule.parse("k", "* * *")).hasMessageContaining("5 fields");
        assertThatThrownBy(() -> CronSchedule.parse("k", "@every 0s")).isInstanceOf(IllegalArgumentException.class);
    }
}
