//! Business time: the real elapsed time between two instants that falls inside a weekly
//! schedule of local wall-clock spans, in a time zone, less holidays (SPEC 6.5).
//!
//! Model. Each weekday owns a set of spans `[start, end)` in minutes from its local 00:00;
//! a span may run past midnight (up to 24 h long) and still belongs to the day it starts
//! on. A holiday removes the spans that start on that local date (a Friday night shift
//! that runs into a Saturday holiday is kept). The spans of one week are folded into a
//! table of wall-clock segments, each marked with who owns it: its own day, the previous
//! day (the tail of a span that crossed midnight), or both.
//!
//! Real time. A local span boundary maps to an instant like this: a local time that does
//! not exist (spring gap) maps to the instant the gap ends; a local time that occurs twice
//! (fall back) maps to the earlier instant. The elapsed time of a span is the difference of
//! its mapped boundaries, so a span across a DST change is an hour shorter or longer
//! (`00:00-24:00` lasts 23 h or 25 h).
//!
//! Closed form. `clock(u)` is the business time from a fixed origin to the instant `u`:
//! the wall-clock business time up to `u`'s local time (whole weeks × weekly total + a
//! binary search in the week table − holidays, by binary search over merged holiday ranges
//! with a prefix sum) plus a correction for every UTC offset change before `u` (a spring
//! gap removes the business wall time inside the gap, a fall-back adds the repeated hour
//! when the instant of the change is inside business time), again a prefix sum found by
//! binary search. `business_ms(a, b) = clock(b) − clock(a)`: O(log H + log T) per call, no
//! time-zone library call at all. The zone's offset changes are read once per zone (they
//! are finite: the zone database lists them up to 2100, a fixed offset holds after).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Datelike, NaiveDate, Offset, TimeZone};
pub use chrono_tz::Tz;
use serde_json::Value;

const MIN_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;
const WEEK_MS: i64 = 7 * DAY_MS;
const DAY_MIN: u32 = 1440;
const WEEK_MIN: usize = 10_080;
/// Instants are clamped to ±LIMIT_MS (about ±250,000 years) so no arithmetic overflows.
const LIMIT_MS: i64 = 8_000_000_000_000_000;
/// 1970-01-01 (day 0) is a Thursday: `day + 3` counts days from Monday 1969-12-29.
const MONDAY_SHIFT_MS: i64 = 3 * DAY_MS;
/// `NaiveDate::num_days_from_ce` of 1970-01-01.
const CE_TO_UNIX_DAYS: i64 = 719_163;

/// Owner bits of a wall-clock minute: a span of the same day, or of the previous day.
const OWN: u8 = 1;
const PREV: u8 = 2;

const DAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
const SPAN_EXAMPLE: &str = "expected e.g. \"Mon-Fri 09:00-17:00, Sat 10:00-14:00\"";
const HOLIDAY_EXAMPLE: &str = "expected YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD";

/// Wall-clock segments of one owner class within the week (Monday 00:00 origin, ms),
/// with their cumulative lengths.
#[derive(Clone, Debug, Default)]
struct Class {
    starts: Vec<i64>,
    ends: Vec<i64>,
    /// `cum[i]`: total length of the segments before `i`.
    cum: Vec<i64>,
    total: i64,
}

impl Class {
    fn new(segs: impl Iterator<Item = (i64, i64)>) -> Class {
        let mut c = Class::default();
        for (s, e) in segs {
            c.starts.push(s);
            c.ends.push(e);
            c.cum.push(c.total);
            c.total += e - s;
        }
        c
    }

    /// Length of the class inside `[week start, r)`, `0 <= r <= WEEK_MS`.
    fn within(&self, r: i64) -> i64 {
        let i = self.starts.partition_point(|&s| s < r);
        if i == 0 {
            return 0;
        }
        let j = i - 1;
        self.cum[j] + (r.min(self.ends[j]) - self.starts[j])
    }

    /// Length of the class from the origin week's Monday 00:00 up to local position `l`.
    fn upto(&self, l: i64) -> i64 {
        let x = l + MONDAY_SHIFT_MS;
        x.div_euclid(WEEK_MS) * self.total + self.within(x.rem_euclid(WEEK_MS))
    }

    /// Length of the class inside `[a, b)` (0 when `b <= a`).
    fn between(&self, a: i64, b: i64) -> i64 {
        if b > a {
            self.upto(b) - self.upto(a)
        } else {
            0
        }
    }
}

/// A change of the zone's UTC offset at instant `at` (ms), offsets in ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Change {
    at: i64,
    before: i64,
    after: i64,
}

#[derive(Debug)]
struct Changes {
    initial: i64,
    list: Vec<Change>,
    /// `first[k]`: how many changes happen at or before `FROM_MS + k << STEP_BITS`, so that
    /// [`Changes::count_upto`] scans a step's few changes instead of searching them all.
    first: Vec<u32>,
}

/// [`Changes::first`] covers 1900..2100 in steps of 2^31 ms (about 25 days).
const CHANGES_FROM_MS: i64 = -2_208_988_800_000;
const CHANGES_STEP_BITS: u32 = 31;
const CHANGES_STEPS: usize = 2_950;

impl Changes {
    fn new(initial: i64, list: Vec<Change>) -> Changes {
        let first = (0..=CHANGES_STEPS)
            .map(|k| {
                let t = CHANGES_FROM_MS + ((k as i64) << CHANGES_STEP_BITS);
                list.partition_point(|c| c.at <= t) as u32
            })
            .collect();
        Changes {
            initial,
            list,
            first,
        }
    }

    /// How many changes happen at or before `u`: `list.partition_point(|c| c.at <= u)`.
    fn count_upto(&self, u: i64) -> usize {
        let k = u.wrapping_sub(CHANGES_FROM_MS) >> CHANGES_STEP_BITS;
        match usize::try_from(k)
            .ok()
            .and_then(|k| Some((self.first.get(k)?, self.first.get(k + 1)?)))
        {
            Some((&lo, &hi)) => {
                let (lo, hi) = (lo as usize, hi as usize);
                lo + self.list[lo..hi].iter().take_while(|c| c.at <= u).count()
            }
            None => self.list.partition_point(|c| c.at <= u),
        }
    }
}

/// A weekly business schedule in a time zone, with holidays.
#[derive(Clone, Debug)]
pub struct Schedule {
    tz: Tz,
    /// Spans per weekday (0 = Monday) in minutes from that day's 00:00; `end` is in
    /// `(start, start + 1440]`, so it may reach into the next day.
    days: [Vec<(u32, u32)>; 7],
    /// All business wall time; owned by its own day only; owned by the previous day only.
    any: Class,
    own_only: Class,
    prev_only: Class,
    /// Merged holiday ranges, inclusive, in days since 1970-01-01 (local dates).
    holidays: Vec<(i64, i64)>,
    /// `hol_cum[i]`: business wall time removed by `holidays[..i]` (one more entry than
    /// `holidays`: the last is what all of them remove).
    hol_cum: Vec<i64>,
    changes: Arc<Changes>,
    /// `extra_cum[i]`: real minus wall business time caused by `changes.list[..i]`.
    extra_cum: Vec<i64>,
}

impl Schedule {
    /// `--business-hours` text: comma-separated `DAYS HH:MM-HH:MM`; DAYS is `Mon`…`Sun`
    /// (full names and prefixes of two letters or more work too), a range `Mon-Fri` (may
    /// wrap: `Sat-Mon`) or a `+` list `Mon+Wed` (whose items may be ranges);
    /// case-insensitive; `H`, `HH`, `H:MM` or `HH:MM`; `24:00` allowed as an end; an end
    /// <= start crosses midnight and belongs to its start day; overlapping spans merge.
    pub fn parse(spec: &str, tz: Tz) -> Result<Schedule, String> {
        let mut days: [Vec<(u32, u32)>; 7] = Default::default();
        let mut any = false;
        for item in spec.split(',') {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            let bad =
                |what: &str| format!("invalid business hours {item:?}: {what}; {SPAN_EXAMPLE}");
            let Some(cut) = item.find(|c: char| c.is_ascii_digit()) else {
                return Err(bad("no hours (HH:MM-HH:MM) found"));
            };
            let (day_text, hours_text) = item.split_at(cut);
            let set = parse_days(day_text).map_err(|e| bad(&e))?;
            let (start, end) = parse_hours(hours_text).map_err(|e| bad(&e))?;
            for (w, on) in set.iter().enumerate() {
                if *on {
                    days[w].push((start, end));
                }
            }
            any = true;
        }
        if !any {
            return Err(format!(
                "business hours {spec:?} name no span; {SPAN_EXAMPLE}"
            ));
        }
        Ok(Schedule::build(tz, days, Vec::new()))
    }

    /// A Zendesk schedule JSON: a schedule object, `{"schedule":…}` or `{"schedules":[…]}`
    /// (or a bare array); several schedules need `id`, matched against a schedule's `id`
    /// (number or string) or its `name` (case-insensitive). Intervals are minutes since
    /// Sunday 00:00 and may span days (each day's part is owned by that day); `time_zone`
    /// is a Rails/ActiveSupport name or an IANA name; `holidays` inside the schedule (or
    /// beside it in the wrapper) are applied.
    pub fn from_zendesk_json(text: &str, id: Option<&str>) -> Result<Schedule, String> {
        let text = text.trim_start_matches('\u{feff}');
        let root: Value = serde_json::from_str(text)
            .map_err(|e| format!("schedule JSON is not valid JSON: {e}"))?;
        let id = id.map(str::trim).filter(|s| !s.is_empty());
        let (sched, wrapper_holidays) = select_schedule(&root, id)?;
        let label = schedule_label(sched);

        let zone_text = sched
            .get("time_zone")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("schedule {label} has no \"time_zone\""))?;
        let tz = rails_zone_to_iana(zone_text).ok_or_else(|| {
            format!(
                "schedule {label}: unknown time_zone {zone_text:?} (expected a Rails name such as \
                 \"Pacific Time (US & Canada)\" or an IANA name such as \"Europe/Berlin\")"
            )
        })?;

