//! Calendar periods of `--period day|week|month|quarter|year` (SPEC 6.8), in a zone.
//!
//! A period is an `i32` ordinal, contiguous within its kind (the next period is
//! `ordinal + 1`), so a metric can bucket rows by a plain integer key and fill the empty
//! periods between the first and the last by counting. Weeks are ISO weeks (Monday start,
//! labelled with the ISO year). A period's bounds are the local midnights that start it and
//! the next one, so a day in a DST change lasts 23 or 25 hours.

use chrono::{Datelike, NaiveDate};

use crate::time::{self, Tz};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PeriodKind {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

/// Week ordinal 0 starts on Monday 1969-12-29, Unix day −3, so a week's ordinal is
/// `floor((day + 3) / 7)` and every week starts on a Monday.
const WEEK_ZERO_DAY: i64 = -3;

impl PeriodKind {
    /// Every kind, shortest first.
    pub const ALL: [PeriodKind; 5] = [
        PeriodKind::Day,
        PeriodKind::Week,
        PeriodKind::Month,
        PeriodKind::Quarter,
        PeriodKind::Year,
    ];

    /// Parses a `--period` value (case-insensitive).
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        PeriodKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(t))
            .ok_or_else(|| {
                format!("unknown period \"{t}\"; expected day, week, month, quarter or year")
            })
    }

    /// The name used on the command line, in configs and in `definition`.
    pub fn name(self) -> &'static str {
        match self {
            PeriodKind::Day => "day",
            PeriodKind::Week => "week",
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
            PeriodKind::Year => "year",
        }
    }

    /// The period holding instant `ms`, by its local date in `tz`. Called once per row, so
    /// it is one zone lookup plus integer arithmetic.
    ///
    /// Any `i64` is accepted. In the few zones whose clocks go back across midnight (from
    /// 00:00 to 23:00 the evening before, as Asia/Beirut does), the local date, and so this
    /// ordinal, steps back by one for that hour; where clocks change at 01:00 or later,
    /// as in Europe and North America, every instant lies in `[start_ms, end_ms)` of its
    /// period.
    pub fn ordinal_of(self, ms: i64, tz: Tz) -> i32 {
        self.ordinal_of_day(time::local_days(ms, tz))
    }

    /// The period holding local date `d`.
    pub fn ordinal_of_date(self, d: NaiveDate) -> i32 {
        self.ordinal_of_day(time::days_of_date(d))
    }

    fn ordinal_of_day(self, day: i64) -> i32 {
        let ordinal = match self {
            PeriodKind::Day => day,
            PeriodKind::Week => (day - WEEK_ZERO_DAY).div_euclid(7),
            PeriodKind::Month | PeriodKind::Quarter | PeriodKind::Year => {
                let (y, m) = time::year_month_of_days(day).unwrap_or_else(|| {
                    let (y, m, _) = time::civil_from_days(day);
                    (y, m)
                });
                let m0 = i64::from(m) - 1;
                match self {
                    PeriodKind::Month => y * 12 + m0,
                    PeriodKind::Quarter => y * 4 + m0 / 3,
                    _ => y,
                }
            }
        };
        // Day counts from `time` and `NaiveDate` stay within ±100 million, so every ordinal
        // fits; saturating only keeps this total.
        saturate(ordinal)
    }

    /// The first local date of the period. Ordinals beyond chrono's dates (about ±262,000
    /// years) give its first or last date.
    pub fn start_date(self, ordinal: i32) -> NaiveDate {
        let o = i64::from(ordinal);
        match self {
            PeriodKind::Day => time::date_from_days(o),
            PeriodKind::Week => time::date_from_days(WEEK_ZERO_DAY + 7 * o),
            PeriodKind::Month => first_of_month(o.div_euclid(12), o.rem_euclid(12) + 1),
            PeriodKind::Quarter => first_of_month(o.div_euclid(4), 3 * o.rem_euclid(4) + 1),
            PeriodKind::Year => first_of_month(o, 1),
        }
    }

    /// The first instant of the period: local midnight of [`PeriodKind::start_date`] in `tz`.
    pub fn start_ms(self, ordinal: i32, tz: Tz) -> i64 {
        time::local_midnight(self.start_date(ordinal), tz)
    }

    /// The last complete period at `at`: the latest whose end is at or before it.
    pub fn last_complete(self, at: i64, tz: Tz) -> i32 {
        let o = self.ordinal_of(at, tz);
        if self.end_ms(o, tz) > at {
            o - 1
        } else {
            o
        }
    }

    /// The end of the period (exclusive), which is the start of the next one.
    pub fn end_ms(self, ordinal: i32, tz: Tz) -> i64 {
        self.start_ms(ordinal.saturating_add(1), tz)
    }

    /// SPEC 6.8 labels: day `2025-01-06`, week `2025-W02` (ISO year and week), month
    /// `2025-01`, quarter `2025-Q1`, year `2025`.
    pub fn label(self, ordinal: i32) -> String {
        let d = self.start_date(ordinal);
        match self {
            PeriodKind::Day => format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
            PeriodKind::Week => {
                // The ISO year of a week is the ISO year of its Monday (2024-12-30 starts
                // 2025-W01), which may differ from the calendar year.
                let w = d.iso_week();
                format!("{:04}-W{:02}", w.year(), w.week())
            }
            PeriodKind::Month => format!("{:04}-{:02}", d.year(), d.month()),
            PeriodKind::Quarter => format!("{:04}-Q{}", d.year(), d.month0() / 3 + 1),
            PeriodKind::Year => format!("{:04}", d.year()),
        }
    }
}

