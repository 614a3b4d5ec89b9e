//! Dates and times for display, computed from epoch milliseconds and the reader's offset from UTC,
//! so the browser bundle needs no date library (the browser reads its offset from `js_sys::Date`).

const MS_PER_MINUTE: i64 = 60_000;
const MS_PER_DAY: i64 = 86_400_000;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// "Now" and where the reader is: everything shown relative to the present is computed from it.
#[derive(Clone, Copy, Debug, Default)]
pub struct LocalClock {
    pub now_ms: i64,
    pub zone: TimeZone,
}

/// The reader's offset from UTC, which can differ from one moment to another: a message written
/// in winter is shown in winter time, even when it is read in summer.
#[derive(Clone, Copy, Debug)]
pub enum TimeZone {
    /// The same offset at every moment, in minutes to add to UTC (east of Greenwich is positive).
    Fixed(i32),
    /// The offset in force at a moment (epoch milliseconds), in minutes to add to UTC; the
    /// browser asks its own time-zone rules.
    Rules(fn(i64) -> i32),
}

impl Default for TimeZone {
    fn default() -> Self {
        TimeZone::Fixed(0)
    }
}

impl TimeZone {
    /// Minutes to add to UTC at the moment `ms`.
    pub fn offset_min_at(self, ms: i64) -> i32 {
        match self {
            TimeZone::Fixed(offset) => offset,
            TimeZone::Rules(offset_at) => offset_at(ms),
        }
    }
}

/// A calendar date in the reader's time zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct CivilDate {
    year: i64,
    month: usize,
    day: i64,
    /// 0 = Monday.
    weekday: usize,
}

impl LocalClock {
    fn local_ms(&self, ms: i64) -> i64 {
        ms + i64::from(self.zone.offset_min_at(ms)) * MS_PER_MINUTE
    }

    /// The local calendar day of a moment, as days since 1970-01-01: messages with the same
    /// number belong under the same day separator.
    pub fn day_of(&self, ms: i64) -> i64 {
        self.local_ms(ms).div_euclid(MS_PER_DAY)
    }

    /// `09:05`: the local time of day, 24-hour clock.
    pub fn time_of_day(&self, ms: i64) -> String {
        let minutes = self.local_ms(ms).rem_euclid(MS_PER_DAY) / MS_PER_MINUTE;
        format!("{:02}:{:02}", minutes / 60, minutes % 60)
    }

    /// The label of a day separator: `Today`, `Yesterday`, `Mon 3 Feb`, or `3 Feb 2024` for
    /// another year.
    pub fn day_label(&self, ms: i64) -> String {
        let day = self.day_of(ms);
        match self.day_of(self.now_ms) - day {
            0 => "Today".to_owned(),
            1 => "Yesterday".to_owned(),
            _ => {
                let date = civil(day);
                if date.year == civil(self.day_of(self.now_ms)).year {
                    format!(
                        "{} {} {}",
                        WEEKDAYS[date.weekday], date.day, MONTHS[date.month]
                    )
                } else {
                    format!("{} {} {}", date.day, MONTHS[date.month], date.year)
                }
            }
        }
    }

    /// The compact time of a list row: `14:03` today, `Yesterday`, a weekday within the last
    /// week, `3 Feb` this year, `3 Feb 2024` before.
    pub fn short_time(&self, ms: i64) -> String {
        let day = self.day_of(ms);
        let today = self.day_of(self.now_ms);
        let date = civil(day);
        match today - day {
            ..=0 => self.time_of_day(ms),
            1 => "Yesterday".to_owned(),
            2..=6 => WEEKDAYS[date.weekday].to_owned(),
            _ if date.year == civil(today).year => format!("{} {}", date.day, MONTHS[date.month]),
            _ => format!("{} {} {}", date.day, MONTHS[date.month], date.year),
        }
    }

    /// The local calendar date of a moment: `3 Dec 2026`.
    pub fn date(&self, ms: i64) -> String {
        let date = civil(self.day_of(ms));
        format!("{} {} {}", date.day, MONTHS[date.month], date.year)
    }

    /// The local calendar date with its weekday: `Thu 3 Dec 2026` (a printed day heading, which
    /// must not depend on when it is read).
    pub fn weekday_date(&self, ms: i64) -> String {
        let date = civil(self.day_of(ms));
        format!(
            "{} {} {} {}",
            WEEKDAYS[date.weekday], date.day, MONTHS[date.month], date.year
        )
    }

    /// How long ago a moment was, roughly: `just now`, `12 min`, `3 h`, `2 d`.
    pub fn elapsed_since(&self, ms: i64) -> String {
        let minutes = (self.now_ms - ms).max(0) / MS_PER_MINUTE;
        match minutes {
            0 => "just now".to_owned(),
            1..=59 => format!("{minutes} min"),
            60..=1439 => format!("{} h", minutes / 60),
            _ => format!("{} d", minutes / 1440),
        }
    }
}

