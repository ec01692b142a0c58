//! The inline calendar of a `cxm sql` query (SPEC 10): time stays in Rust.
//!
//! Engines disagree on zones, DST, week starts and ISO-week labels, so the query never
//! converts a zone or truncates a date. cxm computes, per UTC day, which period holds the
//! day's first instant and where (in milliseconds after UTC midnight) the next periods
//! begin, from the same `period.rs` the file path uses; the query joins each row on its
//! UTC day number and compares integers. Labels and `partial` come in a second small table.

use crate::metrics::business_time::Schedule;
use crate::period::PeriodKind;
use crate::sql::dialect::{Dialect, Lit, SqlType};
use crate::time::Tz;

pub const MS_PER_DAY: i64 = 86_400_000;

/// One UTC day: the period at its first instant, then (offset, period) where later periods
/// begin inside the day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalDay {
    pub day: i64,
    pub first: i32,
    pub splits: Vec<(i64, i32)>,
    /// Business time from the calendar's origin to the day's first instant (ms).
    pub clock0: i64,
    /// Business pieces inside the day: `[start, end)` in ms after UTC midnight, during
    /// which business time runs at the rate of real time.
    pub pieces: Vec<(i64, i64)>,
}

#[derive(Clone, Debug)]
pub struct Calendar {
    pub kind: Option<PeriodKind>,
    pub days: Vec<CalDay>,
    /// The most period starts inside one UTC day (0 for UTC and for periods longer than a
    /// day, 1 or 2 for days in other zones).
    pub splits: usize,
    /// The business clock, when business hours are given: its origin (the first day's
    /// first instant) and the most pieces in one UTC day.
    pub business: Option<(i64, usize)>,
}

impl Calendar {
    /// The calendar of every UTC day from the one holding `from_ms` to the one holding
    /// `to_ms`.
    pub fn build(kind: PeriodKind, tz: Tz, from_ms: i64, to_ms: i64) -> Calendar {
        Calendar::build_with(Some(kind), tz, None, from_ms, to_ms)
    }

    /// The calendar of periods (when `kind` is given) and of the business clock (when
    /// `schedule` is given) over the UTC days holding `from_ms` … `to_ms`.
    pub fn build_with(
        kind: Option<PeriodKind>,
        tz: Tz,
        schedule: Option<&Schedule>,
        from_ms: i64,
        to_ms: i64,
    ) -> Calendar {
        let (d0, d1) = (from_ms.div_euclid(MS_PER_DAY), to_ms.div_euclid(MS_PER_DAY));
        let origin = d0 * MS_PER_DAY;
        let mut days = Vec::new();
        let (mut splits, mut most_pieces) = (0, 0);
        for day in d0..=d1 {
            let start = day * MS_PER_DAY;
            let (mut first, mut sp) = (0, Vec::new());
            if let Some(kind) = kind {
                first = kind.ordinal_of(start, tz);
                let mut next = first + 1;
                loop {
                    let b = kind.start_ms(next, tz);
                    if b <= start || b >= start + MS_PER_DAY {
                        break;
                    }
                    sp.push((b - start, next));
                    next += 1;
                }
            }
            splits = splits.max(sp.len());
            let (clock0, pieces) = match schedule {
                Some(s) => (s.business_ms(origin, start), business_pieces(s, start)),
                None => (0, Vec::new()),
            };
            most_pieces = most_pieces.max(pieces.len());
            days.push(CalDay {
                day,
                first,
                splits: sp,
                clock0,
                pieces,
            });
        }
        Calendar {
            kind,
            days,
            splits,
            business: schedule.map(|_| (origin, most_pieces)),
        }
    }