impl PeriodKind {
    /// The period a SPEC 6.8 label names (`2025-03`, `2025-W02`, `2025-Q1`, …), when the label
    /// is written exactly as [`PeriodKind::label`] writes it.
    pub fn parse_label(self, s: &str) -> Option<i32> {
        let t = s.trim();
        let num = |x: &str| -> Option<i32> {
            (!x.is_empty() && x.bytes().all(|b| b.is_ascii_digit()))
                .then(|| x.parse().ok())
                .flatten()
        };
        let d = match self {
            PeriodKind::Day => NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()?,
            PeriodKind::Week => {
                let (y, w) = t.split_once("-W")?;
                NaiveDate::from_isoywd_opt(num(y)?, num(w)? as u32, chrono::Weekday::Mon)?
            }
            PeriodKind::Month => {
                let (y, m) = t.split_once('-')?;
                NaiveDate::from_ymd_opt(num(y)?, num(m)? as u32, 1)?
            }
            PeriodKind::Quarter => {
                let (y, q) = t.split_once("-Q")?;
                let q = num(q)?;
                if !(1..=4).contains(&q) {
                    return None;
                }
                NaiveDate::from_ymd_opt(num(y)?, 3 * (q as u32 - 1) + 1, 1)?
            }
            PeriodKind::Year => NaiveDate::from_ymd_opt(num(t)?, 1, 1)?,
        };
        let o = self.ordinal_of_date(d);
        (self.label(o) == t).then_some(o)
    }
}

/// 1 `month` of `year`; `date_from_days` clamps years outside chrono's range.
fn first_of_month(year: i64, month: i64) -> NaiveDate {
    // Clamp first so the day count cannot overflow; ±1M years is past chrono either way.
    let year = year.clamp(-1_000_000, 1_000_000);
    let month = u32::try_from(month).unwrap_or(1);
    time::date_from_days(time::days_from_civil(year, month, 1))
}