        let intervals = sched
            .get("intervals")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("schedule {label} has no \"intervals\" array"))?;
        let mut days: [Vec<(u32, u32)>; 7] = Default::default();
        for (i, iv) in intervals.iter().enumerate() {
            let num = |key: &str| iv.get(key).and_then(json_int);
            let (Some(s), Some(e)) = (num("start_time"), num("end_time")) else {
                return Err(format!(
                    "schedule {label}: interval {} needs integer start_time and end_time \
                     (minutes since Sunday 00:00), got {iv}",
                    i + 1
                ));
            };
            if s < 0 || e <= s {
                return Err(format!(
                    "schedule {label}: interval {} has start_time {s}, end_time {e}; expected \
                     0 <= start_time < end_time, e.g. {{\"start_time\": 1980, \"end_time\": 2460}}",
                    i + 1
                ));
            }
            add_week_interval(&mut days, s, e);
        }
        if days.iter().all(Vec::is_empty) {
            return Err(format!("schedule {label} has no intervals"));
        }

        let mut ranges = Vec::new();
        for list in [sched.get("holidays"), wrapper_holidays]
            .into_iter()
            .flatten()
        {
            ranges.extend(holidays_from_json_value(list)?);
        }
        Ok(Schedule::build(tz, days, Vec::new()).with_holidays(&ranges))
    }

    /// Add holidays: inclusive local-date ranges (a range whose end precedes its start is
    /// ignored). A holiday removes the spans that start on that local date.
    pub fn with_holidays(self, ranges: &[(NaiveDate, NaiveDate)]) -> Schedule {
        let mut days_list = self.holidays.clone();
        days_list.extend(
            ranges
                .iter()
                .filter(|(a, b)| a <= b)
                .map(|(a, b)| (date_to_day(*a), date_to_day(*b))),
        );
        Schedule::build(self.tz, self.days, days_list)
    }

    /// Business time in ms inside `[start, end)`; 0 when `end <= start`.
    pub fn business_ms(&self, start: i64, end: i64) -> i64 {
        if end <= start {
            return 0;
        }
        let (s, e) = (clamp_instant(start), clamp_instant(end));
        (self.clock(e) - self.clock(s)).clamp(0, e - s)
    }

    /// The schedule's time zone.
    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// Weekly business minutes on the wall clock (overlaps counted once, no holidays).
    pub fn weekly_minutes(&self) -> i64 {
        self.any.total / MIN_MS
    }

    /// The merged holiday ranges (inclusive local dates).
    pub fn holidays(&self) -> Vec<(NaiveDate, NaiveDate)> {
        self.holidays
            .iter()
            .filter_map(|&(a, b)| Some((day_to_date(a)?, day_to_date(b)?)))
            .collect()
    }

    fn build(tz: Tz, mut days: [Vec<(u32, u32)>; 7], mut holidays: Vec<(i64, i64)>) -> Schedule {
        for d in days.iter_mut() {
            d.sort_unstable();
            d.dedup();
        }
        // Owner mask of every wall-clock minute of the week.
        let mut mask = vec![0u8; WEEK_MIN];
        for (w, spans) in days.iter().enumerate() {
            for &(s, e) in spans {
                for m in s..e.min(2 * DAY_MIN) {
                    if m < DAY_MIN {
                        mask[w * DAY_MIN as usize + m as usize] |= OWN;
                    } else {
                        mask[((w + 1) % 7) * DAY_MIN as usize + (m - DAY_MIN) as usize] |= PREV;
                    }
                }
            }
        }
        let mut segs: Vec<(i64, i64, u8)> = Vec::new();
        let mut i = 0;
        while i < WEEK_MIN {
            let m = mask[i];
            let mut j = i + 1;
            while j < WEEK_MIN && mask[j] == m {
                j += 1;
            }
            if m != 0 {
                segs.push((i as i64 * MIN_MS, j as i64 * MIN_MS, m));
            }
            i = j;
        }
        let class = |keep: fn(u8) -> bool| {
            Class::new(segs.iter().filter(|s| keep(s.2)).map(|s| (s.0, s.1)))
        };
        let any = class(|_| true);
        let own_only = class(|m| m == OWN);
        let prev_only = class(|m| m == PREV);

        // Merge overlapping and adjacent holiday ranges.
        holidays.sort_unstable();
        let mut merged: Vec<(i64, i64)> = Vec::with_capacity(holidays.len());
        for (a, b) in holidays {
            match merged.last_mut() {
                Some(last) if a <= last.1 + 1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }

        let changes = zone_changes(tz);
        let mut sched = Schedule {
            tz,
            days,
            any,
            own_only,
            prev_only,
            holidays: merged,
            hol_cum: Vec::new(),
            changes,
            extra_cum: Vec::new(),
        };
        let mut acc = 0;
        let mut hol_cum = Vec::with_capacity(sched.holidays.len());
        for &h in &sched.holidays {
            hol_cum.push(acc);
            acc += sched.removed_upto(h, i64::MAX);
        }
        hol_cum.push(acc);
        sched.hol_cum = hol_cum;

        let mut extra_cum = Vec::with_capacity(sched.changes.list.len() + 1);
        let mut acc = 0;
        extra_cum.push(0);
        for c in &sched.changes.list {
            acc += if c.after > c.before {
                // Spring gap: local [at+before, at+after) does not exist.
                -(sched.wall(c.at + c.after) - sched.wall(c.at + c.before))
            } else if c.after < c.before {
                // Fall back: the repeated stretch counts when the local time at which the
                // change happens closes business time.
                let l = c.at + c.before;
                (c.before - c.after) * (sched.wall(l) - sched.wall(l - 1))
            } else {
                0
            };
            extra_cum.push(acc);
        }
        sched.extra_cum = extra_cum;
        sched
    }

    /// Business wall time removed by holiday range `(a, b)` before local position `l`.
    fn removed_upto(&self, (a, b): (i64, i64), l: i64) -> i64 {
        let d = |n: i64| n * DAY_MS;
        self.own_only.between(d(a), l.min(d(a + 1)))
            + self.any.between(d(a + 1), l.min(d(b + 1)))
            + self.prev_only.between(d(b + 1), l.min(d(b + 2)))
    }

    /// Business wall time from the origin to local position `l` (ms), holidays removed.
    fn wall(&self, l: i64) -> i64 {
        let k = self.holidays.partition_point(|&(a, _)| a * DAY_MS <= l);
        let removed = match k.checked_sub(1).map(|j| (j, self.holidays[j])) {
            None => 0,
            // Past the last day a holiday range touches (a span of its last day may run
            // into the next): all it removes, without the three lookups.
            Some((_, (_, b))) if l >= (b + 2) * DAY_MS => self.hol_cum[k],
            Some((j, h)) => self.hol_cum[j] + self.removed_upto(h, l),
        };
        self.any.upto(l) - removed
    }

    /// Real business time from the origin to instant `u` (clamped).
    fn clock(&self, u: i64) -> i64 {
        let list = &self.changes.list;
        let idx = self.changes.count_upto(u);
        if idx > 0 {
            let c = list[idx - 1];
            if c.after < c.before && u < c.at + (c.before - c.after) {
                // Second pass through a repeated local stretch: its real time is credited
                // at the local instant of the change.
                let l = c.at + c.before;
                let inside = self.wall(l) - self.wall(l - 1);
                return self.wall(l) + self.extra_cum[idx]
                    - (c.at + c.before - c.after - u) * inside;
            }
        }
        let off = if idx == 0 {
            self.changes.initial
        } else {
            list[idx - 1].after
        };
        self.wall(u + off) + self.extra_cum[idx]
    }
}

fn clamp_instant(u: i64) -> i64 {
    u.clamp(-LIMIT_MS, LIMIT_MS)
}

fn date_to_day(d: NaiveDate) -> i64 {
    i64::from(d.num_days_from_ce()) - CE_TO_UNIX_DAYS
}

fn day_to_date(n: i64) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(n + CE_TO_UNIX_DAYS).ok()?)
}

/// Add a Zendesk interval (minutes since Sunday 00:00) as per-day pieces.
fn add_week_interval(days: &mut [Vec<(u32, u32)>; 7], s: i64, e: i64) {
    let week = WEEK_MIN as i64;
    let day = i64::from(DAY_MIN);
    let mut left = (e - s).min(week);
    // Monday-based minute of the week.
    let mut a = (s % week + 6 * day) % week;
    while left > 0 {
        let d = (a / day) as usize;
        let off = a % day;
        let take = left.min(day - off);
        days[d].push((off as u32, (off + take) as u32));
        left -= take;
        a = (a + take) % week;
    }
}

fn day_index(name: &str) -> Option<usize> {
    if name.len() < 2 {
        return None;
    }
    DAY_NAMES.iter().position(|full| full.starts_with(name))
}

fn parse_days(text: &str) -> Result<[bool; 7], String> {
    let t: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
        .replace('\u{2013}', "-");
    if t.is_empty() {
        return Err("no days given before the hours".to_string());
    }
    let mut set = [false; 7];
    for part in t.split('+') {
        let unknown =
            |d: &str| format!("unknown day {d:?} (use Mon, Tue, Wed, Thu, Fri, Sat, Sun)");
        match part.split_once('-') {
            Some((a, b)) => {
                let from = day_index(a).ok_or_else(|| unknown(a))?;
                let to = day_index(b).ok_or_else(|| unknown(b))?;
                let mut w = from;
                loop {
                    set[w] = true;
                    if w == to {
                        break;
                    }
                    w = (w + 1) % 7;
                }
            }
            None => set[day_index(part).ok_or_else(|| unknown(part))?] = true,
        }
    }
    Ok(set)
}

/// `HH:MM-HH:MM` → (start, end) minutes; end in (start, start + 1440].
fn parse_hours(text: &str) -> Result<(u32, u32), String> {
    let t: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .replace('\u{2013}', "-");
    let Some((a, b)) = t.split_once('-') else {
        return Err(format!("hours {t:?} are not HH:MM-HH:MM"));
    };
    let start = parse_hm(a).ok_or_else(|| format!("invalid start time {a:?}"))?;
    let end = parse_hm(b).ok_or_else(|| format!("invalid end time {b:?}"))?;
    if start >= DAY_MIN {
        return Err("24:00 is only valid as an end time".to_string());
    }
    let end = if end <= start { end + DAY_MIN } else { end };
    Ok((start, end))
}