    /// Business time from the origin to instant `t` as the query computes it (None outside
    /// the calendar or without business hours).
    pub fn clock_at(&self, t: i64) -> Option<i64> {
        self.business?;
        let day = t.div_euclid(MS_PER_DAY);
        let d = self
            .days
            .get(usize::try_from(day - self.days.first()?.day).ok()?)?;
        let r = t - day * MS_PER_DAY;
        Some(
            d.clock0
                + d.pieces
                    .iter()
                    .map(|&(s, e)| (r - s).clamp(0, e - s))
                    .sum::<i64>(),
        )
    }

    /// The period of instant `ms` as the query computes it (None outside the calendar).
    pub fn ordinal_at(&self, ms: i64) -> Option<i32> {
        let day = ms.div_euclid(MS_PER_DAY);
        let d = self
            .days
            .get(usize::try_from(day - self.days.first()?.day).ok()?)?;
        let off = ms - day * MS_PER_DAY;
        Some(
            d.splits
                .iter()
                .rev()
                .find(|(s, _)| off >= *s)
                .map_or(d.first, |(_, o)| *o),
        )
    }

    pub fn first_ordinal(&self) -> Option<i32> {
        self.days.first().map(|d| d.first)
    }

    pub fn last_ordinal(&self) -> Option<i32> {
        self.days
            .last()
            .map(|d| d.splits.last().map_or(d.first, |s| s.1))
    }

    /// The `cxm_cal(day[, o0, s1, o1 …][, b0, p1s, p1e …])` table: a day with fewer period
    /// starts or business pieces than the most has its missing offsets at 86,400,000 (never
    /// reached) and empty pieces.
    pub fn table(&self, d: Dialect) -> String {
        let mut cols: Vec<(String, SqlType)> = vec![("day".into(), SqlType::Int)];
        if self.kind.is_some() {
            cols.push(("o0".into(), SqlType::Int));
            for k in 1..=self.splits {
                cols.push((format!("s{k}"), SqlType::Int));
                cols.push((format!("o{k}"), SqlType::Int));
            }
        }
        let pieces = self.business.map_or(0, |b| b.1);
        if self.business.is_some() {
            cols.push(("b0".into(), SqlType::Int));
            for k in 1..=pieces {
                cols.push((format!("p{k}s"), SqlType::Int));
                cols.push((format!("p{k}e"), SqlType::Int));
            }
        }
        let rows: Vec<Vec<Lit>> = self
            .days
            .iter()
            .map(|day| {
                let mut r = vec![Lit::Int(day.day)];
                if self.kind.is_some() {
                    r.push(Lit::Int(day.first.into()));
                    let mut last = day.first;
                    for k in 0..self.splits {
                        let (s, o) = day.splits.get(k).copied().unwrap_or((MS_PER_DAY, last));
                        last = o;
                        r.push(Lit::Int(s));
                        r.push(Lit::Int(o.into()));
                    }
                }
                if self.business.is_some() {
                    r.push(Lit::Int(day.clock0));
                    for k in 0..pieces {
                        let (s, e) = day.pieces.get(k).copied().unwrap_or((0, 0));
                        r.push(Lit::Int(s));
                        r.push(Lit::Int(e));
                    }
                }
                r
            })
            .collect();
        let cols: Vec<(&str, SqlType)> = cols.iter().map(|(n, t)| (n.as_str(), *t)).collect();
        d.inline_table(&cols, &rows)
    }

    /// The business clock at epoch-ms expression `t` from the joined calendar row `c`:
    /// `b0 + Σ clamp(t − day·86,400,000 − s, 0, e − s)`.
    pub fn clock_expr(&self, c: &str, t: &str) -> String {
        let pieces = self.business.map_or(0, |b| b.1);
        let mut s = format!("{c}.b0");
        for k in 1..=pieces {
            s.push_str(&format!(
                " + LEAST(GREATEST({t} - {c}.day * 86400000 - {c}.p{k}s, 0), {c}.p{k}e - {c}.p{k}s)"
            ));
        }
        format!("({s})")
    }