fn saturate(x: i64) -> i32 {
    i32::try_from(x).unwrap_or(if x < 0 { i32::MIN } else { i32::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use PeriodKind::*;

    const BERLIN: Tz = Tz::Europe__Berlin;
    const NEW_YORK: Tz = Tz::America__New_York;
    const H: i64 = 3_600_000;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    #[test]
    fn labels_parse_back() {
        for k in PeriodKind::ALL {
            for o in [
                k.ordinal_of_date(date(2024, 12, 30)),
                k.ordinal_of_date(date(2025, 3, 1)),
            ] {
                assert_eq!(k.parse_label(&k.label(o)), Some(o), "{k:?} {}", k.label(o));
            }
        }
        // 2024-12-30 is the Monday of 2025-W01.
        assert_eq!(
            Week.parse_label("2025-W01"),
            Some(Week.ordinal_of_date(date(2024, 12, 30)))
        );
        for bad in [
            "2025-3", "2025-13", "2025-Q5", "25", "2025-W54", "march", "",
        ] {
            assert_eq!(
                Month
                    .parse_label(bad)
                    .or(Quarter.parse_label(bad))
                    .or(Week.parse_label(bad)),
                None,
                "{bad}"
            );
        }
    }

    /// An instant in UTC, computed through chrono as an oracle independent of this module.
    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> i64 {
        date(y, mo, d)
            .and_hms_opt(h, mi, s)
            .expect("valid test time")
            .and_utc()
            .timestamp_millis()
    }

    fn label_of(kind: PeriodKind, d: NaiveDate) -> String {
        kind.label(kind.ordinal_of_date(d))
    }

    #[test]
    fn parse_and_name() {
        for kind in PeriodKind::ALL {
            assert_eq!(PeriodKind::parse(kind.name()), Ok(kind));
        }
        assert_eq!(PeriodKind::parse(" WEEK "), Ok(Week));
        assert_eq!(PeriodKind::parse("Quarter"), Ok(Quarter));
        assert_eq!(Month.name(), "month");
        let e = PeriodKind::parse("fortnight").unwrap_err();
        assert!(e.contains("\"fortnight\"") && e.contains("quarter"), "{e}");
        assert!(PeriodKind::parse("").is_err());
    }

    #[test]
    fn ordinals_follow_the_documented_numbering() {
        assert_eq!(Day.ordinal_of_date(date(1970, 1, 1)), 0);
        assert_eq!(Day.ordinal_of_date(date(2025, 1, 6)), 20_094);
        assert_eq!(Day.ordinal_of_date(date(1969, 12, 31)), -1);
        assert_eq!(Week.ordinal_of_date(date(1969, 12, 29)), 0);
        assert_eq!(Week.ordinal_of_date(date(1970, 1, 4)), 0);
        assert_eq!(Week.ordinal_of_date(date(1970, 1, 5)), 1);
        assert_eq!(Week.ordinal_of_date(date(1969, 12, 28)), -1);
        assert_eq!(Month.ordinal_of_date(date(2025, 1, 31)), 2025 * 12);
        assert_eq!(Month.ordinal_of_date(date(2025, 12, 1)), 2025 * 12 + 11);
        assert_eq!(Quarter.ordinal_of_date(date(2025, 6, 30)), 2025 * 4 + 1);
        assert_eq!(Year.ordinal_of_date(date(2025, 12, 31)), 2025);
        // Contiguous across year ends.
        assert_eq!(
            Month.ordinal_of_date(date(2026, 1, 1)),
            Month.ordinal_of_date(date(2025, 12, 31)) + 1
        );
        assert_eq!(
            Quarter.ordinal_of_date(date(2026, 1, 1)),
            Quarter.ordinal_of_date(date(2025, 12, 31)) + 1
        );
        assert_eq!(
            Week.ordinal_of_date(date(2025, 1, 6)),
            Week.ordinal_of_date(date(2025, 1, 5)) + 1
        );
    }

    #[test]
    fn iso_week_labels() {
        // 2024-12-30 is a Monday whose Thursday is 2025-01-02: week 1 of ISO year 2025.
        assert_eq!(label_of(Week, date(2024, 12, 30)), "2025-W01");
        assert_eq!(label_of(Week, date(2025, 1, 5)), "2025-W01");
        assert_eq!(label_of(Week, date(2025, 1, 6)), "2025-W02");
        // 2021-01-03 is a Sunday in the week of Thursday 2020-12-31: 2020 has 53 weeks.
        assert_eq!(label_of(Week, date(2021, 1, 3)), "2020-W53");
        assert_eq!(label_of(Week, date(2021, 1, 4)), "2021-W01");
        // 2026 starts on a Thursday, so it has a week 53 that ends on 2027-01-03.
        assert_eq!(label_of(Week, date(2026, 1, 1)), "2026-W01");
        assert_eq!(label_of(Week, date(2027, 1, 1)), "2026-W53");
        assert_eq!(label_of(Week, date(2025, 12, 28)), "2025-W52");
        // Every week starts on a Monday.
        assert_eq!(
            Week.start_date(Week.ordinal_of_date(date(2021, 1, 3))),
            date(2020, 12, 28)
        );
        assert_eq!(
            Week.start_date(Week.ordinal_of_date(date(2025, 1, 6))),
            date(2025, 1, 6)
        );
    }

    #[test]
    fn day_month_quarter_year_labels() {
        assert_eq!(label_of(Day, date(2025, 1, 6)), "2025-01-06");
        assert_eq!(label_of(Month, date(2025, 1, 31)), "2025-01");
        assert_eq!(label_of(Month, date(2025, 12, 1)), "2025-12");
        assert_eq!(label_of(Quarter, date(2025, 1, 1)), "2025-Q1");
        assert_eq!(label_of(Quarter, date(2025, 3, 31)), "2025-Q1");
        assert_eq!(label_of(Quarter, date(2025, 4, 1)), "2025-Q2");
        assert_eq!(label_of(Quarter, date(2025, 9, 30)), "2025-Q3");
        assert_eq!(label_of(Quarter, date(2025, 12, 31)), "2025-Q4");
        assert_eq!(label_of(Year, date(2025, 7, 1)), "2025");
        let dec = Month.ordinal_of_date(date(2025, 12, 1));
        assert_eq!(Month.label(dec + 1), "2026-01");
        let q4 = Quarter.ordinal_of_date(date(2025, 12, 1));
        assert_eq!(Quarter.label(q4 + 1), "2026-Q1");
        assert_eq!(Quarter.start_date(q4), date(2025, 10, 1));
        assert_eq!(Year.start_date(2025), date(2025, 1, 1));
        // Before the epoch too.
        assert_eq!(Month.label(1969 * 12 + 11), "1969-12");
        assert_eq!(Day.label(-1), "1969-12-31");
    }

    #[test]
    fn berlin_boundaries_across_dst() {
        let mar = Month.ordinal_of_date(date(2025, 3, 15));
        // March starts at 00:00 CET (23:00Z the day before) and ends at 00:00 CEST on
        // 1 April (22:00Z), which is where April starts.
        assert_eq!(Month.start_ms(mar, BERLIN), utc(2025, 2, 28, 23, 0, 0));
        assert_eq!(Month.end_ms(mar, BERLIN), utc(2025, 3, 31, 22, 0, 0));
        assert_eq!(Month.end_ms(mar, BERLIN), Month.start_ms(mar + 1, BERLIN));
        // The day of the spring change lasts 23 hours, the autumn one 25.
        let spring = Day.ordinal_of_date(date(2025, 3, 30));
        assert_eq!(
            Day.end_ms(spring, BERLIN) - Day.start_ms(spring, BERLIN),
            23 * H
        );
        let autumn = Day.ordinal_of_date(date(2025, 10, 26));
        assert_eq!(
            Day.end_ms(autumn, BERLIN) - Day.start_ms(autumn, BERLIN),
            25 * H
        );
        // The week holding the spring change is 7 days less an hour.
        let week = Week.ordinal_of_date(date(2025, 3, 30));
        assert_eq!(
            Week.end_ms(week, BERLIN) - Week.start_ms(week, BERLIN),
            7 * 24 * H - H
        );
        // Q2 runs from 00:00 CEST on 1 April to 00:00 CEST on 1 July.
        let q2 = Quarter.ordinal_of_date(date(2025, 5, 1));
        assert_eq!(Quarter.start_ms(q2, BERLIN), utc(2025, 3, 31, 22, 0, 0));
        assert_eq!(Quarter.end_ms(q2, BERLIN), utc(2025, 6, 30, 22, 0, 0));
        assert_eq!(Year.start_ms(2025, BERLIN), utc(2024, 12, 31, 23, 0, 0));
        assert_eq!(Year.start_ms(2025, Tz::UTC), utc(2025, 1, 1, 0, 0, 0));
    }

    #[test]
    fn ordinal_of_just_before_and_at_local_midnight() {
        // Berlin's 2025-01-06 00:00 is 2025-01-05T23:00Z: a Sunday/Monday week boundary.
        let midnight = utc(2025, 1, 5, 23, 0, 0);
        assert_eq!(
            Day.label(Day.ordinal_of(midnight - 1, BERLIN)),
            "2025-01-05"
        );
        assert_eq!(Day.label(Day.ordinal_of(midnight, BERLIN)), "2025-01-06");
        assert_eq!(
            Week.label(Week.ordinal_of(midnight - 1, BERLIN)),
            "2025-W01"
        );
        assert_eq!(Week.label(Week.ordinal_of(midnight, BERLIN)), "2025-W02");
        // The same instants in UTC are both still on the 5th.
        assert_eq!(Day.label(Day.ordinal_of(midnight, Tz::UTC)), "2025-01-05");
        // Month end in Berlin.
        let feb = utc(2025, 1, 31, 23, 0, 0);
        assert_eq!(Month.label(Month.ordinal_of(feb - 1, BERLIN)), "2025-01");
        assert_eq!(Month.label(Month.ordinal_of(feb, BERLIN)), "2025-02");
        // Year end in New York (-05:00).
        let ny2025 = utc(2025, 1, 1, 5, 0, 0);
        assert_eq!(Year.ordinal_of(ny2025 - 1, NEW_YORK), 2024);
        assert_eq!(Year.ordinal_of(ny2025, NEW_YORK), 2025);
        assert_eq!(
            Quarter.label(Quarter.ordinal_of(ny2025 - 1, NEW_YORK)),
            "2024-Q4"
        );
        // Just before the epoch.
        assert_eq!(Day.ordinal_of(-1, Tz::UTC), -1);
        assert_eq!(Week.ordinal_of(-1, Tz::UTC), 0);
    }

    #[test]
    fn extreme_inputs_do_not_panic() {
        for kind in PeriodKind::ALL {
            for tz in [Tz::UTC, BERLIN, Tz::Pacific__Apia] {
                for ms in [i64::MIN, i64::MIN + 1, -1, 0, i64::MAX] {
                    let o = kind.ordinal_of(ms, tz);
                    let _ = kind.label(o);
                }
                for o in [i32::MIN, i32::MIN + 1, -1, 0, i32::MAX - 1, i32::MAX] {
                    let _ = kind.label(o);
                    assert!(kind.start_ms(o, tz) <= kind.end_ms(o, tz), "{kind:?} {o}");
                }
            }
        }
    }

    const ZONES: [Tz; 4] = [Tz::UTC, BERLIN, NEW_YORK, Tz::Asia__Kolkata];

    proptest! {
        #[test]
        fn every_instant_lies_in_its_period(
            ms in 631_152_000_000i64..2_208_988_800_000, // 1990-01-01 .. 2040-01-01
            zone in 0usize..4,
            kind in 0usize..5,
        ) {
            let (tz, kind) = (ZONES[zone], PeriodKind::ALL[kind]);
            let o = kind.ordinal_of(ms, tz);
            let (start, end) = (kind.start_ms(o, tz), kind.end_ms(o, tz));
            prop_assert!(start <= ms && ms < end, "{:?} {} {}: [{}, {})", kind, tz, ms, start, end);
            prop_assert_eq!(kind.ordinal_of(start, tz), o);
            prop_assert_eq!(kind.ordinal_of(end, tz), o + 1);
            prop_assert_eq!(kind.ordinal_of_date(time::local_date(ms, tz)), o);
        }

        #[test]
        fn labels_sort_like_ordinals(
            day in 7_305i32..25_567, // 1990-01-01 .. 2040-01-01
            kind in 0usize..5,
        ) {
            let kind = PeriodKind::ALL[kind];
            let o = kind.ordinal_of_date(Day.start_date(day));
            prop_assert!(kind.label(o) < kind.label(o + 1));
            prop_assert!(kind.start_date(o) <= Day.start_date(day));
            prop_assert!(Day.start_date(day) < kind.start_date(o + 1));
        }
    }
}