/// Days since 1970-01-01 to a calendar date (Howard Hinnant's `civil_from_days`).
fn civil(days: i64) -> CivilDate {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    CivilDate {
        year,
        // `month` is 1..=12 by construction.
        month: usize::try_from(month - 1).unwrap_or(0),
        day,
        // 1970-01-01 was a Thursday.
        weekday: usize::try_from((days + 3).rem_euclid(7)).unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2025-02-03 14:03:00 UTC, a Monday.
    const MON_1403: i64 = 1_738_591_380_000;
    const HOUR: i64 = 3_600_000;

    fn clock(now_ms: i64, offset_min: i32) -> LocalClock {
        LocalClock {
            now_ms,
            zone: TimeZone::Fixed(offset_min),
        }
    }

    /// Central European time in 2026: UTC+1, and UTC+2 from 29 March 01:00 UTC to 25 October
    /// 01:00 UTC.
    fn berlin_2026(ms: i64) -> i32 {
        const SUMMER_FROM: i64 = 1_774_746_000_000;
        const SUMMER_UNTIL: i64 = 1_792_890_000_000;
        if (SUMMER_FROM..SUMMER_UNTIL).contains(&ms) {
            120
        } else {
            60
        }
    }

    #[test]
    fn calendar_dates_come_out_right_around_the_epoch_and_leap_days() {
        assert_eq!(
            civil(0),
            CivilDate {
                year: 1970,
                month: 0,
                day: 1,
                weekday: 3
            }
        );
        let leap = civil(clock(0, 0).day_of(1_709_164_800_000)); // 2024-02-29
        assert_eq!((leap.year, leap.month, leap.day), (2024, 1, 29));
        assert_eq!(civil(-1).year, 1969);
    }

    #[test]
    fn times_of_day_follow_the_readers_offset() {
        assert_eq!(clock(MON_1403, 0).time_of_day(MON_1403), "14:03");
        assert_eq!(clock(MON_1403, 60).time_of_day(MON_1403), "15:03");
        assert_eq!(clock(MON_1403, -15 * 60).time_of_day(MON_1403), "23:03");
    }

    #[test]
    fn each_moment_is_shown_with_the_offset_in_force_then() {
        // Read on 1 July 2026 (summer time) ...
        let summer = LocalClock {
            now_ms: 1_782_907_200_000,
            zone: TimeZone::Rules(berlin_2026),
        };
        // ... a message of 28 March 2026, 12:00 UTC, was written at 13:00 winter time.
        assert_eq!(summer.time_of_day(1_774_699_200_000), "13:00");
        // One of 30 March 2026, 12:00 UTC, at 14:00 summer time.
        assert_eq!(summer.time_of_day(1_774_872_000_000), "14:00");
        // 28 March 23:30 UTC is already 29 March in Berlin (00:30 winter time), not 28 March.
        let late = 1_774_740_600_000;
        assert_eq!(summer.day_of(late), summer.day_of(late + 2 * HOUR));
        assert_eq!(summer.day_label(late), "Sun 29 Mar");
    }

    #[test]
    fn a_day_ends_at_local_midnight_not_utc_midnight() {
        let late_utc = MON_1403 + 10 * HOUR; // 00:03 UTC on Tuesday
        assert_ne!(clock(0, 0).day_of(MON_1403), clock(0, 0).day_of(late_utc));
        // Five hours west of Greenwich it is still Monday evening.
        assert_eq!(
            clock(0, -300).day_of(MON_1403),
            clock(0, -300).day_of(late_utc)
        );
    }

    #[test]
    fn day_separators_say_today_yesterday_or_the_date() {
        let c = clock(MON_1403, 0);
        assert_eq!(c.day_label(MON_1403 - HOUR), "Today");
        assert_eq!(c.day_label(MON_1403 - 24 * HOUR), "Yesterday");
        assert_eq!(c.day_label(MON_1403 - 4 * 24 * HOUR), "Thu 30 Jan");
        assert_eq!(c.day_label(MON_1403 - 40 * 24 * HOUR), "25 Dec 2024");
    }

    #[test]
    fn list_times_get_coarser_with_age() {
        let c = clock(MON_1403, 0);
        assert_eq!(c.short_time(MON_1403 - HOUR), "13:03");
        assert_eq!(c.short_time(MON_1403 - 24 * HOUR), "Yesterday");
        assert_eq!(c.short_time(MON_1403 - 3 * 24 * HOUR), "Fri");
        assert_eq!(c.short_time(MON_1403 - 40 * 24 * HOUR), "25 Dec 2024");
        let july = clock(MON_1403 + 150 * 24 * HOUR, 0);
        assert_eq!(july.short_time(MON_1403), "3 Feb");
        // A clock running slightly behind the server still shows a time, not a date.
        assert_eq!(c.short_time(MON_1403 + 5_000), "14:03");
    }

    #[test]
    fn elapsed_time_is_rounded_down_to_a_readable_unit() {
        let c = clock(MON_1403, 0);
        assert_eq!(c.elapsed_since(MON_1403 - 20_000), "just now");
        assert_eq!(c.elapsed_since(MON_1403 - 12 * 60_000), "12 min");
        assert_eq!(c.elapsed_since(MON_1403 - 3 * HOUR - 60_000), "3 h");
        assert_eq!(c.elapsed_since(MON_1403 - 50 * HOUR), "2 d");
        assert_eq!(c.elapsed_since(MON_1403 + HOUR), "just now");
    }
}