    /// The expression giving a row's period from the joined calendar row `c` and the row's
    /// epoch milliseconds `t`.
    pub fn ordinal_expr(&self, c: &str, t: &str) -> String {
        if self.splits == 0 {
            return format!("{c}.o0");
        }
        let off = format!("({t} - {c}.day * 86400000)");
        let mut s = String::from("CASE");
        for k in (1..=self.splits).rev() {
            s.push_str(&format!(" WHEN {off} >= {c}.s{k} THEN {c}.o{k}"));
        }
        s.push_str(&format!(" ELSE {c}.o0 END"));
        s
    }
}

/// The pieces of UTC day `[start, start + 1 day)` in which business time runs: found hour
/// by hour, then minute by minute inside hours that are partly business time (schedule
/// boundaries and zone offsets are whole minutes), then second by second for a minute that
/// is still mixed (offsets of the old local mean times).
fn business_pieces(s: &Schedule, start: i64) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = Vec::new();
    let mut add = |a: i64, b: i64| match out.last_mut() {
        Some(last) if last.1 == a => last.1 = b,
        _ => out.push((a, b)),
    };
    fn scan(s: &Schedule, start: i64, a: i64, b: i64, step: i64, add: &mut dyn FnMut(i64, i64)) {
        let mut t = a;
        while t < b {
            let e = (t + step).min(b);
            let v = s.business_ms(start + t, start + e);
            if v == e - t {
                add(t, e);
            } else if v > 0 {
                if step > 1_000 {
                    let finer = if step > 60_000 { 60_000 } else { 1_000 };
                    scan(s, start, t, e, finer, add);
                } else {
                    // Sub-second business time does not occur; keep the second's start share.
                    add(t, t + v);
                }
            }
            t = e;
        }
    }
    scan(s, start, 0, MS_PER_DAY, 3_600_000, &mut add);
    out
}

