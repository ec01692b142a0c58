//! The inline calendar of a `cxm sql` query (SPEC 10): time stays in Rust.
//!
//! Engines disagree on zones, DST, week starts and ISO-week labels, so the query never
//! converts a zone or truncates a date. cxm computes, per UTC day, which period holds the
//! day's first instant and where (in milliseconds after UTC midnight) the next periods
//! begin, from the same `period.rs` the file path uses; the query joins each row on its
//! UTC day number and compares integers. Labels and `partial` come in a second small table.

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
}

#[derive(Clone, Debug)]
pub struct Calendar {
    pub kind: PeriodKind,
    pub tz: Tz,
    pub days: Vec<CalDay>,
    /// The most period starts inside one UTC day (0 for UTC and for periods longer than a
    /// day, 1 or 2 for days in other zones).
    pub splits: usize,
}

impl Calendar {
    /// The calendar of every UTC day from the one holding `from_ms` to the one holding
    /// `to_ms`.
    pub fn build(kind: PeriodKind, tz: Tz, from_ms: i64, to_ms: i64) -> Calendar {
        let (d0, d1) = (from_ms.div_euclid(MS_PER_DAY), to_ms.div_euclid(MS_PER_DAY));
        let mut days = Vec::new();
        let mut splits = 0;
        for day in d0..=d1 {
            let start = day * MS_PER_DAY;
            let first = kind.ordinal_of(start, tz);
            let mut sp = Vec::new();
            let mut next = first + 1;
            loop {
                let b = kind.start_ms(next, tz);
                if b <= start || b >= start + MS_PER_DAY {
                    break;
                }
                sp.push((b - start, next));
                next += 1;
            }
            splits = splits.max(sp.len());
            days.push(CalDay {
                day,
                first,
                splits: sp,
            });
        }
        Calendar {
            kind,
            tz,
            days,
            splits,
        }
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

    /// The `cxm_cal(day, o0[, s1, o1 …])` table; a day with fewer period starts than the
    /// most has its missing offsets at 86,400,000 (never reached).
    pub fn table(&self, d: Dialect) -> String {
        let mut cols: Vec<(String, SqlType)> =
            vec![("day".into(), SqlType::Int), ("o0".into(), SqlType::Int)];
        for k in 1..=self.splits {
            cols.push((format!("s{k}"), SqlType::Int));
            cols.push((format!("o{k}"), SqlType::Int));
        }
        let rows: Vec<Vec<Lit>> = self
            .days
            .iter()
            .map(|day| {
                let mut r = vec![Lit::Int(day.day), Lit::Int(day.first.into())];
                let mut last = day.first;
                for k in 0..self.splits {
                    let (s, o) = day.splits.get(k).copied().unwrap_or((MS_PER_DAY, last));
                    last = o;
                    r.push(Lit::Int(s));
                    r.push(Lit::Int(o.into()));
                }
                r
            })
            .collect();
        let cols: Vec<(&str, SqlType)> = cols.iter().map(|(n, t)| (n.as_str(), *t)).collect();
        d.inline_table(&cols, &rows)
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

    proptest! {
        /// The tabulated calendar gives the period `period.rs` gives, at any instant in
        /// range, for every kind and a spread of zones (DST, half-hour and negative offsets).
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