fn parse_hm(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':').unwrap_or((s, "00"));
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || h.len() > 2 || m.len() != 2 || !digits(m) {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 60 + m)
}

fn json_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            let f = n.as_f64()?;
            (f.fract() == 0.0 && f.abs() < 1e15).then_some(f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.trim().to_string()),
        _ => None,
    }
}

fn schedule_label(s: &Value) -> String {
    let id = s.get("id").and_then(id_text);
    let name = s.get("name").and_then(Value::as_str);
    match (id, name) {
        (Some(i), Some(n)) => format!("{i} ({n:?})"),
        (Some(i), None) => i,
        (None, Some(n)) => format!("{n:?}"),
        (None, None) => "(unnamed)".to_string(),
    }
}

fn schedule_matches(s: &Value, id: &str) -> bool {
    s.get("id").and_then(id_text).is_some_and(|x| x == id)
        || s.get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| n.trim().eq_ignore_ascii_case(id))
}

/// The chosen schedule object and the wrapper's `holidays` (if any).
fn select_schedule<'a>(
    root: &'a Value,
    id: Option<&str>,
) -> Result<(&'a Value, Option<&'a Value>), String> {
    let wrapper_holidays = root.get("holidays");
    let list: Vec<&Value> = if let Some(arr) = root.get("schedules").and_then(Value::as_array) {
        arr.iter().collect()
    } else if let Some(arr) = root.as_array() {
        arr.iter().collect()
    } else if let Some(one) = root.get("schedule").filter(|v| v.is_object()) {
        vec![one]
    } else if root.get("intervals").is_some() {
        return match id {
            Some(i) if !schedule_matches(root, i) => Err(format!(
                "schedule JSON holds schedule {}, not {i:?}",
                schedule_label(root)
            )),
            _ => Ok((root, None)),
        };
    } else {
        return Err(
            "schedule JSON is not a Zendesk schedule: expected an object with \"intervals\", \
             {\"schedule\": …} or {\"schedules\": […]}"
                .to_string(),
        );
    };
    let list: Vec<&Value> = list.into_iter().filter(|v| v.is_object()).collect();
    let names = || {
        list.iter()
            .map(|s| schedule_label(s))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match id {
        Some(i) => match list.iter().find(|s| schedule_matches(s, i)) {
            Some(s) => Ok((s, wrapper_holidays)),
            None => Err(format!(
                "schedule JSON has no schedule with id or name {i:?} (it has: {})",
                names()
            )),
        },
        None => match list.as_slice() {
            [one] => Ok((one, wrapper_holidays)),
            [] => Err("schedule JSON holds no schedule".to_string()),
            _ => Err(format!(
                "schedule JSON holds {} schedules ({}); pick one with FILE#ID",
                list.len(),
                names()
            )),
        },
    }
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim().trim_matches('"').trim();
    // Accept a timestamp's date part ("2025-12-25T00:00:00Z").
    let s = s.split(['T', ' ']).next().unwrap_or(s);
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn holidays_from_json_value(v: &Value) -> Result<Vec<(NaiveDate, NaiveDate)>, String> {
    let list: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(_) => vec![v],
        _ => {
            return Err(format!(
                "holidays JSON: expected a list of holidays, got {v}"
            ))
        }
    };
    let mut out = Vec::with_capacity(list.len());
    for (i, h) in list.iter().enumerate() {
        let bad = |what: &str| format!("holidays JSON entry {}: {what} in {h}", i + 1);
        let text = |key: &str| h.get(key).and_then(Value::as_str);
        let start_text = text("start_date")
            .or_else(|| text("date"))
            .ok_or_else(|| bad("no \"start_date\""))?;
        let start = parse_date(start_text)
            .ok_or_else(|| bad(&format!("invalid start_date {start_text:?}")))?;
        let end = match text("end_date").filter(|s| !s.trim().is_empty()) {
            Some(t) => parse_date(t).ok_or_else(|| bad(&format!("invalid end_date {t:?}")))?,
            None => start,
        };
        if end < start {
            return Err(bad("end_date is before start_date"));
        }
        out.push((start, end));
    }
    Ok(out)
}

/// Split one CSV line (quotes with doubled-quote escapes) on `sep`.
fn split_csv(line: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    cur.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == '"' {
            quoted = true;
        } else if c == sep {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    out
}

/// `--holidays FILE` text: lines `YYYY-MM-DD` or `YYYY-MM-DD..YYYY-MM-DD` (inclusive),
/// `#` comments and blank lines; or a CSV whose header has `date` or
/// `start_date[,end_date]` (other columns ignored; `,`, `;` or tab separated); or a Zendesk
/// `{"holidays":[{"start_date","end_date",…}]}` JSON (or a bare list). The ranges come
/// back in file order. Err names the line number and the bad text.
pub fn parse_holidays(text: &str) -> Result<Vec<(NaiveDate, NaiveDate)>, String> {
    let text = text.trim_start_matches('\u{feff}');
    let head = text.trim_start();
    if head.starts_with('{') || head.starts_with('[') {
        let v: Value = serde_json::from_str(head)
            .map_err(|e| format!("holidays JSON is not valid JSON: {e}"))?;
        let list = match &v {
            Value::Object(o) => o.get("holidays").or_else(|| o.get("holiday")).ok_or(
                "holidays JSON: expected {\"holidays\": [{\"start_date\": …, \"end_date\": …}]}",
            )?,
            _ => &v,
        };
        return holidays_from_json_value(list);
    }

    // CSV: (separator, start column, end column).
    let mut csv: Option<(char, usize, Option<usize>)> = None;
    let mut seen_content = false;
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let first = !seen_content;
        seen_content = true;
        if first && !trimmed.starts_with(|c: char| c.is_ascii_digit()) {
            let sep = [',', ';', '\t']
                .into_iter()
                .find(|&c| trimmed.contains(c))
                .unwrap_or(',');
            let cols: Vec<String> = split_csv(trimmed, sep)
                .iter()
                .map(|c| {
                    c.trim()
                        .to_ascii_lowercase()
                        .chars()
                        .filter(|ch| ch.is_ascii_alphanumeric())
                        .collect()
                })
                .collect();
            let find = |name: &str| cols.iter().position(|c| c == name);
            let start = find("startdate").or_else(|| find("date"));
            let Some(start) = start else {
                return Err(format!(
                    "holidays line {n}: {trimmed:?} is neither a date nor a CSV header with a \
                     \"date\" or \"start_date,end_date\" column; {HOLIDAY_EXAMPLE}"
                ));
            };
            csv = Some((sep, start, find("enddate")));
            continue;
        }
        match csv {
            Some((sep, si, ei)) => {
                let fields = split_csv(trimmed, sep);
                let get = |k: usize| fields.get(k).map(|s| s.trim()).unwrap_or("");
                let s_text = get(si);
                let start = parse_date(s_text).ok_or_else(|| {
                    format!("holidays line {n}: invalid date {s_text:?} in {trimmed:?}; expected YYYY-MM-DD")
                })?;
                let end = match ei.map(get).filter(|t| !t.is_empty()) {
                    Some(t) => parse_date(t).ok_or_else(|| {
                        format!("holidays line {n}: invalid end date {t:?} in {trimmed:?}; expected YYYY-MM-DD")
                    })?,
                    None => start,
                };
                if end < start {
                    return Err(format!(
                        "holidays line {n}: {trimmed:?} ends before it starts"
                    ));
                }
                out.push((start, end));
            }
            None => {
                let body = trimmed.split('#').next().unwrap_or("").trim();
                let bad = || format!("holidays line {n}: invalid {body:?}; {HOLIDAY_EXAMPLE}");
                let (a, b) = match body.split_once("..") {
                    Some((a, b)) => (a.trim(), b.trim()),
                    None => (body, body),
                };
                let strict =
                    |s: &str| s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
                if !strict(a) || !strict(b) {
                    return Err(bad());
                }
                let start = parse_date(a).ok_or_else(bad)?;
                let end = parse_date(b).ok_or_else(bad)?;
                if end < start {
                    return Err(format!(
                        "holidays line {n}: range {body:?} ends before it starts"
                    ));
                }
                out.push((start, end));
            }
        }
    }
    Ok(out)
}

/// Rails/ActiveSupport::TimeZone::MAPPING names (as Zendesk uses them), plus older aliases.
static RAILS_ZONES: &[(&str, &str)] = &[
    ("International Date Line West", "Etc/GMT+12"),
    ("Midway Island", "Pacific/Midway"),
    ("American Samoa", "Pacific/Pago_Pago"),
    ("Hawaii", "Pacific/Honolulu"),
    ("Alaska", "America/Juneau"),
    ("Pacific Time (US & Canada)", "America/Los_Angeles"),
    ("Tijuana", "America/Tijuana"),
    ("Mountain Time (US & Canada)", "America/Denver"),
    ("Arizona", "America/Phoenix"),
    ("Chihuahua", "America/Chihuahua"),
    ("Mazatlan", "America/Mazatlan"),
    ("Central Time (US & Canada)", "America/Chicago"),
    ("Saskatchewan", "America/Regina"),
    ("Guadalajara", "America/Mexico_City"),
    ("Mexico City", "America/Mexico_City"),
    ("Monterrey", "America/Monterrey"),
    ("Central America", "America/Guatemala"),
    ("Eastern Time (US & Canada)", "America/New_York"),
    ("Indiana (East)", "America/Indiana/Indianapolis"),
    ("Bogota", "America/Bogota"),
    ("Lima", "America/Lima"),
    ("Quito", "America/Lima"),
    ("Atlantic Time (Canada)", "America/Halifax"),
    ("Caracas", "America/Caracas"),
    ("La Paz", "America/La_Paz"),
    ("Santiago", "America/Santiago"),
    ("Asuncion", "America/Asuncion"),
    ("Newfoundland", "America/St_Johns"),
    ("Brasilia", "America/Sao_Paulo"),
    ("Buenos Aires", "America/Argentina/Buenos_Aires"),
    ("Montevideo", "America/Montevideo"),
    ("Georgetown", "America/Guyana"),
    ("Puerto Rico", "America/Puerto_Rico"),
    ("Greenland", "America/Godthab"),
    ("Mid-Atlantic", "Atlantic/South_Georgia"),
    ("Azores", "Atlantic/Azores"),
    ("Cape Verde Is.", "Atlantic/Cape_Verde"),
    ("Dublin", "Europe/Dublin"),
    ("Edinburgh", "Europe/London"),
    ("Lisbon", "Europe/Lisbon"),
    ("London", "Europe/London"),
    ("Casablanca", "Africa/Casablanca"),
    ("Monrovia", "Africa/Monrovia"),
    ("UTC", "Etc/UTC"),
    ("Belgrade", "Europe/Belgrade"),
    ("Bratislava", "Europe/Bratislava"),
    ("Budapest", "Europe/Budapest"),
    ("Ljubljana", "Europe/Ljubljana"),
    ("Prague", "Europe/Prague"),
    ("Sarajevo", "Europe/Sarajevo"),
    ("Skopje", "Europe/Skopje"),
    ("Warsaw", "Europe/Warsaw"),
    ("Zagreb", "Europe/Zagreb"),
    ("Brussels", "Europe/Brussels"),
    ("Copenhagen", "Europe/Copenhagen"),
    ("Madrid", "Europe/Madrid"),
    ("Paris", "Europe/Paris"),
    ("Amsterdam", "Europe/Amsterdam"),
    ("Berlin", "Europe/Berlin"),
    ("Bern", "Europe/Zurich"),
    ("Zurich", "Europe/Zurich"),
    ("Rome", "Europe/Rome"),
    ("Stockholm", "Europe/Stockholm"),
    ("Vienna", "Europe/Vienna"),
    ("West Central Africa", "Africa/Algiers"),
    ("Bucharest", "Europe/Bucharest"),
    ("Cairo", "Africa/Cairo"),
    ("Helsinki", "Europe/Helsinki"),
    ("Kyiv", "Europe/Kiev"),
    ("Kyev", "Europe/Kiev"),
    ("Riga", "Europe/Riga"),
    ("Sofia", "Europe/Sofia"),
    ("Tallinn", "Europe/Tallinn"),
    ("Vilnius", "Europe/Vilnius"),
    ("Athens", "Europe/Athens"),
    ("Istanbul", "Europe/Istanbul"),
    ("Minsk", "Europe/Minsk"),
    ("Jerusalem", "Asia/Jerusalem"),
    ("Harare", "Africa/Harare"),
    ("Pretoria", "Africa/Johannesburg"),
    ("Kaliningrad", "Europe/Kaliningrad"),
    ("Moscow", "Europe/Moscow"),
    ("St. Petersburg", "Europe/Moscow"),
    ("Volgograd", "Europe/Volgograd"),
    ("Samara", "Europe/Samara"),
    ("Kuwait", "Asia/Kuwait"),
    ("Riyadh", "Asia/Riyadh"),
    ("Nairobi", "Africa/Nairobi"),
    ("Baghdad", "Asia/Baghdad"),
    ("Tehran", "Asia/Tehran"),
    ("Abu Dhabi", "Asia/Muscat"),
    ("Muscat", "Asia/Muscat"),
    ("Baku", "Asia/Baku"),
    ("Tbilisi", "Asia/Tbilisi"),
    ("Yerevan", "Asia/Yerevan"),
    ("Kabul", "Asia/Kabul"),
    ("Ekaterinburg", "Asia/Yekaterinburg"),
    ("Islamabad", "Asia/Karachi"),
    ("Karachi", "Asia/Karachi"),
    ("Tashkent", "Asia/Tashkent"),
    ("Chennai", "Asia/Kolkata"),
    ("Kolkata", "Asia/Kolkata"),
    ("Mumbai", "Asia/Kolkata"),
    ("New Delhi", "Asia/Kolkata"),
    ("Kathmandu", "Asia/Kathmandu"),
    ("Astana", "Asia/Dhaka"),
    ("Dhaka", "Asia/Dhaka"),
    ("Sri Jayawardenepura", "Asia/Colombo"),
    ("Almaty", "Asia/Almaty"),
    ("Novosibirsk", "Asia/Novosibirsk"),
    ("Rangoon", "Asia/Rangoon"),
    ("Bangkok", "Asia/Bangkok"),
    ("Hanoi", "Asia/Bangkok"),
    ("Jakarta", "Asia/Jakarta"),
    ("Krasnoyarsk", "Asia/Krasnoyarsk"),
    ("Beijing", "Asia/Shanghai"),
    ("Chongqing", "Asia/Chongqing"),
    ("Hong Kong", "Asia/Hong_Kong"),
    ("Urumqi", "Asia/Urumqi"),
    ("Kuala Lumpur", "Asia/Kuala_Lumpur"),
    ("Singapore", "Asia/Singapore"),
    ("Taipei", "Asia/Taipei"),
    ("Perth", "Australia/Perth"),
    ("Irkutsk", "Asia/Irkutsk"),
    ("Ulaanbaatar", "Asia/Ulaanbaatar"),
    ("Ulaan Bataar", "Asia/Ulaanbaatar"),
    ("Seoul", "Asia/Seoul"),
    ("Osaka", "Asia/Tokyo"),
    ("Sapporo", "Asia/Tokyo"),
    ("Tokyo", "Asia/Tokyo"),
    ("Yakutsk", "Asia/Yakutsk"),
    ("Darwin", "Australia/Darwin"),
    ("Adelaide", "Australia/Adelaide"),
    ("Canberra", "Australia/Melbourne"),
    ("Melbourne", "Australia/Melbourne"),
    ("Sydney", "Australia/Sydney"),
    ("Brisbane", "Australia/Brisbane"),
    ("Hobart", "Australia/Hobart"),
    ("Vladivostok", "Asia/Vladivostok"),
    ("Guam", "Pacific/Guam"),
    ("Port Moresby", "Pacific/Port_Moresby"),
    ("Magadan", "Asia/Magadan"),
    ("Srednekolymsk", "Asia/Srednekolymsk"),
    ("Solomon Is.", "Pacific/Guadalcanal"),
    ("New Caledonia", "Pacific/Noumea"),
    ("Fiji", "Pacific/Fiji"),
    ("Kamchatka", "Asia/Kamchatka"),
    ("Marshall Is.", "Pacific/Majuro"),
    ("Auckland", "Pacific/Auckland"),
    ("Wellington", "Pacific/Auckland"),
    ("Nuku'alofa", "Pacific/Tongatapu"),
    ("Tokelau Is.", "Pacific/Fakaofo"),
    ("Chatham Is.", "Pacific/Chatham"),
    ("Samoa", "Pacific/Apia"),
];

/// A Rails/ActiveSupport time-zone name (case-insensitive; a UI prefix such as
/// "(GMT-08:00) " is ignored) mapped to its IANA zone. An IANA name is accepted as well
/// (exact, then case-insensitive). None when neither.
pub fn rails_zone_to_iana(name: &str) -> Option<Tz> {
    let mut n = name.trim();
    if n.starts_with("(GMT") || n.starts_with("(UTC") {
        if let Some((_, rest)) = n.split_once(')') {
            n = rest.trim();
        }
    }
    if n.is_empty() {
        return None;
    }
    if let Some((_, iana)) = RAILS_ZONES.iter().find(|(r, _)| r.eq_ignore_ascii_case(n)) {
        return iana.parse().ok();
    }
    n.parse::<Tz>().ok().or_else(|| {
        chrono_tz::TZ_VARIANTS
            .iter()
            .copied()
            .find(|tz| tz.name().eq_ignore_ascii_case(n))
    })
}

/// UTC offset (seconds) of `tz` at Unix second `secs`.
fn offset_secs(tz: Tz, secs: i64) -> i64 {
    match DateTime::from_timestamp(secs, 0) {
        Some(dt) => i64::from(
            tz.offset_from_utc_datetime(&dt.naive_utc())
                .fix()
                .local_minus_utc(),
        ),
        None => 0,
    }
}

/// Every change of `tz`'s UTC offset, found once per zone by probing daily from 1800 to
/// 2101 and bisecting to the second (the zone database has none outside that range).
fn zone_changes(tz: Tz) -> Arc<Changes> {
    static CACHE: OnceLock<Mutex<HashMap<Tz, Arc<Changes>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(c) = cache.lock().ok().and_then(|g| g.get(&tz).cloned()) {
        return c;
    }
    const FROM: i64 = -5_364_662_400; // 1800-01-01
    const TO: i64 = 4_133_980_800; // 2101-01-01
    const STEP: i64 = 86_400;
    let initial = offset_secs(tz, FROM);
    let mut list = Vec::new();
    let (mut t, mut off) = (FROM, initial);
    while t < TO {
        let probe = (t + STEP).min(TO);
        if offset_secs(tz, probe) == off {
            t = probe;
            continue;
        }
        // First second in (t, probe] whose offset differs from `off`.
        let (mut lo, mut hi) = (t, probe);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if offset_secs(tz, mid) == off {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let new = offset_secs(tz, hi);
        list.push(Change {
            at: hi * 1000,
            before: off * 1000,
            after: new * 1000,
        });
        t = hi;
        off = new;
    }
    let changes = Arc::new(Changes::new(initial * 1000, list));
    if let Ok(mut g) = cache.lock() {
        g.insert(tz, changes.clone());
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, LocalResult, NaiveDateTime, Weekday};
    use chrono_tz::GapInfo;
    use proptest::prelude::*;

    const H: i64 = 3_600_000;
    const M: i64 = 60_000;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis()
    }

    fn date(y: i32, mo: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, mo, d).unwrap()
    }

    fn tz(name: &str) -> Tz {
        name.parse().unwrap()
    }

    fn sched(spec: &str, zone: &str) -> Schedule {
        Schedule::parse(spec, tz(zone)).unwrap()
    }

    // ---- UTC, Mon-Fri 09:00-17:00 -------------------------------------------------------
    // 2025-01-06 is a Monday (2025-01-01 was a Wednesday).

    #[test]
    fn friday_afternoon_to_monday_morning() {
        let s = sched("Mon-Fri 09:00-17:00", "UTC");
        // Fri 16:00-17:00 (1 h) + Mon 09:00-10:00 (1 h); the weekend is closed.
        assert_eq!(
            s.business_ms(utc(2025, 1, 10, 16, 0), utc(2025, 1, 13, 10, 0)),
            2 * H
        );
        assert_eq!(s.weekly_minutes(), 5 * 8 * 60);
    }

    #[test]
    fn ticket_outside_business_hours_is_zero() {
        let s = sched("Mon-Fri 09:00-17:00", "UTC");
        // Saturday 10:00 -> Sunday 20:00: no span on either day.
        assert_eq!(
            s.business_ms(utc(2025, 1, 11, 10, 0), utc(2025, 1, 12, 20, 0)),
            0
        );
        // Monday 17:00 -> Tuesday 09:00: between two spans.
        assert_eq!(
            s.business_ms(utc(2025, 1, 6, 17, 0), utc(2025, 1, 7, 9, 0)),
            0
        );
        // Reversed or empty intervals are 0.
        assert_eq!(
            s.business_ms(utc(2025, 1, 7, 12, 0), utc(2025, 1, 7, 10, 0)),
            0
        );
        assert_eq!(
            s.business_ms(utc(2025, 1, 7, 12, 0), utc(2025, 1, 7, 12, 0)),
            0
        );
    }

    #[test]
    fn holiday_in_the_middle() {
        let s = sched("Mon-Fri 09:00-17:00", "UTC");
        let (a, b) = (utc(2025, 1, 7, 10, 0), utc(2025, 1, 9, 10, 0));
        // Tue 10:00-17:00 = 7 h, Wed 09:00-17:00 = 8 h, Thu 09:00-10:00 = 1 h.
        assert_eq!(s.business_ms(a, b), 16 * H);
        // Wednesday 2025-01-08 is a holiday: 7 h + 0 + 1 h.
        let s = s.with_holidays(&[(date(2025, 1, 8), date(2025, 1, 8))]);
        assert_eq!(s.business_ms(a, b), 8 * H);
        // Inside the holiday nothing counts.
        assert_eq!(
            s.business_ms(utc(2025, 1, 8, 0, 0), utc(2025, 1, 9, 0, 0)),
            0
        );
    }

    #[test]
    fn spans_crossing_midnight() {
        // Each weekday's span runs 22:00 -> 06:00 the next morning and belongs to its
        // start day: Fri 22:00 - Sat 06:00 counts, Sun 22:00 does not exist, so Monday
        // 00:00-06:00 is closed.
        let s = sched("Mon-Fri 22:00-06:00", "UTC");
        assert_eq!(s.weekly_minutes(), 5 * 8 * 60);
        let (a, b) = (utc(2025, 1, 11, 0, 0), utc(2025, 1, 13, 23, 0));
        // Sat 00:00-06:00 (Friday's span) = 6 h, Mon 22:00-23:00 = 1 h.
        assert_eq!(s.business_ms(a, b), 7 * H);
        assert_eq!(
            s.business_ms(utc(2025, 1, 13, 0, 0), utc(2025, 1, 13, 6, 0)),
            0
        );
        assert_eq!(
            s.business_ms(utc(2025, 1, 14, 0, 0), utc(2025, 1, 14, 6, 0)),
            6 * H
        );
        // A Friday holiday removes Friday's span, including its Saturday morning part.
        let fri = s
            .clone()
            .with_holidays(&[(date(2025, 1, 10), date(2025, 1, 10))]);
        assert_eq!(fri.business_ms(a, b), H);
        // A Saturday holiday removes nothing (no span starts on Saturday).
        let sat = s
            .clone()
            .with_holidays(&[(date(2025, 1, 11), date(2025, 1, 11))]);
        assert_eq!(sat.business_ms(a, b), 7 * H);
        // A Monday holiday removes Mon 22:00-23:00 here.
        let mon = s.with_holidays(&[(date(2025, 1, 13), date(2025, 1, 13))]);
        assert_eq!(mon.business_ms(a, b), 6 * H);
    }

    #[test]
    fn overlapping_owners_and_holidays() {
        // Saturday's 22:00-02:00 overlaps Sunday's 00:00-05:00 on Sunday 00:00-02:00.
        let s = sched("Sat 22:00-02:00, Sun 00:00-05:00", "UTC");
        // Union: Sat 22:00 - Sun 05:00 = 7 h a week.
        assert_eq!(s.weekly_minutes(), 7 * 60);
        let (a, b) = (utc(2025, 1, 11, 0, 0), utc(2025, 1, 13, 0, 0));
        assert_eq!(s.business_ms(a, b), 7 * H);
        // Sunday holiday: Sunday's own span goes, Saturday's tail (00:00-02:00) stays: 4 h.
        let sun = s
            .clone()
            .with_holidays(&[(date(2025, 1, 12), date(2025, 1, 12))]);
        assert_eq!(sun.business_ms(a, b), 4 * H);
        // Saturday holiday: Sunday 00:00-05:00 stays: 5 h.
        let sat = s
            .clone()
            .with_holidays(&[(date(2025, 1, 11), date(2025, 1, 11))]);
        assert_eq!(sat.business_ms(a, b), 5 * H);
        // Both days: nothing, also when given as two adjacent ranges.
        let both = s
            .clone()
            .with_holidays(&[(date(2025, 1, 11), date(2025, 1, 12))]);
        assert_eq!(both.business_ms(a, b), 0);
        let two = s.with_holidays(&[
            (date(2025, 1, 12), date(2025, 1, 12)),
            (date(2025, 1, 11), date(2025, 1, 11)),
        ]);
        assert_eq!(two.business_ms(a, b), 0);
    }

    #[test]
    fn several_years() {
        let s = sched("Mon-Fri 09:00-17:00", "UTC");
        // 2024-01-01 (a Monday) -> 2026-01-05 (a Monday): 366 + 365 + 4 = 735 days
        // = 105 weeks exactly, 105 × 40 h = 4200 h.
        let (a, b) = (utc(2024, 1, 1, 0, 0), utc(2026, 1, 5, 0, 0));
        assert_eq!(s.business_ms(a, b), 4200 * H);
        // Holidays: 2024-07-04..07 (Thu, Fri, Sat, Sun: 2 weekdays), 2024-12-25 (Wed),
        // 2025-01-01 (Wed), 2025-07-05 (Sat: nothing), 2025-12-25 (Thu): 5 weekdays × 8 h.
        let s = s.with_holidays(&[
            (date(2024, 7, 4), date(2024, 7, 7)),
            (date(2024, 12, 25), date(2024, 12, 25)),
            (date(2025, 1, 1), date(2025, 1, 1)),
            (date(2025, 7, 5), date(2025, 7, 5)),
            (date(2025, 12, 25), date(2025, 12, 25)),
        ]);
        assert_eq!(s.business_ms(a, b), 4160 * H);
        // Starting mid-span: Mon 2024-01-01 12:00 loses 3 h of the first day.
        assert_eq!(s.business_ms(utc(2024, 1, 1, 12, 0), b), 4157 * H);
    }

    #[test]
    fn holidays_overlapping_and_adjacent_merge() {
        let s = sched("Mon-Sun 09:00-17:00", "UTC").with_holidays(&[
            (date(2025, 1, 7), date(2025, 1, 8)),
            (date(2025, 1, 8), date(2025, 1, 9)),
            (date(2025, 1, 10), date(2025, 1, 10)),
            (date(2025, 1, 20), date(2025, 1, 19)), // reversed: ignored
        ]);
        assert_eq!(s.holidays(), vec![(date(2025, 1, 7), date(2025, 1, 10))]);
        // Jan 6 .. Jan 13 (7 days), 4 of them holidays: 3 × 8 h.
        assert_eq!(
            s.business_ms(utc(2025, 1, 6, 0, 0), utc(2025, 1, 13, 0, 0)),
            24 * H
        );
    }

    // ---- DST -----------------------------------------------------------------------------

    #[test]
    fn berlin_spring_forward() {
        // 2025-03-30 (Sunday): 02:00 CET -> 03:00 CEST at 01:00 UTC.
        let day_start = utc(2025, 3, 29, 23, 0); // 00:00 CET
        let day_end = utc(2025, 3, 30, 22, 0); // 24:00 CEST
        let all = sched("Mon-Sun 00:00-24:00", "Europe/Berlin");
        assert_eq!(all.business_ms(day_start, day_end), 23 * H);
        // 01:00 CET (00:00 UTC) -> 04:00 CEST (02:00 UTC): 2 h.
        let night = sched("Sun 01:00-04:00", "Europe/Berlin");
        assert_eq!(night.business_ms(day_start, day_end), 2 * H);
        // 09:00 CEST -> 17:00 CEST: the change at 02:00 is outside, 8 h.
        let office = sched("Sun 09:00-17:00", "Europe/Berlin");
        assert_eq!(office.business_ms(day_start, day_end), 8 * H);
        // 02:30 does not exist: the span starts when the gap ends (03:00 CEST = 01:00 UTC)
        // and ends at 05:00 CEST = 03:00 UTC: 2 h.
        let gap = sched("Sun 02:30-05:00", "Europe/Berlin");
        assert_eq!(gap.business_ms(day_start, day_end), 2 * H);
        // A span wholly inside the gap lasts 0.
        let void = sched("Sun 02:00-02:45", "Europe/Berlin");
        assert_eq!(void.business_ms(day_start, day_end), 0);
        // Partial: 00:30 UTC (01:30 CET) -> 01:30 UTC (03:30 CEST) is 1 h of real time.
        assert_eq!(
            night.business_ms(utc(2025, 3, 30, 0, 30), utc(2025, 3, 30, 1, 30)),
            H
        );
    }

    #[test]
    fn berlin_fall_back() {
        // 2025-10-26 (Sunday): 03:00 CEST -> 02:00 CET at 01:00 UTC; 02:00-03:00 twice.
        let day_start = utc(2025, 10, 25, 22, 0); // 00:00 CEST
        let day_end = utc(2025, 10, 26, 23, 0); // 24:00 CET
        let all = sched("Mon-Sun 00:00-24:00", "Europe/Berlin");
        assert_eq!(all.business_ms(day_start, day_end), 25 * H);
        // 01:00 CEST (23:00 UTC) -> 04:00 CET (03:00 UTC): 4 h.
        let night = sched("Sun 01:00-04:00", "Europe/Berlin");
        assert_eq!(night.business_ms(day_start, day_end), 4 * H);
        // Second pass through 02:30-03:30 CET (01:30-02:30 UTC) is inside the span: 1 h.
        assert_eq!(
            night.business_ms(utc(2025, 10, 26, 1, 30), utc(2025, 10, 26, 2, 30)),
            H
        );
        // 02:30 CEST (00:30 UTC) -> 02:30 CET (01:30 UTC): 1 h.
        assert_eq!(
            night.business_ms(utc(2025, 10, 26, 0, 30), utc(2025, 10, 26, 1, 30)),
            H
        );
        // 02:00-02:30 uses the earlier instants: 00:00-00:30 UTC, 30 min; the second pass
        // (01:00-01:30 UTC) is not business.
        let early = sched("Sun 02:00-02:30", "Europe/Berlin");
        assert_eq!(early.business_ms(day_start, day_end), 30 * M);
        assert_eq!(
            early.business_ms(utc(2025, 10, 26, 1, 0), utc(2025, 10, 26, 2, 0)),
            0
        );
        // 02:30 (earlier, 00:30 UTC) -> 05:00 CET (04:00 UTC): 3.5 h.
        let late = sched("Sun 02:30-05:00", "Europe/Berlin");
        assert_eq!(late.business_ms(day_start, day_end), 3 * H + 30 * M);
        // 09:00-17:00 CET: 8 h.
        let office = sched("Sun 09:00-17:00", "Europe/Berlin");
        assert_eq!(office.business_ms(day_start, day_end), 8 * H);
    }

    #[test]
    fn new_york_dst() {
        // 2025-03-09 (Sunday): 02:00 EST -> 03:00 EDT at 07:00 UTC.
        let all = sched("Mon-Sun 00:00-24:00", "America/New_York");
        let night = sched("Sun 01:00-04:00", "America/New_York");
        let (a, b) = (utc(2025, 3, 9, 5, 0), utc(2025, 3, 10, 4, 0)); // local 00:00 -> 24:00
        assert_eq!(all.business_ms(a, b), 23 * H);
        // 01:00 EST (06:00 UTC) -> 04:00 EDT (08:00 UTC): 2 h.
        assert_eq!(night.business_ms(a, b), 2 * H);
        // 2025-11-02 (Sunday): 02:00 EDT -> 01:00 EST at 06:00 UTC; 01:00-02:00 twice.
        let (a, b) = (utc(2025, 11, 2, 4, 0), utc(2025, 11, 3, 5, 0));
        assert_eq!(all.business_ms(a, b), 25 * H);
        // 01:00 EDT (05:00 UTC, the earlier) -> 04:00 EST (09:00 UTC): 4 h.
        assert_eq!(night.business_ms(a, b), 4 * H);
        // 01:00-01:30 on that day: the earlier pass only, 05:00-05:30 UTC.
        let short = sched("Sun 01:00-01:30", "America/New_York");
        assert_eq!(short.business_ms(a, b), 30 * M);
        // A whole week Mon 2025-10-27 00:00 EDT (04:00 UTC) -> Mon 2025-11-03 00:00 EST
        // (05:00 UTC) with Mon-Fri 09:00-17:00: 40 h, the change is on Sunday.
        let office = sched("Mon-Fri 09:00-17:00", "America/New_York");
        assert_eq!(
            office.business_ms(utc(2025, 10, 27, 4, 0), utc(2025, 11, 3, 5, 0)),
            40 * H
        );
    }

    #[test]
    fn full_week_is_calendar_time_in_every_zone() {
        let anchors = [
            utc(2025, 3, 9, 0, 0),
            utc(2025, 3, 30, 0, 0),
            utc(2025, 10, 26, 0, 0),
            utc(2025, 11, 2, 0, 0),
            utc(2011, 12, 29, 0, 0), // Samoa skips a day
            utc(1945, 6, 1, 0, 0),
        ];
        for zone in [
            "UTC",
            "Europe/Berlin",
            "America/New_York",
            "Pacific/Apia",
            "Australia/Lord_Howe",
        ] {
            let s = sched("Mon-Sun 00:00-24:00", zone);
            for &a in &anchors {
                for (da, db) in [(-3 * H, 5 * 24 * H), (-90 * M, 3 * H), (0, 400 * 24 * H)] {
                    assert_eq!(s.business_ms(a + da, a + db), db - da, "{zone} {a}");
                }
            }
        }
    }

    #[test]
    fn extreme_instants_do_not_panic() {
        let s = sched("Mon-Fri 09:00-17:00", "Europe/Berlin").with_holidays(&[
            (NaiveDate::MIN, NaiveDate::MIN),
            (NaiveDate::MAX, NaiveDate::MAX),
        ]);
        for (a, b) in [
            (i64::MIN, i64::MAX),
            (i64::MIN, 0),
            (0, i64::MAX),
            (i64::MAX - 1, i64::MAX),
        ] {
            let v = s.business_ms(a, b);
            assert!(v >= 0);
        }
        // Far past and future still count whole weeks: 52 weeks × 40 h in year 3000.
        let a = utc(3000, 1, 6, 0, 0); // a Monday
        assert_eq!(s.business_ms(a, a + 52 * 7 * 24 * H), 52 * 40 * H);
    }

    // ---- parsing -------------------------------------------------------------------------

    #[test]
    fn span_parsing() {
        // Sat-Mon wraps: Sat, Sun, Mon × 2 h.
        assert_eq!(
            sched("Sat-Mon 10:00-12:00", "UTC").weekly_minutes(),
            3 * 120
        );
        // + list: Mon and Wed × 8 h.
        assert_eq!(
            sched("Mon+Wed 09:00-17:00", "UTC").weekly_minutes(),
            2 * 480
        );
        // + list items may be ranges; names are case-insensitive and may be full.
        assert_eq!(
            sched("mon-TUE+friday 09:00-10:00", "UTC").weekly_minutes(),
            3 * 60
        );
        // 24:00 as an end: 15 h × 5.
        assert_eq!(
            sched("Mon-Fri 09:00-24:00", "UTC").weekly_minutes(),
            5 * 900
        );
        // Several spans, different per day, one crossing midnight.
        let s = sched(
            "Mon-Thu 09:00-17:00, Fri 09:00-13:00, Sat 22:00-02:00",
            "UTC",
        );
        assert_eq!(s.weekly_minutes(), 4 * 480 + 240 + 240);
        // Sat 2025-01-11 23:00 -> Sun 01:00: all inside Saturday's night span.
        assert_eq!(
            s.business_ms(utc(2025, 1, 11, 23, 0), utc(2025, 1, 12, 1, 0)),
            2 * H
        );
        // Overlaps merge: 09:00-18:00 = 9 h.
        assert_eq!(
            sched("Mon 09:00-17:00, Mon 12:00-18:00", "UTC").weekly_minutes(),
            540
        );
        // end == start crosses midnight: a 24 h span.
        assert_eq!(sched("Mon 09:00-09:00", "UTC").weekly_minutes(), 1440);
        // Lenient spacing, single-digit hours, trailing comma.
        assert_eq!(
            sched(" Mon - Fri  9:00 - 17:30 ,", "UTC").weekly_minutes(),
            5 * 510
        );
        assert_eq!(sched("Sun 23:00-01:00", "UTC").weekly_minutes(), 120);
    }

    #[test]
    fn span_parsing_errors() {
        for bad in [
            "",
            " , ",
            "Mon",
            "09:00-17:00",
            "Xyz 09:00-17:00",
            "Mon-Xyz 09:00-17:00",
            "Mon 25:00-26:00",
            "Mon 24:00-10:00",
            "Mon 09:60-10:00",
            "Mon 9:0-10:00",
            "Mon 09:00",
            "Mon 09:00-10:00-11:00",
            "M 09:00-10:00",
        ] {
            let e = Schedule::parse(bad, Tz::UTC).unwrap_err();
            assert!(e.contains("Mon-Fri 09:00-17:00"), "{bad:?}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
        let e = Schedule::parse("Mon 24:00-10:00", Tz::UTC).unwrap_err();
        assert!(e.contains("24:00"), "{e}");
        let e = Schedule::parse("Mon-Fri 09:00-17:00, Fryday 10:00-12:00", Tz::UTC).unwrap_err();
        assert!(
            e.contains("fryday") && e.contains("Fryday 10:00-12:00"),
            "{e}"
        );
    }

    #[test]
    fn holiday_lines() {
        let text = "# company holidays\n\n2025-12-25\n2025-12-31..2026-01-02  # new year\n  2025-05-01  \n";
        assert_eq!(
            parse_holidays(text).unwrap(),
            vec![
                (date(2025, 12, 25), date(2025, 12, 25)),
                (date(2025, 12, 31), date(2026, 1, 2)),
                (date(2025, 5, 1), date(2025, 5, 1)),
            ]
        );
        assert_eq!(parse_holidays("").unwrap(), vec![]);
        assert_eq!(parse_holidays("# nothing\n\n").unwrap(), vec![]);
        assert_eq!(
            parse_holidays("\u{feff}2025-01-01\r\n2025-01-02\r\n")
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn holiday_csv() {
        let text = "date,name\n2025-12-25,Christmas\n2025-12-26,\"Boxing Day, UK\"\n";
        assert_eq!(
            parse_holidays(text).unwrap(),
            vec![
                (date(2025, 12, 25), date(2025, 12, 25)),
                (date(2025, 12, 26), date(2025, 12, 26)),
            ]
        );
        let text = "name;start_date;end_date\nXmas;2025-12-24;2025-12-26\nNew year;2026-01-01;\n";
        assert_eq!(
            parse_holidays(text).unwrap(),
            vec![
                (date(2025, 12, 24), date(2025, 12, 26)),
                (date(2026, 1, 1), date(2026, 1, 1)),
            ]
        );
        let text = "\"Start Date\",\"End Date\"\n\"2025-04-18\",\"2025-04-21\"\n";
        assert_eq!(
            parse_holidays(text).unwrap(),
            vec![(date(2025, 4, 18), date(2025, 4, 21))]
        );
    }

    #[test]
    fn holiday_zendesk_json() {
        let text = r#"{"holidays":[
            {"id":1,"name":"Christmas","start_date":"2025-12-25","end_date":"2025-12-26"},
            {"id":2,"name":"New Year","start_date":"2026-01-01","end_date":"2026-01-01"}
        ]}"#;
        assert_eq!(
            parse_holidays(text).unwrap(),
            vec![
                (date(2025, 12, 25), date(2025, 12, 26)),
                (date(2026, 1, 1), date(2026, 1, 1)),
            ]
        );
        let bare = r#"[{"start_date":"2025-05-01"}]"#;
        assert_eq!(
            parse_holidays(bare).unwrap(),
            vec![(date(2025, 5, 1), date(2025, 5, 1))]
        );
        let e = parse_holidays(r#"{"holidays":[{"start_date":"2025-13-01"}]}"#).unwrap_err();
        assert!(e.contains("entry 1") && e.contains("2025-13-01"), "{e}");
        assert!(parse_holidays(r#"{"holidays": 3}"#).is_err());
        assert!(parse_holidays(r#"{"other": []}"#).is_err());
        assert!(parse_holidays("{not json").is_err());
    }

    #[test]
    fn holiday_errors_name_the_line() {
        let e = parse_holidays("2025-12-25\n# c\n2025-13-01\n").unwrap_err();
        assert!(e.contains("line 3") && e.contains("2025-13-01"), "{e}");
        let e = parse_holidays("2025-12-25\n2025-12-31..2025-12-30\n").unwrap_err();
        assert!(
            e.contains("line 2") && e.contains("2025-12-31..2025-12-30"),
            "{e}"
        );
        let e = parse_holidays("2025-12-25\nChristmas\n").unwrap_err();
        assert!(e.contains("line 2") && e.contains("Christmas"), "{e}");
        let e = parse_holidays("2025-12-25 Christmas\n").unwrap_err();
        assert!(e.contains("line 1"), "{e}");
        let e = parse_holidays("holiday,name\n2025-12-25,x\n").unwrap_err();
        assert!(e.contains("line 1") && e.contains("date"), "{e}");
        let e = parse_holidays("date,name\n2025-12-25,x\n25/12/2025,y\n").unwrap_err();
        assert!(e.contains("line 3") && e.contains("25/12/2025"), "{e}");
        let e = parse_holidays("start_date,end_date\n2025-12-26,2025-12-25\n").unwrap_err();
        assert!(e.contains("line 2"), "{e}");
    }

    fn zendesk_sample() -> String {
        // Mon-Fri 09:00-17:00: Monday is minutes 1440..2880 since Sunday 00:00.
        let iv: Vec<String> = (1..=5)
            .map(|d| {
                let s = d * 1440 + 9 * 60;
                format!("{{\"start_time\":{s},\"end_time\":{}}}", s + 480)
            })
            .collect();
        format!(
            r#"{{"schedules":[
              {{"id":360000001,"name":"Support","time_zone":"Pacific Time (US & Canada)",
                "intervals":[{}],
                "holidays":[{{"start_date":"2025-12-25","end_date":"2025-12-26"}}]}},
              {{"id":"42","name":"Tokyo team","time_zone":"Tokyo",
                "intervals":[{{"start_time":0,"end_time":1440}}]}}
            ]}}"#,
            iv.join(",")
        )
    }

    #[test]
    fn zendesk_schedule_json() {
        let text = zendesk_sample();
        let s = Schedule::from_zendesk_json(&text, Some("360000001")).unwrap();
        assert_eq!(s.tz(), tz("America/Los_Angeles"));
        assert_eq!(s.weekly_minutes(), 5 * 480);
        assert_eq!(s.holidays(), vec![(date(2025, 12, 25), date(2025, 12, 26))]);
        // Mon 2025-12-22 00:00 PST (08:00 UTC) -> Mon 2025-12-29 00:00 PST: Mon-Wed 3 × 8 h,
        // Thu and Fri are holidays.
        assert_eq!(
            s.business_ms(utc(2025, 12, 22, 8, 0), utc(2025, 12, 29, 8, 0)),
            24 * H
        );
        // By name (case-insensitive) and by string id.
        let t = Schedule::from_zendesk_json(&text, Some("tokyo TEAM")).unwrap();
        assert_eq!(t.tz(), tz("Asia/Tokyo"));
        assert_eq!(t.weekly_minutes(), 1440);
        // Sunday 2025-01-12 00:00 JST = Saturday 15:00 UTC.
        assert_eq!(
            t.business_ms(utc(2025, 1, 11, 12, 0), utc(2025, 1, 12, 18, 0)),
            24 * H
        );
        assert!(Schedule::from_zendesk_json(&text, Some("42")).is_ok());
        // Several schedules need an id; an unknown id lists them.
        let e = Schedule::from_zendesk_json(&text, None).unwrap_err();
        assert!(e.contains("2 schedules") && e.contains("Support"), "{e}");
        let e = Schedule::from_zendesk_json(&text, Some("7")).unwrap_err();
        assert!(e.contains("\"7\"") && e.contains("Tokyo team"), "{e}");
    }

    #[test]
    fn zendesk_schedule_shapes() {
        let one = r#"{"id":1,"name":"EU","time_zone":"Berlin",
            "intervals":[{"start_time":1980,"end_time":2460}]}"#;
        let s = Schedule::from_zendesk_json(one, None).unwrap();
        assert_eq!(s.tz(), tz("Europe/Berlin"));
        assert_eq!(s.weekly_minutes(), 480);
        let wrapped = format!("{{\"schedule\":{one}}}");
        assert_eq!(
            Schedule::from_zendesk_json(&wrapped, None)
                .unwrap()
                .weekly_minutes(),
            480
        );
        assert!(Schedule::from_zendesk_json(&wrapped, Some("EU")).is_ok());
        assert!(Schedule::from_zendesk_json(&wrapped, Some("2")).is_err());
        // IANA zone names work too; an interval spanning Sat 20:00 -> Sun 04:00 (wrapping the
        // week end) is split per day: Sat 20:00-24:00 and Sun 00:00-04:00.
        let iana = r#"{"schedule":{"time_zone":"America/New_York",
            "intervals":[{"start_time":"9840","end_time":10320}]}}"#;
        let s = Schedule::from_zendesk_json(iana, None).unwrap();
        assert_eq!(s.tz(), tz("America/New_York"));
        assert_eq!(s.weekly_minutes(), 480);
        // A Sunday holiday keeps Saturday's part only.
        let s = s.with_holidays(&[(date(2025, 1, 12), date(2025, 1, 12))]);
        // Sat 2025-01-11 00:00 EST (05:00 UTC) -> Mon 00:00 EST (2025-01-13 05:00 UTC).
        assert_eq!(
            s.business_ms(utc(2025, 1, 11, 5, 0), utc(2025, 1, 13, 5, 0)),
            4 * H
        );
        // Errors.
        for bad in [
            "[]",
            "{}",
            "not json",
            r#"{"time_zone":"Nowhere","intervals":[{"start_time":0,"end_time":60}]}"#,
            r#"{"time_zone":"UTC","intervals":[{"start_time":60,"end_time":60}]}"#,
            r#"{"time_zone":"UTC","intervals":[{"start_time":-5,"end_time":60}]}"#,
            r#"{"time_zone":"UTC","intervals":[{"start":0}]}"#,
            r#"{"time_zone":"UTC","intervals":[]}"#,
            r#"{"intervals":[{"start_time":0,"end_time":60}]}"#,
            r#"{"time_zone":"UTC","intervals":[{"start_time":0,"end_time":60}],
                "holidays":[{"start_date":"xx"}]}"#,
        ] {
            assert!(Schedule::from_zendesk_json(bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn rails_zone_names() {
        assert_eq!(
            rails_zone_to_iana("Pacific Time (US & Canada)"),
            Some(tz("America/Los_Angeles"))
        );
        assert_eq!(
            rails_zone_to_iana("eastern time (us & canada)"),
            Some(tz("America/New_York"))
        );
        assert_eq!(
            rails_zone_to_iana("Central Time (US & Canada)"),
            Some(tz("America/Chicago"))
        );
        assert_eq!(
            rails_zone_to_iana("Mountain Time (US & Canada)"),
            Some(tz("America/Denver"))
        );
        assert_eq!(rails_zone_to_iana("London"), Some(tz("Europe/London")));
        assert_eq!(
            rails_zone_to_iana("Amsterdam"),
            Some(tz("Europe/Amsterdam"))
        );
        assert_eq!(rails_zone_to_iana("Madrid"), Some(tz("Europe/Madrid")));
        assert_eq!(rails_zone_to_iana("Sydney"), Some(tz("Australia/Sydney")));
        assert_eq!(rails_zone_to_iana("UTC"), Some(tz("Etc/UTC")));
        assert_eq!(
            rails_zone_to_iana("(GMT+09:00) Tokyo"),
            Some(tz("Asia/Tokyo"))
        );
        assert_eq!(rails_zone_to_iana("Europe/Paris"), Some(tz("Europe/Paris")));
        assert_eq!(rails_zone_to_iana("europe/paris"), Some(tz("Europe/Paris")));
        assert_eq!(rails_zone_to_iana("Atlantis"), None);
        assert_eq!(rails_zone_to_iana(""), None);
        // Every table entry names a zone chrono-tz knows; the table is the full mapping.
        assert!(RAILS_ZONES.len() >= 150);
        for (rails, iana) in RAILS_ZONES {
            assert!(iana.parse::<Tz>().is_ok(), "{rails} -> {iana}");
        }
    }

    // ---- reference and properties --------------------------------------------------------

    /// A local wall-clock time mapped to an instant: a gap time to the gap's end, an
    /// ambiguous time to the earlier instant (straight from chrono-tz).
    fn map_local(zone: Tz, l: NaiveDateTime) -> i64 {
        match zone.from_local_datetime(&l) {
            LocalResult::Single(d) => d.timestamp_millis(),
            LocalResult::Ambiguous(a, b) => a.timestamp_millis().min(b.timestamp_millis()),
            LocalResult::None => GapInfo::new(&l, &zone)
                .and_then(|g| g.end)
                .map(|d| d.timestamp_millis())
                .expect("gap end"),
        }
    }

    /// Slow reference: every span of every local day around the interval, mapped to real
    /// instants, unioned, intersected with [start, end).
    fn reference(
        zone: Tz,
        spans: &[(usize, u32, u32)],
        hols: &[(NaiveDate, NaiveDate)],
        start: i64,
        end: i64,
    ) -> i64 {
        if end <= start {
            return 0;
        }
        let local_date = |u: i64| {
            DateTime::from_timestamp_millis(u)
                .unwrap()
                .with_timezone(&zone)
                .date_naive()
        };
        let mut d = local_date(start) - Duration::days(2);
        let last = local_date(end) + Duration::days(1);
        let mut iv = Vec::new();
        while d <= last {
            if !hols.iter().any(|&(a, b)| a <= d && d <= b) {
                let wd = d.weekday().num_days_from_monday() as usize;
                let base = d.and_hms_opt(0, 0, 0).unwrap();
                for &(w, s, e) in spans {
                    if w == wd {
                        let ls = base + Duration::minutes(i64::from(s));
                        let le = base + Duration::minutes(i64::from(e));
                        iv.push((map_local(zone, ls), map_local(zone, le)));
                    }
                }
            }
            d = d.succ_opt().unwrap();
        }
        iv.sort_unstable();
        let mut total = 0;
        let mut cur: Option<(i64, i64)> = None;
        let mut flush = |(a, b): (i64, i64)| {
            let (a, b) = (a.max(start), b.min(end));
            if b > a {
                total += b - a;
            }
        };
        for (a, b) in iv {
            cur = match cur {
                Some((ca, cb)) if a <= cb => Some((ca, cb.max(b))),
                Some(c) => {
                    flush(c);
                    Some((a, b))
                }
                None => Some((a, b)),
            };
        }
        if let Some(c) = cur {
            flush(c);
        }
        total
    }

    const ZONES: [&str; 3] = ["UTC", "Europe/Berlin", "America/New_York"];
    const DAYS3: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

    /// Random spans (weekday, start, end) on a 15-minute grid; end <= start crosses
    /// midnight. Returns the `--business-hours` text and the spans for the reference.
    fn spans_strategy() -> impl Strategy<Value = (String, Vec<(usize, u32, u32)>)> {
        prop::collection::vec(
            (prop_oneof![0usize..7, Just(6usize)], 0u32..96, 1u32..=96),
            1..6,
        )
        .prop_map(|v| {
            let hm = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
            let mut text = Vec::new();
            let mut spans = Vec::new();
            for (w, s, e) in v {
                let (s, e) = (s * 15, e * 15);
                text.push(format!("{} {}-{}", DAYS3[w], hm(s), hm(e)));
                spans.push((w, s, if e <= s { e + DAY_MIN } else { e }));
            }
            (text.join(", "), spans)
        })
    }

    /// (zone index, UTC instant) of the DST changes of Berlin and New York in 2024-2026.
    fn dst_change() -> impl Strategy<Value = (usize, i64)> {
        prop::sample::select(vec![
            (1, utc(2024, 3, 31, 1, 0)),
            (1, utc(2024, 10, 27, 1, 0)),
            (1, utc(2025, 3, 30, 1, 0)),
            (1, utc(2025, 10, 26, 1, 0)),
            (1, utc(2026, 3, 29, 1, 0)),
            (1, utc(2026, 10, 25, 1, 0)),
            (2, utc(2024, 3, 10, 7, 0)),
            (2, utc(2024, 11, 3, 6, 0)),
            (2, utc(2025, 3, 9, 7, 0)),
            (2, utc(2025, 11, 2, 6, 0)),
            (2, utc(2026, 3, 8, 7, 0)),
            (2, utc(2026, 11, 1, 6, 0)),
        ])
    }

    /// (zone index, start, end): an end point within 4 h of a DST change of the zone, on a
    /// 15-minute grid or not, lasting up to 4 h or up to 4 days; or any zone, anywhere in
    /// 2024-2026, up to 60 days long.
    fn interval_strategy() -> impl Strategy<Value = (usize, i64, i64)> {
        let near = (
            dst_change(),
            -16i64..16,
            prop_oneof![0i64..16, 0i64..4 * 96],
            any::<bool>(),
            any::<bool>(),
            0i64..15 * M,
        )
            .prop_map(|((z, t), k, len, grid, end_near, jitter)| {
                let p = t + k * 15 * M + if grid { 0 } else { jitter };
                let len = len * 15 * M;
                if end_near {
                    (z, p - len, p)
                } else {
                    (z, p, p + len)
                }
            });
        let wide = (
            0usize..3,
            utc(2024, 1, 1, 0, 0)..utc(2027, 1, 1, 0, 0),
            0i64..=60 * 24 * H,
        )
            .prop_map(|(z, s, len)| (z, s, s + len));
        prop_oneof![near, wide]
    }

    /// Holiday ranges as day offsets (from the interval's start date) and lengths.
    fn holidays_strategy() -> impl Strategy<Value = Vec<(i64, i64)>> {
        prop::collection::vec((prop_oneof![-3i64..64, -3i64..4], 0i64..3), 0..5)
    }

    fn holiday_dates(start: i64, offs: &[(i64, i64)]) -> Vec<(NaiveDate, NaiveDate)> {
        let d0 = DateTime::from_timestamp_millis(start).unwrap().date_naive();
        offs.iter()
            .map(|&(o, len)| (d0 + Duration::days(o), d0 + Duration::days(o + len)))
            .collect()
    }

    #[test]
    fn counting_changes_by_step_equals_searching() {
        // Around every change of a few zones (and far outside the indexed years), the
        // stepped count equals the binary search.
        for zone in [
            "Europe/Berlin",
            "America/New_York",
            "Australia/Lord_Howe",
            "UTC",
        ] {
            let c = zone_changes(tz(zone));
            let mut at: Vec<i64> = c
                .list
                .iter()
                .flat_map(|x| [x.at - 1, x.at, x.at + 1])
                .collect();
            at.extend([
                i64::MIN / 4,
                -3_000_000_000_000,
                CHANGES_FROM_MS,
                0,
                4_200_000_000_000,
                i64::MAX / 4,
            ]);
            at.extend((0..20_000).map(|k| CHANGES_FROM_MS + k * 317_000_000));
            for u in at {
                assert_eq!(
                    c.count_upto(u),
                    c.list.partition_point(|x| x.at <= u),
                    "{zone} {u}"
                );
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(600))]

        #[test]
        fn closed_form_equals_reference(
            (text, spans) in spans_strategy(),
            (zone, start, end) in interval_strategy(),
            hols in holidays_strategy(),
        ) {
            let zone = tz(ZONES[zone]);
            let hols = holiday_dates(start, &hols);
            let s = Schedule::parse(&text, zone).unwrap().with_holidays(&hols);
            prop_assert_eq!(
                s.business_ms(start, end),
                reference(zone, &spans, &hols, start, end),
                "{} in {}", text, zone.name()
            );
        }
    }

    proptest! {
        #[test]
        fn bounded_and_additive(
            (text, _spans) in spans_strategy(),
            (zone, a, ab) in interval_strategy(),
            bc in 0i64..=60 * 24 * H,
            hols in holidays_strategy(),
        ) {
            let zone = tz(ZONES[zone]);
            let s = Schedule::parse(&text, zone)
                .unwrap()
                .with_holidays(&holiday_dates(a, &hols));
            let (b, c) = (ab, ab + bc);
            let (x, y, z) = (s.business_ms(a, b), s.business_ms(b, c), s.business_ms(a, c));
            prop_assert!(x >= 0 && x <= b - a);
            prop_assert!(y >= 0 && y <= c - b);
            prop_assert!(z <= c - a);
            prop_assert_eq!(x + y, z);
        }

        #[test]
        fn every_day_every_hour_is_calendar_time(
            zone in prop::sample::select(chrono_tz::TZ_VARIANTS.to_vec()),
            a in utc(1850, 1, 1, 0, 0)..utc(2150, 1, 1, 0, 0),
            len in 0i64..=400 * 24 * H,
        ) {
            let s = Schedule::parse("Mon-Sun 00:00-24:00", zone).unwrap();
            prop_assert_eq!(s.business_ms(a, a + len), len);
        }

        #[test]
        fn no_panics_on_any_input(
            a in any::<i64>(),
            b in any::<i64>(),
            text in ".{0,40}",
            json in r#"[\{\}\[\]":,0-9a-z_ -]{0,60}"#,
        ) {
            let s = Schedule::parse("Mon-Fri 09:00-17:00, Sat 22:00-02:00", tz("Europe/Berlin"))
                .unwrap();
            let v = s.business_ms(a, b);
            prop_assert!(v >= 0);
            let _ = Schedule::parse(&text, Tz::UTC);
            let _ = parse_holidays(&text);
            let _ = parse_holidays(&json);
            let _ = Schedule::from_zendesk_json(&json, None);
            let _ = Schedule::from_zendesk_json(&json, Some("1"));
            let _ = rails_zone_to_iana(&text);
        }
    }

    #[test]
    fn weekday_origin_is_monday() {
        // 1970-01-05 was a Monday: with "Mon 00:00-01:00" in UTC the first business hour
        // after the epoch starts then.
        assert_eq!(date(1970, 1, 5).weekday(), Weekday::Mon);
        let s = sched("Mon 00:00-01:00", "UTC");
        assert_eq!(s.business_ms(0, utc(1970, 1, 5, 0, 30)), 30 * M);
        assert_eq!(
            s.business_ms(utc(1969, 12, 29, 0, 0), utc(1969, 12, 29, 2, 0)),
            H
        );
    }
}