/// The `cxm_periods(o, label, partial)` table for ordinals `lo..=hi`: `partial` when the
/// period ends after as-of.
pub fn periods_table(d: Dialect, kind: PeriodKind, tz: Tz, lo: i32, hi: i32, as_of: i64) -> String {
    let rows: Vec<Vec<Lit>> = (lo..=hi)
        .map(|o| {
            vec![
                Lit::Int(o.into()),
                Lit::Text(kind.label(o)),
                Lit::Bool(kind.end_ms(o, tz) > as_of),
            ]
        })
        .collect();
    d.inline_table(
        &[
            ("o", SqlType::Int),
            ("label", SqlType::Text),
            ("partial", SqlType::Bool),
        ],
        &rows,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn zone(name: &str) -> Tz {
        crate::time::parse_tz(name).unwrap()
    }

    #[test]
    fn berlin_days_split_at_local_midnight() {
        // 2025-03-30 (spring forward) in Europe/Berlin: local midnight of 03-31 is
        // 2025-03-30T22:00Z, so UTC day 2025-03-30 holds two days: 03-30 until 22:00, then
        // 03-31. Before the change (UTC+1) the split is at 23:00.
        let start = 1_743_206_400_000; // 2025-03-29T00:00Z
        let cal = Calendar::build(
            PeriodKind::Day,
            zone("Europe/Berlin"),
            start,
            start + 2 * MS_PER_DAY,
        );
        assert_eq!(cal.days.len(), 3);
        assert_eq!(
            cal.days[0].splits,
            vec![(23 * 3_600_000, cal.days[0].first + 1)]
        );
        assert_eq!(
            cal.days[1].splits,
            vec![(22 * 3_600_000, cal.days[1].first + 1)]
        );
        assert_eq!(cal.splits, 1);
        // Months in UTC never split a UTC day.
        let utc = Calendar::build(PeriodKind::Month, Tz::UTC, start, start + 40 * MS_PER_DAY);
        assert_eq!(utc.splits, 0);
    }

    fn schedule(spec: &str, zone: &str, holidays: &str) -> Schedule {
        let s = Schedule::parse(spec, crate::time::parse_tz(zone).unwrap()).unwrap();
        s.with_holidays(&crate::metrics::business_time::parse_holidays(holidays).unwrap())
    }

    #[test]
    fn business_pieces_of_a_berlin_office_day() {
        // Mon-Fri 09:00-17:00 Europe/Berlin: on Monday 2025-03-31 (CEST, UTC+2) the office is
        // open 07:00Z-15:00Z, so the UTC day holds one piece [7 h, 15 h); on Monday
        // 2025-03-24 (CET, UTC+1) it is [8 h, 16 h). Saturday 2025-03-29 has none.
        let s = schedule("Mon-Fri 09:00-17:00", "Europe/Berlin", "");
        let day = |y, m, d| {
            chrono::NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc()
                .timestamp_millis()
        };
        let h = 3_600_000;
        assert_eq!(business_pieces(&s, day(2025, 3, 31)), vec![(7 * h, 15 * h)]);
        assert_eq!(business_pieces(&s, day(2025, 3, 24)), vec![(8 * h, 16 * h)]);
        assert!(business_pieces(&s, day(2025, 3, 29)).is_empty());
        // The week of 2025-03-24 holds five 8-hour days: clock0 of the next Monday minus
        // this Monday's is 40 h.
        let cal = Calendar::build_with(None, Tz::UTC, Some(&s), day(2025, 3, 24), day(2025, 3, 31));
        assert_eq!(cal.days[7].clock0 - cal.days[0].clock0, 40 * h);
    }

    proptest! {
        /// The tabulated calendar gives the period `period.rs` gives, at any instant in
        /// range, for every kind and a spread of zones (DST, half-hour and negative offsets).
        /// The tabulated business clock gives the business time `business_time.rs` gives,
        /// between any two instants in range: office hours with holidays across both DST
        /// changes, a span crossing midnight, every hour of the week, a half-hour zone.
        #[test]
        fn calendar_reproduces_business_time(
            k in 0usize..4,
            start in 1_700_000_000_000i64..1_760_000_000_000,
            offs in proptest::collection::vec((0i64..(400 * MS_PER_DAY), 0i64..(400 * MS_PER_DAY)), 20),
        ) {
            let s = match k {
                0 => schedule("Mon-Fri 09:00-17:00", "Europe/Berlin", "2024-12-24..2024-12-26\n2025-04-18"),
                1 => schedule("Sat 22:00-02:00, Mon-Fri 08:30-12:00, Mon-Fri 13:00-18:00", "America/New_York", "2025-07-04"),
                2 => schedule("Mon-Sun 00:00-24:00", "Europe/Berlin", ""),
                _ => schedule("Mon-Thu 10:00-19:00", "Asia/Kolkata", "2025-01-26"),
            };
            let cal = Calendar::build_with(None, Tz::UTC, Some(&s), start, start + 400 * MS_PER_DAY);
            for (a, b) in offs {
                let (a, b) = (start + a.min(b), start + a.max(b));
                let want = s.business_ms(a, b);
                let got = cal.clock_at(b).unwrap() - cal.clock_at(a).unwrap();
                prop_assert_eq!(got, want, "{} .. {}", a, b);
            }
        }

        #[test]
        fn calendar_reproduces_ordinal_of(
            k in 0usize..5,
            z in 0usize..6,
            start in 1_600_000_000_000i64..1_800_000_000_000,
            offs in proptest::collection::vec(0i64..(400 * MS_PER_DAY), 20),
        ) {
            let zones = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata",
                         "Australia/Lord_Howe", "Pacific/Chatham"];
            let tz = zone(zones[z]);
            let kind = PeriodKind::ALL[k];
            let cal = Calendar::build(kind, tz, start, start + 400 * MS_PER_DAY);
            for o in offs {
                let t = start + o;
                prop_assert_eq!(cal.ordinal_at(t), Some(kind.ordinal_of(t, tz)));
            }
        }
    }
}
