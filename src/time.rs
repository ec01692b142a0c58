//! Instants, zones and the text forms of time that `cxm` reads and writes.
//!
//! Every instant is an `i64` of milliseconds since the Unix epoch, UTC ("ms"). This module
//! owns the timestamp cells of an input (SPEC 4 "Timestamps"), the `--since`/`--until`/
//! `--as-of` arguments (SPEC 2), durations such as an SLA of `24h`, zone names, and the
//! RFC 3339 text of an instant. Calendar periods built on top of it live in `period.rs`.

use std::fmt::Write as _;

use chrono::format::{Item, Parsed, StrftimeItems};
use chrono::{
    DateTime, Datelike, Days, LocalResult, Months, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone,
};
pub use chrono_tz::Tz;
use chrono_tz::{GapInfo, TzOffset, TZ_VARIANTS};

pub const MS_PER_DAY: i64 = 86_400_000;
const MS_PER_HOUR: i64 = 3_600_000;
const MS_PER_MINUTE: i64 = 60_000;

/// `NaiveDate::num_days_from_ce` of 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i64 = 719_163;

/// The earliest instant a timestamp cell may denote: 0000-01-01T00:00:00Z.
///
/// Why a range at all: four-digit years keep labels and RFC 3339 output well formed, and a
/// Unix number far outside it is a data error (microseconds read as milliseconds, say), not
/// a date anyone means.
pub const MIN_PARSED_MS: i64 = -62_167_219_200_000;
/// The latest instant a timestamp cell may denote: 9999-12-31T23:59:59.999Z.
pub const MAX_PARSED_MS: i64 = 253_402_300_799_999;

/// Functions taking any `i64` clamp it to ± this (about ±253,000 years). It lies inside
/// chrono's range with room for any UTC offset, so no input can make chrono fail or panic,
/// and every day count derived from it fits an `i32`.
const CLAMP_MS: i64 = 8_000_000_000_000_000;

/// What happened while reading a naive local time; callers count these in `warnings`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TsNote {
    /// Nothing noteworthy.
    None,
    /// The local time fell in a DST gap and was moved forward by the gap's length.
    DstGap,
    /// The local time occurred twice; the earlier instant was taken.
    DstAmbiguous,
}

/// A timestamp parser configured once per run: the zone of naive timestamps and the
/// `--date-format` strings.
#[derive(Clone, Debug)]
pub struct TimeParser {
    input_tz: Tz,
    /// `--date-format` strings compiled once, because they are tried on every cell the
    /// built-in shapes reject. An invalid one is dropped here; the settings layer reports
    /// it to the user with [`check_date_format`] before any data is read.
    extra: Vec<Vec<Item<'static>>>,
}

impl TimeParser {
    pub fn new(input_tz: Tz, extra_formats: Vec<String>) -> Self {
        let extra = extra_formats
            .iter()
            .filter_map(|f| StrftimeItems::new(f).parse_to_owned().ok())
            .collect();
        TimeParser { input_tz, extra }
    }

    /// The same parser with a preset's declared zone for naive times (when it declares one)
    /// and its date formats tried after the user's `--date-format`s.
    pub fn with_preset(&self, zone: Option<Tz>, formats: &[&str]) -> TimeParser {
        let mut extra = self.extra.clone();
        extra.extend(
            formats
                .iter()
                .filter_map(|f| StrftimeItems::new(f).parse_to_owned().ok()),
        );
        TimeParser {
            input_tz: zone.unwrap_or(self.input_tz),
            extra,
        }
    }

    /// The zone naive timestamps are read in by [`TimeParser::parse`].
    pub fn input_tz(&self) -> Tz {
        self.input_tz
    }

    /// The instant a naive wall-clock time (`wall_ms`: the local date and time read as if
    /// UTC) denotes in the parser's input zone, as [`TimeParser::parse`] reads a naive
    /// timestamp: what a typed Parquet TIMESTAMP without a zone, or a DATE, is read as.
    pub fn local(&self, wall_ms: i64) -> Option<(i64, TsNote)> {
        resolve_local(wall_ms, self.input_tz)
    }

    /// Parses one cell; a naive time is read in the parser's input zone.
    ///
    /// `Err(())` means "not a timestamp": the caller already knows the cell and the column,
    /// and a unit error keeps this per-cell path free of allocations.
    #[allow(clippy::result_unit_err)]
    pub fn parse(&self, s: &str) -> Result<(i64, TsNote), ()> {
        self.parse_in(s, self.input_tz)
    }

    /// The usual shapes of a timestamp column in one go: `YYYY-MM-DDTHH:MM:SSZ`, and, when
    /// naive times are read in UTC (the default), `YYYY-MM-DDTHH:MM:SS` or with a space for
    /// the `T`. `None` for anything else (then [`TimeParser::parse`] decides, with the same
    /// result for these shapes); years outside 1902–2200 (placeholder dates among them) are
    /// left to it too.
    /// Why: this runs on every cell of every timestamp column of a pass.
    #[inline]
    pub fn parse_common(&self, b: &[u8]) -> Option<i64> {
        let utc = match b.len() {
            20 => b[19] == b'Z',
            19 => self.input_tz == Tz::UTC,
            _ => false,
        };
        if !utc || (b[10] != b'T' && b[10] != b' ') {
            return None;
        }
        // Eight bytes at a time: `YYYY-MM-` and `HH:MM:SS`. A digit byte is 0x30..=0x39:
        // its high nibble is 3, and adding 6 to it does not carry into that nibble.
        let word = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or([0; 8]));
        let (date, time) = (word(0), word(11));
        const DATE_DIGITS: u64 = 0x00FF_FF00_FFFF_FFFF;
        const TIME_DIGITS: u64 = 0xFFFF_00FF_FF00_FFFF;
        const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
        const ZEROS: u64 = 0x3030_3030_3030_3030;
        let digits = |w: u64, m: u64| {
            w & HIGH & m == ZEROS & m
                && (w & m).wrapping_add(0x0606_0606_0606_0606 & m) & HIGH & m == ZEROS & m
        };
        if !digits(date, DATE_DIGITS)
            || !digits(time, TIME_DIGITS)
            || date & !DATE_DIGITS != 0x2D00_002D_0000_0000
            || time & !TIME_DIGITS != 0x0000_3A00_003A_0000
            || b[8].wrapping_sub(b'0') > 9
            || b[9].wrapping_sub(b'0') > 9
        {
            return None;
        }
        let (date, time) = (
            (date & DATE_DIGITS) ^ (ZEROS & DATE_DIGITS),
            (time & TIME_DIGITS) ^ (ZEROS & TIME_DIGITS),
        );
        let byte = |w: u64, k: u32| ((w >> (8 * k)) & 0xFF) as i64;
        let two = |w: u64, k: u32| byte(w, k) * 10 + byte(w, k + 1);
        let y = two(date, 0) * 100 + two(date, 2);
        let m = two(date, 5);
        let day = i64::from(b[8] - b'0') * 10 + i64::from(b[9] - b'0');
        let (h, mi, sec) = (two(time, 0), two(time, 3), two(time, 6));
        // Without branches on the values, which vary from cell to cell (the month's branches
        // stood out in the profile): bitwise checks and table lookups.
        let out_of_range = ((m - 1) as u64 > 11) | (day == 0) | (h > 23) | (mi > 59) | (sec > 59);
        if out_of_range {
            return None;
        }
        // Years before 1902 (the placeholder dates among them) are the full parser's.
        let k = usize::try_from(y - 1902).ok()?;
        let (&start, &next) = (YEAR_DAYS.get(k)?, YEAR_DAYS.get(k + 1)?);
        let leap = next - start == 366;
        let mi0 = m as usize - 1;
        if day > i64::from(MONTH_LEN[mi0]) + i64::from(leap & (m == 2)) {
            return None;
        }
        let days =
            i64::from(start) + i64::from(MONTH_DAYS[mi0]) + day - 1 + i64::from(leap & (m > 2));
        Some(days * MS_PER_DAY + h * MS_PER_HOUR + mi * MS_PER_MINUTE + sec * 1000)
    }

    /// Parses one cell; a naive time is read in `zone` (a preset may declare a column UTC).
    #[allow(clippy::result_unit_err)]
    pub fn parse_in(&self, s: &str, zone: Tz) -> Result<(i64, TsNote), ()> {
        let s = crate::input::values::trim(s);
        let b = s.as_bytes();
        let parsed = if let Some((wall_ms, offset_ms)) = parse_iso(b) {
            match offset_ms {
                Some(off) => Some((wall_ms - off, TsNote::None)),
                None => resolve_local(wall_ms, zone),
            }
        } else if is_integer(b) {
            // A user's format wins over Unix time for a digit-only cell: `--date-format
            // %Y%m%d` says what `20250106` means, which as Unix time would silently be 1970.
            self.parse_extra(s, zone)
                .or_else(|| parse_unix(b).map(|ms| (ms, TsNote::None)))
        } else {
            self.parse_extra(s, zone)
        };
        match parsed {
            Some((ms, note)) if (MIN_PARSED_MS..=MAX_PARSED_MS).contains(&ms) => Ok((ms, note)),
            _ => Err(()),
        }
    }

    fn parse_extra(&self, s: &str, zone: Tz) -> Option<(i64, TsNote)> {
        self.extra.iter().find_map(|items| {
            let mut parsed = Parsed::new();
            chrono::format::parse(&mut parsed, s, items.iter()).ok()?;
            from_parsed(&parsed, zone)
        })
    }
}

/// A "no date" written as a date (SPEC 4 "Placeholder dates"): `1900-01-01`, `1899-12-30`,
/// `0000-00-00` or `0001-01-01`, alone or followed (after `T` or a space) by a midnight time
/// such as `00:00:00`, `00:00:00.000`, `00:00:00Z` or `00:00:00+00:00`. Help desks
/// (Zendesk's `Solved at` of an unsolved ticket) and spreadsheets write these; they are blank.
pub fn is_placeholder_date(s: &str) -> bool {
    let b = crate::input::values::trim(s).as_bytes();
    if b.len() < 10 {
        return false;
    }
    let date = &b[..10];
    if !matches!(
        date,
        b"1900-01-01" | b"1899-12-30" | b"0000-00-00" | b"0001-01-01"
    ) {
        return false;
    }
    match &b[10..] {
        [] => true,
        [sep, rest @ ..] if *sep == b' ' || *sep == b'T' => {
            !rest.is_empty()
                && rest[0] == b'0'
                && rest
                    .iter()
                    .all(|c| matches!(c, b'0' | b':' | b'.' | b'Z' | b'+' | b'-' | b' '))
        }
        _ => false,
    }
}

/// Checks a `--date-format` string, so a typo is a usage error rather than a format that
/// silently never matches.
pub fn check_date_format(fmt: &str) -> Result<(), String> {
    match StrftimeItems::new(fmt).parse() {
        Ok(_) => Ok(()),
        Err(_) => Err(format!(
            "invalid --date-format \"{fmt}\": not a strftime format; \
             write e.g. --date-format '%d/%m/%Y %H:%M'"
        )),
    }
}

/// The instant a successful strftime parse denotes.
fn from_parsed(p: &Parsed, zone: Tz) -> Option<(i64, TsNote)> {
    if let Some(secs) = p.timestamp() {
        // `%s` is Unix time: already an instant, whatever the zone.
        let frac_ms = i64::from(p.nanosecond().unwrap_or(0) / 1_000_000);
        return Some((secs.checked_mul(1000)?.checked_add(frac_ms)?, TsNote::None));
    }
    let date = p.to_naive_date().ok()?;
    // A format without an hour is a date, and a date means its midnight (SPEC 4).
    let time = if p.hour_div_12().is_none() && p.hour_mod_12().is_none() {
        NaiveTime::MIN
    } else {
        p.to_naive_time().ok()?
    };
    let wall_ms = date.and_time(time).and_utc().timestamp_millis();
    match p.offset() {
        Some(off_secs) => Some((wall_ms - i64::from(off_secs) * 1000, TsNote::None)),
        None => resolve_local(wall_ms, zone),
    }
}

/// Reads the ISO 8601 / RFC 3339 shapes of SPEC 4 byte by byte: `YYYY-MM-DD`, then
/// optionally `T`/space, a one- or two-digit hour, `:MM`, optionally `:SS` with a fraction
/// of any length, then optionally an offset.
///
/// Returns the wall-clock time as ms (the written date and time read as if UTC) and the
/// written offset in ms, if any. Why by hand: this runs on every cell of a timestamp column,
/// and trying chrono format strings one after another is several times slower.
fn parse_iso(b: &[u8]) -> Option<(i64, Option<i64>)> {
    let (y, m, d) = parse_ymd(b.get(..10)?)?;
    let day_ms = days_from_civil(y, m, d) * MS_PER_DAY;
    let mut c = Cursor { b, i: 10 };
    if c.at_end() {
        return Some((day_ms, None));
    }
    if !matches!(c.next(), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let h1 = c.digit()?;
    let hour = match c.digit() {
        Some(h2) => h1 * 10 + h2,
        None => h1,
    };
    c.expect(b':')?;
    let minute = c.two_digits()?;
    let mut second = 0;
    let mut milli = 0;
    if c.eat(b':') {
        second = c.two_digits()?;
        if c.eat(b'.') || c.eat(b',') {
            // Any number of digits is allowed; digits past the millisecond are truncated,
            // being finer than any instant `cxm` keeps.
            let start = c.i;
            while let Some(digit) = c.digit() {
                if c.i - start <= 3 {
                    milli = milli * 10 + digit;
                }
            }
            let n = c.i - start;
            if n == 0 {
                return None;
            }
            for _ in n..3 {
                milli *= 10;
            }
        }
    }
    // Second 60 is RFC 3339's leap second; it reads as the first second of the next minute.
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let offset = parse_offset(&b[c.i..])?;
    let wall_ms = day_ms + hour * MS_PER_HOUR + minute * MS_PER_MINUTE + second * 1000 + milli;
    Some((wall_ms, offset))
}

/// Reads what follows the time: nothing (`Some(None)`), or `Z`, `UTC`, `±HH`, `±HHMM`,
/// `±HH:MM`, optionally after one space because some exports write
/// `2025-01-06 10:00:00 +0100` or `… UTC`. `None` means the text is not an offset.
fn parse_offset(t: &[u8]) -> Option<Option<i64>> {
    let t = match t {
        [b' ', rest @ ..] if !rest.is_empty() => rest,
        _ => t,
    };
    let (sign, hh, mm) = match t {
        [] => return Some(None),
        [b'Z' | b'z'] | b"UTC" => return Some(Some(0)),
        [s @ (b'+' | b'-'), h1, h2] => (*s, two_digits(*h1, *h2)?, 0),
        [s @ (b'+' | b'-'), h1, h2, m1, m2] | [s @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            (*s, two_digits(*h1, *h2)?, two_digits(*m1, *m2)?)
        }
        _ => return None,
    };
    if hh > 23 || mm > 59 {
        return None;
    }
    let off = hh * MS_PER_HOUR + mm * MS_PER_MINUTE;
    Some(Some(if sign == b'-' { -off } else { off }))
}

/// `YYYY-MM-DD` exactly (10 bytes), validated against the calendar.
fn parse_ymd(b: &[u8]) -> Option<(i64, u32, u32)> {
    let [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2] = *b else {
        return None;
    };
    let y = two_digits(y1, y2)? * 100 + two_digits(y3, y4)?;
    let m = two_digits(m1, m2)? as u32;
    let d = two_digits(d1, d2)? as u32;
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some((y, m, d))
}

fn two_digits(a: u8, b: u8) -> Option<i64> {
    if a.is_ascii_digit() && b.is_ascii_digit() {
        Some(i64::from(a - b'0') * 10 + i64::from(b - b'0'))
    } else {
        None
    }
}

/// A read position in a byte string, for the hand parser.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn at_end(&self) -> bool {
        self.i >= self.b.len()
    }

    fn next(&mut self) -> Option<u8> {
        let c = *self.b.get(self.i)?;
        self.i += 1;
        Some(c)
    }

    /// Consumes one ASCII digit if there is one.
    fn digit(&mut self) -> Option<i64> {
        match self.b.get(self.i) {
            Some(c) if c.is_ascii_digit() => {
                self.i += 1;
                Some(i64::from(c - b'0'))
            }
            _ => None,
        }
    }

    fn two_digits(&mut self) -> Option<i64> {
        Some(self.digit()? * 10 + self.digit()?)
    }

    /// Consumes `c` if it is next.
    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        self.eat(c).then_some(())
    }
}

/// Digits with an optional leading `-`: a Unix time (SPEC 4).
fn is_integer(b: &[u8]) -> bool {
    let digits = b.strip_prefix(b"-").unwrap_or(b);
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

/// A digit-only cell as Unix time: seconds if |x| < 10^11 (up to the year 5138), else
/// milliseconds. `None` on overflow.
fn parse_unix(b: &[u8]) -> Option<i64> {
    let (negative, digits) = match b.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, b),
    };
    let mut v: i64 = 0;
    for &c in digits {
        v = v.checked_mul(10)?.checked_add(i64::from(c - b'0'))?;
    }
    let v = if negative { -v } else { v };
    if v.abs() < 100_000_000_000 {
        Some(v * 1000)
    } else {
        Some(v)
    }
}

/// The instant a wall-clock time denotes in `zone` (`wall_ms`: the local date and time read
/// as if UTC), following SPEC 4 for DST: a skipped time moves forward by the gap, a
/// repeated one takes the earlier instant.
fn resolve_local(wall_ms: i64, zone: Tz) -> Option<(i64, TsNote)> {
    // UTC is the default zone and needs no lookup; this keeps the common case cheap.
    if zone == Tz::UTC {
        return Some((wall_ms, TsNote::None));
    }
    let wall = naive_from_ms(wall_ms)?;
    Some(match zone.offset_from_local_datetime(&wall) {
        LocalResult::Single(o) => (wall_ms - offset_ms(&o), TsNote::None),
        LocalResult::Ambiguous(a, b) => (
            (wall_ms - offset_ms(&a)).min(wall_ms - offset_ms(&b)),
            TsNote::DstAmbiguous,
        ),
        LocalResult::None => {
            // Reading the time with the offset in force just before the gap moves it
            // forward by exactly the gap: Berlin's 02:30 on a 02:00→03:00 night is 03:30.
            let gap = GapInfo::new(&wall, &zone);
            let ms = match gap.as_ref().and_then(|g| g.begin.as_ref()) {
                Some((_, before)) => wall_ms - offset_ms(before),
                // No recorded offset before the gap (only at the edge of the zone's
                // data): the first instant after it is the nearest sensible reading.
                None => match gap.and_then(|g| g.end) {
                    Some(end) => end.timestamp_millis(),
                    None => wall_ms - offset_ms_at(wall_ms, zone),
                },
            };
            (ms, TsNote::DstGap)
        }
    })
}

fn offset_ms(o: &TzOffset) -> i64 {
    i64::from(o.fix().local_minus_utc()) * 1000
}

fn naive_from_ms(ms: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp_millis(ms).map(|dt| dt.naive_utc())
}

/// The UTC offset of `tz` at instant `ms`, in ms.
pub(crate) fn offset_ms_at(ms: i64, tz: Tz) -> i64 {
    if tz == Tz::UTC {
        return 0;
    }
    match naive_from_ms(ms.clamp(-CLAMP_MS, CLAMP_MS)) {
        Some(utc) => i64::from(tz.offset_from_utc_datetime(&utc).fix().local_minus_utc()) * 1000,
        None => 0,
    }
}

/// Days since 1970-01-01 of the local date of `ms` in `tz`. Any `i64` is accepted (clamped
/// to about ±253,000 years), and the result always fits an `i32`.
pub(crate) fn local_days(ms: i64, tz: Tz) -> i64 {
    let ms = ms.clamp(-CLAMP_MS, CLAMP_MS);
    (ms + offset_ms_at(ms, tz)).div_euclid(MS_PER_DAY)
}

/// Local calendar date of an instant in `tz`.
pub fn local_date(ms: i64, tz: Tz) -> NaiveDate {
    date_from_days(local_days(ms, tz))
}

/// The instant of local midnight starting `date` in `tz`. If midnight falls in a DST gap
/// (e.g. America/Santiago, whose clocks jump from 24:00 to 01:00), it is the first instant
/// of the day; if it occurs twice, the earlier one.
pub fn local_midnight(date: NaiveDate, tz: Tz) -> i64 {
    let wall_ms = days_of_date(date) * MS_PER_DAY;
    if tz == Tz::UTC {
        return wall_ms;
    }
    let Some(wall) = naive_from_ms(wall_ms) else {
        return wall_ms;
    };
    match tz.offset_from_local_datetime(&wall) {
        LocalResult::Single(o) => wall_ms - offset_ms(&o),
        LocalResult::Ambiguous(a, b) => (wall_ms - offset_ms(&a)).min(wall_ms - offset_ms(&b)),
        // Unlike a timestamp in a gap (moved forward by the gap's length), a day starts at
        // the end of the gap: the day has no earlier instant, and moving midnight forward
        // by the gap would cut into the day when the gap does not start exactly at 00:00.
        LocalResult::None => match GapInfo::new(&wall, &tz).and_then(|g| g.end) {
            Some(end) => end.timestamp_millis(),
            None => resolve_local(wall_ms, tz).map_or(wall_ms, |(ms, _)| ms),
        },
    }
}

/// Days since 1970-01-01 of `date`.
pub(crate) fn days_of_date(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - UNIX_EPOCH_DAYS_FROM_CE
}

/// The date `days` after 1970-01-01, clamped to the range any `i64` instant maps to.
pub(crate) fn date_from_days(days: i64) -> NaiveDate {
    let limit = CLAMP_MS / MS_PER_DAY + 1;
    let ce = days.clamp(-limit, limit) + UNIX_EPOCH_DAYS_FROM_CE;
    // In range by the clamp above; the fallback only keeps this total.
    i32::try_from(ce)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .unwrap_or(if days < 0 {
            NaiveDate::MIN
        } else {
            NaiveDate::MAX
        })
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
/// Why by hand: parsing and bucketing run per row, and plain integer arithmetic needs no
/// `Option` juggling. Valid for any `y` whose day count fits an `i64`.
/// Days of each month of a common year.
const MONTH_LEN: [u8; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/// Days before each month of a common year.
const MONTH_DAYS: [u16; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

/// Days from 1970-01-01 to January 1st of 1902 + k, for [`TimeParser::parse_common`]: a
/// lookup instead of the era arithmetic for the years exports hold.
const YEAR_DAYS: [i32; 300] = {
    let mut t = [0i32; 300];
    let mut k = 0;
    while k < 300 {
        t[k] = days_from_civil(1902 + k as i64, 1, 1) as i32;
        k += 1;
    }
    t
};

/// The month (0–11) of each day of a leap year (day 0 = January 1st); a common year's
/// day `d` past February is leap day `d + 1`.
const MONTH_OF_DAY: [u8; 366] = {
    let mut t = [0u8; 366];
    let mut d = 0;
    while d < 366 {
        let mut m = 0;
        // Days before month m+1 in a leap year.
        while m < 11 && d >= MONTH_DAYS[m + 1] as usize + (m + 1 >= 2) as usize {
            m += 1;
        }
        t[d] = m as u8;
        d += 1;
    }
    t
};

/// Year and month (1–12) of days since 1970-01-01, for 1902–2200 by table (what
/// [`civil_from_days`] gives, without its divisions); `None` outside.
#[inline]
pub(crate) fn year_month_of_days(days: i64) -> Option<(i64, u32)> {
    let since = days - i64::from(YEAR_DAYS[0]);
    if since < 0 {
        return None;
    }
    // Within a year of the truth (mean year length), then corrected.
    let mut k = usize::try_from(since * 400 / 146_097).ok()?;
    if k + 1 >= YEAR_DAYS.len() {
        return None;
    }
    if i64::from(YEAR_DAYS[k]) > days {
        k -= 1;
    } else if i64::from(YEAR_DAYS[k + 1]) <= days {
        k += 1;
        if k + 1 >= YEAR_DAYS.len() {
            return None;
        }
    }
    let doy = (days - i64::from(YEAR_DAYS[k])) as usize;
    let leap = YEAR_DAYS[k + 1] - YEAR_DAYS[k] == 366;
    let d = if leap || doy < 59 { doy } else { doy + 1 };
    Some((1902 + k as i64, u32::from(MONTH_OF_DAY[d]) + 1))
}

pub(crate) const fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let (m, d) = (m as i64, d as i64);
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12; // March = 0, so the leap day ends the "year".
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`]: (year, month 1–12, day 1–31).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Which argument a time is for: a bare date means its start, except for `--as-of`, where
/// it means its end (SPEC 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeArgKind {
    Since,
    Until,
    AsOf,
}

/// Parses a `--since`/`--until`/`--as-of` argument (SPEC 2): an RFC 3339 datetime (or any
/// timestamp shape [`TimeParser::parse`] reads, a naive one in `tz`); a date `YYYY-MM-DD`,
/// local in `tz` (since/until: its 00:00; as-of: its end, the next day's 00:00); or `-Nd`,
/// `-Nw`, `-Nm` counted back from the run's date `today` in `tz` in days, weeks or calendar
/// months (a month back from 31 March is the last day of February), meaning that date's
/// 00:00, or its end for as-of.
///
/// Digit-only arguments are refused, although cells accept them as Unix time: `--since
/// 2025` would otherwise silently mean 1970-01-01T00:33:45Z.
pub fn parse_time_arg(s: &str, kind: TimeArgKind, tz: Tz, now_ms: i64) -> Result<i64, String> {
    let t = s.trim();
    let out_of_range = || format!("time \"{t}\" is out of range");
    let date = if let Some((n, unit)) = parse_relative(t) {
        let today = local_date(now_ms, tz);
        let back = match unit {
            b'd' => today.checked_sub_days(Days::new(n)),
            b'w' => n
                .checked_mul(7)
                .and_then(|days| today.checked_sub_days(Days::new(days))),
            _ => u32::try_from(n)
                .ok()
                .and_then(|months| today.checked_sub_months(Months::new(months))),
        };
        Some(back.ok_or_else(out_of_range)?)
    } else {
        parse_ymd(t.as_bytes()).and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y as i32, m, d))
    };
    if let Some(date) = date {
        let date = match kind {
            TimeArgKind::AsOf => date.succ_opt().ok_or_else(out_of_range)?,
            TimeArgKind::Since | TimeArgKind::Until => date,
        };
        let ms = local_midnight(date, tz);
        // The same range as a parsed cell, so every bound compares with any row's time.
        return if (MIN_PARSED_MS..=MAX_PARSED_MS).contains(&ms) {
            Ok(ms)
        } else {
            Err(out_of_range())
        };
    }
    let parsed = if is_integer(t.as_bytes()) {
        Err(())
    } else {
        TimeParser::new(tz, Vec::new()).parse(t)
    };
    parsed.map(|(ms, _)| ms).map_err(|()| {
        format!(
            "invalid time \"{t}\": expected an RFC 3339 datetime (2025-01-06T09:30:00+01:00), \
             a date (2025-01-06, local in {}) or a time relative to today (-7d, -2w, -3m)",
            tz.name()
        )
    })
}

/// `-N` followed by `d`, `w` or `m`.
fn parse_relative(t: &str) -> Option<(u64, u8)> {
    let (&unit, rest) = t.strip_prefix('-')?.as_bytes().split_last()?;
    if !matches!(unit, b'd' | b'w' | b'm')
        || rest.is_empty()
        || !rest.iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    // Digits only, so parsing fails only on overflow; a huge N then reads as out of range.
    let n = std::str::from_utf8(rest).ok()?.parse().unwrap_or(u64::MAX);
    Some((n, unit))
}

/// Parses a duration: one or more `<number><unit>` terms (units `m`, `h`, `d` = 24 h,
/// `w` = 7 d; numbers may be decimal; spaces between terms allowed), e.g. `45m`, `1h30m`,
/// `1.5h`, `2d`. Returns ms, rounded to the nearest ms.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let t = s.trim();
    let err = |why: String| {
        format!(
            "invalid duration \"{t}\": {why}; write <number><unit> with units m, h, d (24 h) \
             or w (7 d), e.g. 45m, 1h30m, 1.5h, 2d"
        )
    };
    if t.is_empty() {
        return Err(err("it is empty".into()));
    }
    let b = t.as_bytes();
    let mut i = 0;
    let mut total: i64 = 0;
    while i < b.len() {
        // Decimal digits are kept as an exact integer with a scale, so `0.1h` is exactly
        // 360,000 ms rather than a float's approximation of it.
        let start = i;
        let mut mantissa: i128 = 0;
        let mut digits = 0;
        let mut scale: u32 = 0;
        let mut seen_point = false;
        while let Some(&c) = b.get(i) {
            match c {
                b'0'..=b'9' => {
                    // 18 digits keep mantissa × unit far inside i128.
                    if digits == 18 {
                        return Err(err("too many digits".into()));
                    }
                    mantissa = mantissa * 10 + i128::from(c - b'0');
                    digits += 1;
                    scale += u32::from(seen_point);
                }
                b'.' if !seen_point => seen_point = true,
                _ => break,
            }
            i += 1;
        }
        if digits == 0 {
            return Err(err(match b.get(start) {
                Some(b'-') => "durations cannot be negative".into(),
                _ => format!("expected a number at \"{}\"", &t[start..]),
            }));
        }
        // The unit is the whole run of letters, so `5min` reports "min", not "in".
        while b.get(i) == Some(&b' ') {
            i += 1;
        }
        // `i` sits after ASCII bytes, so it is a char boundary.
        let rest = &t[i..];
        let word_len = rest
            .find(|c: char| !c.is_alphabetic())
            .unwrap_or(rest.len());
        let unit_ms: i128 = match &rest[..word_len] {
            "m" => MS_PER_MINUTE.into(),
            "h" => MS_PER_HOUR.into(),
            "d" => MS_PER_DAY.into(),
            "w" => (7 * MS_PER_DAY).into(),
            "" if rest.is_empty() => {
                return Err(err(format!("\"{}\" has no unit", t[start..].trim_end())))
            }
            "" => {
                let c = rest.chars().next().unwrap_or(' ');
                return Err(err(format!("unknown unit \"{c}\"")));
            }
            word => return Err(err(format!("unknown unit \"{word}\""))),
        };
        i += word_len;
        let denom = 10i128.pow(scale);
        let ms = (mantissa * unit_ms + denom / 2) / denom;
        total = i64::try_from(ms)
            .ok()
            .and_then(|ms| total.checked_add(ms))
            .ok_or_else(|| err("it is too long".into()))?;
        while b.get(i) == Some(&b' ') {
            i += 1;
        }
    }
    Ok(total)
}

/// RFC 3339 text of an instant in `tz` with its numeric offset (`+00:00` for UTC, never
/// `Z`, so every output has one shape): `2025-01-06T00:00:00+01:00`, with `.mmm` only when
/// the instant has a fraction of a second.
pub fn format_rfc3339(ms: i64, tz: Tz) -> String {
    let ms = ms.clamp(-CLAMP_MS, CLAMP_MS);
    let mut off = offset_ms_at(ms, tz);
    // RFC 3339 offsets have no seconds, so a historic local-mean-time offset (Berlin's
    // +00:53:28 before 1893) cannot be written; the instant is then written in UTC, which
    // keeps the text exact.
    if off % MS_PER_MINUTE != 0 {
        off = 0;
    }
    let local = ms + off;
    let (y, m, d) = civil_from_days(local.div_euclid(MS_PER_DAY));
    let tod = local.rem_euclid(MS_PER_DAY);
    let mut out = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        tod / MS_PER_HOUR,
        tod % MS_PER_HOUR / MS_PER_MINUTE,
        tod % MS_PER_MINUTE / 1000
    );
    if tod % 1000 != 0 {
        let _ = write!(out, ".{:03}", tod % 1000);
    }
    let sign = if off < 0 { '-' } else { '+' };
    let minutes = off.abs() / MS_PER_MINUTE;
    let _ = write!(out, "{sign}{:02}:{:02}", minutes / 60, minutes % 60);
    out
}

/// Parses a zone name: an IANA name (case-insensitive, a space may stand for `_`), or
/// `UTC`/`Z`. The error suggests a close IANA name when there is one.
pub fn parse_tz(name: &str) -> Result<Tz, String> {
    let n = name.trim();
    if n.eq_ignore_ascii_case("utc") || n.eq_ignore_ascii_case("z") {
        return Ok(Tz::UTC);
    }
    if let Ok(tz) = n.parse::<Tz>() {
        return Ok(tz);
    }
    let wanted = normalise_tz_name(n);
    if let Some(tz) = TZ_VARIANTS
        .iter()
        .find(|tz| normalise_tz_name(tz.name()) == wanted)
    {
        return Ok(*tz);
    }
    let hint = match suggest_tz(&wanted) {
        Some(s) => format!(" Did you mean \"{s}\"?"),
        None => String::new(),
    };
    Err(format!(
        "unknown time zone \"{n}\".{hint} Use an IANA name such as Europe/Berlin, \
         America/New_York or UTC"
    ))
}

fn normalise_tz_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c == ' ' {
                '_'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// The IANA name a mistyped zone most likely meant.
fn suggest_tz(wanted: &str) -> Option<&'static str> {
    // A bare city ("berlin") is the commonest slip, so the last path segment is tried
    // first; the canonical `Area/City` spelling wins over aliases such as `Arctic/…`.
    let city = TZ_VARIANTS
        .iter()
        .filter(|tz| tz.name().contains('/'))
        .find(|tz| {
            tz.name()
                .rsplit('/')
                .next()
                .map(normalise_tz_name)
                .as_deref()
                == Some(wanted)
        });
    if let Some(tz) = city {
        return Some(tz.name());
    }
    // Otherwise the nearest name by edit distance, if close enough to be a typo.
    let (dist, best) = TZ_VARIANTS
        .iter()
        .map(|tz| {
            (
                edit_distance(wanted, &normalise_tz_name(tz.name())),
                tz.name(),
            )
        })
        .min()?;
    (dist <= (wanted.len() / 4).max(2)).then_some(best)
}

/// Levenshtein distance over bytes (zone names are ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, &ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = prev[j] + usize::from(ca != cb);
            cur[j + 1] = substitution.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BERLIN: Tz = Tz::Europe__Berlin;
    const NEW_YORK: Tz = Tz::America__New_York;

    /// 2025-01-06T00:00:00Z: 2025-01-01 is Unix day 20089 (1,735,689,600 s), plus 5 days.
    const JAN6: i64 = 1_736_121_600_000;
    const H: i64 = MS_PER_HOUR;
    const MIN: i64 = MS_PER_MINUTE;

    /// An instant in UTC, computed through chrono as an oracle independent of this module.
    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> i64 {
        NaiveDate::from_ymd_opt(y, mo, d)
            .and_then(|date| date.and_hms_opt(h, mi, s))
            .expect("valid test date")
            .and_utc()
            .timestamp_millis()
    }

    fn p(tz: Tz) -> TimeParser {
        TimeParser::new(tz, Vec::new())
    }

    fn ms(parser: &TimeParser, s: &str) -> i64 {
        match parser.parse(s) {
            Ok((ms, _)) => ms,
            Err(()) => panic!("{s:?} should parse"),
        }
    }

    #[test]
    fn oracle_agrees_with_hand_computed_epoch() {
        assert_eq!(utc(2025, 1, 6, 0, 0, 0), JAN6);
    }

    #[test]
    fn rfc3339_shapes_with_offsets_and_fractions() {
        // The parser's zone must not matter when the text carries an offset.
        let p = p(BERLIN);
        let t = JAN6 + 10 * H + 30 * MIN;
        assert_eq!(ms(&p, "2025-01-06T10:30:00Z"), t);
        assert_eq!(ms(&p, "2025-01-06t10:30:00z"), t);
        assert_eq!(ms(&p, "2025-01-06 10:30:00Z"), t);
        assert_eq!(ms(&p, "2025-01-06T10:30Z"), t);
        assert_eq!(ms(&p, "2025-01-06T10:30:00+00:00"), t);
        assert_eq!(ms(&p, "2025-01-06T10:30:00-00:00"), t);
        assert_eq!(ms(&p, "2025-01-06T12:30:00+02:00"), t);
        assert_eq!(ms(&p, "2025-01-06T12:30:00+0200"), t);
        assert_eq!(ms(&p, "2025-01-06T12:30:00+02"), t);
        assert_eq!(ms(&p, "2025-01-06T05:30:00-05:00"), t);
        assert_eq!(ms(&p, "2025-01-06T16:00:00+05:30"), t);
        assert_eq!(ms(&p, "2025-01-06 12:30:00 +0200"), t);
        assert_eq!(ms(&p, "2025-01-06 10:30:00 UTC"), t);
        assert_eq!(ms(&p, "2025-01-06T10:30:00.5Z"), t + 500);
        assert_eq!(ms(&p, "2025-01-06T10:30:00.05Z"), t + 50);
        assert_eq!(ms(&p, "2025-01-06T10:30:00.123Z"), t + 123);
        assert_eq!(ms(&p, "2025-01-06T10:30:00,25Z"), t + 250);
        // Digits past the millisecond are truncated, not rounded.
        assert_eq!(ms(&p, "2025-01-06T10:30:00.123999999Z"), t + 123);
        assert_eq!(ms(&p, "2025-01-06T12:30:00.123456+02:00"), t + 123);
        assert_eq!(ms(&p, "  2025-01-06T10:30:00Z \t"), t);
        // Leap second: the first second of the next minute.
        assert_eq!(ms(&p, "2016-12-31T23:59:60Z"), utc(2017, 1, 1, 0, 0, 0));
        assert_eq!(p.parse("2025-01-06T10:30:00Z"), Ok((t, TsNote::None)));
    }

    #[test]
    fn naive_shapes_are_read_in_the_zone() {
        let u = p(Tz::UTC);
        assert_eq!(ms(&u, "2025-01-06 9:05"), JAN6 + 9 * H + 5 * MIN);
        assert_eq!(ms(&u, "2025-01-06 09:05"), JAN6 + 9 * H + 5 * MIN);
        assert_eq!(ms(&u, "2025-01-06T09:05"), JAN6 + 9 * H + 5 * MIN);
        assert_eq!(
            ms(&u, "2025-01-06 09:05:07"),
            JAN6 + 9 * H + 5 * MIN + 7_000
        );
        assert_eq!(
            ms(&u, "2025-01-06 09:05:07.250"),
            JAN6 + 9 * H + 5 * MIN + 7_250
        );
        assert_eq!(ms(&u, "2025-01-06"), JAN6);
        assert_eq!(ms(&u, "2024-02-29"), utc(2024, 2, 29, 0, 0, 0));

        // Berlin is +01:00 in winter and +02:00 in summer.
        let b = p(BERLIN);
        assert_eq!(ms(&b, "2025-01-06 10:30"), JAN6 + 9 * H + 30 * MIN);
        assert_eq!(ms(&b, "2025-01-06"), JAN6 - H);
        assert_eq!(ms(&b, "2025-07-01 10:30:00"), utc(2025, 7, 1, 8, 30, 0));
        // New York is -05:00 in winter.
        assert_eq!(
            ms(&p(NEW_YORK), "2025-01-06 10:30"),
            JAN6 + 15 * H + 30 * MIN
        );
        assert_eq!(
            ms(&p(Tz::Asia__Kolkata), "2025-01-06 05:30"),
            JAN6,
            "Kolkata is +05:30"
        );
    }

    #[test]
    fn the_common_shape_reads_as_the_full_parser_does() {
        // Hand-checked anchors: 2025-01-06 is 20,094 days after 1970-01-01.
        let utc = p(Tz::UTC);
        assert_eq!(
            utc.parse_common(b"2025-01-06T10:30:05Z"),
            Some(JAN6 + 10 * H + 30 * MIN + 5_000)
        );
        assert_eq!(
            utc.parse_common(b"2025-01-06 10:30:05"),
            Some(JAN6 + 10 * H + 30 * MIN + 5_000)
        );
        // A naive time outside UTC, a leap second, an impossible date, a placeholder: left
        // to the full parser.
        assert_eq!(p(BERLIN).parse_common(b"2025-01-06 10:30:05"), None);
        assert_eq!(
            p(BERLIN).parse_common(b"2025-01-06T10:30:05Z"),
            Some(JAN6 + 10 * H + 30 * MIN + 5_000)
        );
        assert_eq!(utc.parse_common(b"2025-01-06T23:59:60Z"), None);
        assert_eq!(utc.parse_common(b"2025-02-29T00:00:00Z"), None);
        assert_eq!(utc.parse_common(b"1900-01-01T00:00:00Z"), None);
        // Every cell of these shapes (valid or not): where the shortcut answers, the full
        // parser gives the same instant; where a valid one is in 1902–2200, it answers.
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut answered = 0;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let pick = |k: u32, n: u64| ((x >> k) % n) as u32;
            let y =
                [1899, 1900, 1901, 1902, 1970, 2000, 2024, 2025, 2100, 9999][pick(0, 10) as usize];
            let text = format!(
                "{y:04}-{:02}-{:02}{}{:02}:{:02}:{:02}{}",
                pick(4, 14),
                pick(8, 33),
                ["T", " ", "t", "x"][pick(14, 4) as usize],
                pick(16, 26),
                pick(22, 62),
                pick(28, 62),
                ["Z", "", "z", "+01:00"][pick(34, 4) as usize],
            );
            // And the same text with one byte changed (a digit, a separator or another
            // byte anywhere): the checks of every position are met.
            let mut bytes = text.clone().into_bytes();
            let at = pick(40, bytes.len() as u64) as usize;
            bytes[at] = b"0159/:-T Z.a\x7f"[pick(46, 13) as usize];
            let mutated = String::from_utf8(bytes).unwrap_or_default();
            for (text, parser) in [(&text, &utc), (&text, &p(BERLIN)), (&mutated, &utc)] {
                let full = parser.parse(text);
                match parser.parse_common(text.as_bytes()) {
                    Some(ms) => {
                        answered += 1;
                        assert_eq!(full, Ok((ms, TsNote::None)), "{text}");
                    }
                    None => {
                        let utc_shape =
                            text.ends_with('Z') || (parser.input_tz == Tz::UTC && text.len() == 19);
                        let t = text.as_bytes();
                        let plain = (t[10] == b'T' || t[10] == b' ')
                            && (t[4], t[7], t[13], t[16]) == (b'-', b'-', b':', b':')
                            && [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
                                .iter()
                                .all(|&i| t[i].is_ascii_digit());
                        let second: u32 =
                            text.get(17..19).and_then(|t| t.parse().ok()).unwrap_or(99);
                        let y: i64 = text.get(..4).and_then(|t| t.parse().ok()).unwrap_or(0);
                        assert!(
                            !(full.is_ok()
                                && utc_shape
                                && plain
                                && (1902..2201).contains(&y)
                                && second < 60),
                            "{text}: the shortcut should have read it"
                        );
                    }
                }
            }
        }
        assert!(answered > 10_000, "{answered}");
    }

    #[test]
    fn year_and_month_by_table_equal_the_civil_calendar() {
        // Every day from 1901 to 2201: inside 1902–2200 the table answers as
        // civil_from_days does; outside it says None.
        for days in days_from_civil(1901, 1, 1)..days_from_civil(2201, 12, 31) {
            let (y, m, _) = civil_from_days(days);
            match year_month_of_days(days) {
                Some(got) => assert_eq!(got, (y, m), "{days}"),
                None => assert!(!(1902..=2200).contains(&y), "{days}"),
            }
        }
        assert_eq!(
            year_month_of_days(days_from_civil(2024, 2, 29)),
            Some((2024, 2))
        );
        assert_eq!(
            year_month_of_days(days_from_civil(2023, 3, 1)),
            Some((2023, 3))
        );
    }

    #[test]
    fn parse_in_overrides_the_input_zone() {
        let b = p(BERLIN);
        assert_eq!(
            b.parse_in("2025-01-06 10:30", Tz::UTC),
            Ok((JAN6 + 10 * H + 30 * MIN, TsNote::None))
        );
        // An explicit offset still wins over the given zone.
        assert_eq!(
            b.parse_in("2025-01-06T10:30:00+01:00", NEW_YORK),
            Ok((JAN6 + 9 * H + 30 * MIN, TsNote::None))
        );
        assert_eq!(b.input_tz(), BERLIN);
    }

    #[test]
    fn dst_gap_moves_forward_and_ambiguous_takes_the_earlier_instant() {
        // Berlin, 2025-03-30: 02:00 CET → 03:00 CEST. 02:30 reads as 03:30 CEST = 01:30Z.
        let b = p(BERLIN);
        assert_eq!(
            b.parse("2025-03-30 02:30"),
            Ok((utc(2025, 3, 30, 1, 30, 0), TsNote::DstGap))
        );
        assert_eq!(
            b.parse("2025-03-30 02:00"),
            Ok((utc(2025, 3, 30, 1, 0, 0), TsNote::DstGap))
        );
        // Either side of the gap is ordinary.
        assert_eq!(
            b.parse("2025-03-30 01:59:59"),
            Ok((utc(2025, 3, 30, 0, 59, 59), TsNote::None))
        );
        assert_eq!(
            b.parse("2025-03-30 03:00"),
            Ok((utc(2025, 3, 30, 1, 0, 0), TsNote::None))
        );
        // Berlin, 2025-10-26: 03:00 CEST → 02:00 CET; 02:30 happens at 00:30Z and 01:30Z.
        assert_eq!(
            b.parse("2025-10-26 02:30"),
            Ok((utc(2025, 10, 26, 0, 30, 0), TsNote::DstAmbiguous))
        );
        assert_eq!(
            b.parse("2025-10-26 03:00"),
            Ok((utc(2025, 10, 26, 2, 0, 0), TsNote::None))
        );
        // An explicit offset is never ambiguous.
        assert_eq!(
            b.parse("2025-10-26T02:30:00+01:00"),
            Ok((utc(2025, 10, 26, 1, 30, 0), TsNote::None))
        );

        // New York, 2025-03-09: 02:00 EST → 03:00 EDT. 02:30 reads as 03:30 EDT = 07:30Z.
        let n = p(NEW_YORK);
        assert_eq!(
            n.parse("2025-03-09 02:30"),
            Ok((utc(2025, 3, 9, 7, 30, 0), TsNote::DstGap))
        );
        // New York, 2025-11-02: 02:00 EDT → 01:00 EST; 01:30 EDT = 05:30Z comes first.
        assert_eq!(
            n.parse("2025-11-02 01:30"),
            Ok((utc(2025, 11, 2, 5, 30, 0), TsNote::DstAmbiguous))
        );
    }

    #[test]
    fn unix_seconds_and_milliseconds() {
        let p = p(BERLIN);
        assert_eq!(p.parse("1736121600"), Ok((JAN6, TsNote::None)));
        assert_eq!(p.parse("1736121600000"), Ok((JAN6, TsNote::None)));
        assert_eq!(ms(&p, "0"), 0);
        assert_eq!(ms(&p, "-86400"), -MS_PER_DAY);
        // The switch is at 10^11: below it seconds, from it milliseconds.
        assert_eq!(ms(&p, "99999999999"), 99_999_999_999_000);
        assert_eq!(ms(&p, "100000000000"), 100_000_000_000);
        assert_eq!(ms(&p, "-100000000000"), -100_000_000_000);
        // Beyond the year 9999, or beyond i64: not a timestamp.
        assert_eq!(p.parse("253402300800000"), Err(()));
        assert_eq!(p.parse("99999999999999999999"), Err(()));
        assert_eq!(p.parse("-9223372036854775808"), Err(()));
    }

    #[test]
    fn other_shapes_are_rejected() {
        let p = p(Tz::UTC);
        for bad in [
            "",
            "   ",
            "03/04/2025",
            "2025/01/06",
            "06.01.2025",
            "2025-1-6",
            "2025-01-6",
            "25-01-06",
            "2025-13-01",
            "2025-00-10",
            "2025-02-29",
            "2025-04-31",
            "2025-01-00",
            "2025-01-06T",
            "2025-01-06T10",
            "2025-01-06T24:00",
            "2025-01-06T10:60",
            "2025-01-06T10:30:61",
            "2025-01-06T10:3",
            "2025-01-06T100:30",
            "2025-01-06T10:30:00.",
            "2025-01-06T10:30:00.Z",
            "2025-01-06T10:30:00+25:00",
            "2025-01-06T10:30:00+02:60",
            "2025-01-06T10:30:00+2",
            "2025-01-06T10:30:00+02:0",
            "2025-01-06T10:30:00Zjunk",
            "2025-01-06T10:30:00  Z",
            "2025-01-06X10:30",
            "2025-01-06 10:30 pm",
            "abc",
            "-",
            "1.7e9",
            "1736121600.5",
            "+1736121600",
            "１２３",
            "2025-01-06T10:30:00 utc",
        ] {
            assert_eq!(p.parse(bad), Err(()), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn extra_formats_are_tried_in_order() {
        let p = TimeParser::new(
            BERLIN,
            vec![
                "%d/%m/%Y %H:%M".into(),
                "%m/%d/%Y".into(),
                "%d.%m.%Y %H:%M %z".into(),
            ],
        );
        // 3 April 2025 10:30 CEST = 08:30Z.
        assert_eq!(
            p.parse("03/04/2025 10:30"),
            Ok((utc(2025, 4, 3, 8, 30, 0), TsNote::None))
        );
        // A date-only format means local midnight; here the second format matches.
        assert_eq!(ms(&p, "03/04/2025"), utc(2025, 3, 3, 23, 0, 0));
        // %z gives the offset, overriding the zone.
        assert_eq!(ms(&p, "06.01.2025 10:30 +0000"), JAN6 + 10 * H + 30 * MIN);
        // DST handling applies to extra formats too.
        assert_eq!(
            p.parse("30/03/2025 02:30"),
            Ok((utc(2025, 3, 30, 1, 30, 0), TsNote::DstGap))
        );
        // Built-in shapes still work, and other shapes still fail.
        assert_eq!(ms(&p, "2025-01-06T10:30:00Z"), JAN6 + 10 * H + 30 * MIN);
        assert_eq!(p.parse("2025.01.06"), Err(()));
        assert_eq!(p.parse("03/04/2025 10:30 extra"), Err(()));
    }

    #[test]
    fn a_user_format_wins_over_unix_time_for_digits() {
        let with = TimeParser::new(Tz::UTC, vec!["%Y%m%d".into()]);
        assert_eq!(ms(&with, "20250106"), JAN6);
        // Digits the format rejects still read as Unix time.
        assert_eq!(ms(&with, "1736121600"), JAN6);
        let without = p(Tz::UTC);
        assert_eq!(ms(&without, "20250106"), 20_250_106_000);
    }

    #[test]
    fn placeholder_dates() {
        for s in [
            "1900-01-01",
            "1900-01-01 00:00:00",
            " 1900-01-01T00:00:00Z ",
            "1900-01-01 00:00",
            "1899-12-30",
            "0000-00-00 00:00:00",
            "0001-01-01T00:00:00.000+00:00",
        ] {
            assert!(is_placeholder_date(s), "{s}");
        }
        for s in [
            "1900-01-02",
            "1900-01-01 09:30:00",
            "2025-01-01",
            "1900-01-01x",
            "",
        ] {
            assert!(!is_placeholder_date(s), "{s}");
        }
    }

    #[test]
    fn invalid_extra_formats_are_reported_and_ignored() {
        assert!(check_date_format("%d/%m/%Y %H:%M").is_ok());
        let e = check_date_format("%d/%m/%Y %Q").unwrap_err();
        assert!(e.contains("--date-format"), "{e}");
        let p = TimeParser::new(Tz::UTC, vec!["%Q".into(), "%d/%m/%Y".into()]);
        assert_eq!(ms(&p, "06/01/2025"), JAN6);
    }

    #[test]
    fn unix_format_in_extra_formats() {
        let p = TimeParser::new(Tz::UTC, vec!["@%s".into()]);
        assert_eq!(ms(&p, "@1736121600"), JAN6);
    }

    /// 2025-01-15T10:00:00Z, a Wednesday; 11:00 in Berlin.
    fn now() -> i64 {
        utc(2025, 1, 15, 10, 0, 0)
    }

    #[test]
    fn time_args_dates_and_datetimes() {
        use TimeArgKind::*;
        // Berlin midnight of 2025-01-06 is 2025-01-05T23:00Z.
        assert_eq!(
            parse_time_arg("2025-01-06", Since, BERLIN, now()),
            Ok(JAN6 - H)
        );
        assert_eq!(
            parse_time_arg("2025-01-06", Until, BERLIN, now()),
            Ok(JAN6 - H)
        );
        assert_eq!(
            parse_time_arg("2025-01-06", AsOf, BERLIN, now()),
            Ok(JAN6 + 23 * H)
        );
        assert_eq!(
            parse_time_arg(" 2025-01-06 ", Since, Tz::UTC, now()),
            Ok(JAN6)
        );
        // The end of 2025-03-30 in Berlin comes 23 hours after its start.
        assert_eq!(
            parse_time_arg("2025-03-30", AsOf, BERLIN, now()),
            Ok(utc(2025, 3, 30, 22, 0, 0))
        );
        for kind in [Since, Until, AsOf] {
            assert_eq!(
                parse_time_arg("2025-01-06T09:30:00+01:00", kind, NEW_YORK, now()),
                Ok(JAN6 + 8 * H + 30 * MIN)
            );
            assert_eq!(
                parse_time_arg("2025-01-06T09:30:00Z", kind, BERLIN, now()),
                Ok(JAN6 + 9 * H + 30 * MIN)
            );
            // A naive datetime is read in the zone.
            assert_eq!(
                parse_time_arg("2025-01-06 09:30", kind, BERLIN, now()),
                Ok(JAN6 + 8 * H + 30 * MIN)
            );
        }
    }

    #[test]
    fn relative_time_args_count_back_from_the_local_date() {
        use TimeArgKind::*;
        let now = now();
        // Today is 2025-01-15 in Berlin.
        assert_eq!(
            parse_time_arg("-7d", Since, BERLIN, now),
            Ok(utc(2025, 1, 7, 23, 0, 0))
        );
        assert_eq!(
            parse_time_arg("-1w", Since, BERLIN, now),
            Ok(utc(2025, 1, 7, 23, 0, 0))
        );
        assert_eq!(
            parse_time_arg("-2w", Until, BERLIN, now),
            Ok(utc(2024, 12, 31, 23, 0, 0))
        );
        assert_eq!(
            parse_time_arg("-1m", Since, BERLIN, now),
            Ok(utc(2024, 12, 14, 23, 0, 0))
        );
        assert_eq!(
            parse_time_arg("-0d", Since, BERLIN, now),
            Ok(utc(2025, 1, 14, 23, 0, 0))
        );
        // As-of means the end of that date.
        assert_eq!(
            parse_time_arg("-0d", AsOf, BERLIN, now),
            Ok(utc(2025, 1, 15, 23, 0, 0))
        );
        assert_eq!(
            parse_time_arg("-1d", AsOf, BERLIN, now),
            Ok(utc(2025, 1, 14, 23, 0, 0))
        );
        assert_eq!(
            parse_time_arg("-1d", AsOf, Tz::UTC, now),
            Ok(utc(2025, 1, 15, 0, 0, 0))
        );
        // "Today" is the date in the zone: 23:30Z on the 15th is already the 16th in Berlin
        // but still the 15th in New York.
        let late = utc(2025, 1, 15, 23, 30, 0);
        assert_eq!(
            parse_time_arg("-0d", Since, BERLIN, late),
            Ok(utc(2025, 1, 15, 23, 0, 0))
        );
        assert_eq!(
            parse_time_arg("-0d", Since, NEW_YORK, late),
            Ok(utc(2025, 1, 15, 5, 0, 0))
        );
        // Calendar months: a month back from 31 March is 28 February.
        let mar31 = utc(2025, 3, 31, 12, 0, 0);
        assert_eq!(
            parse_time_arg("-1m", Since, Tz::UTC, mar31),
            Ok(utc(2025, 2, 28, 0, 0, 0))
        );
        assert_eq!(
            parse_time_arg("-12m", Since, Tz::UTC, mar31),
            Ok(utc(2024, 3, 31, 0, 0, 0))
        );
    }

    #[test]
    fn bad_time_args_say_what_is_accepted() {
        for bad in [
            "",
            "yesterday",
            "7d",
            "-7x",
            "-d",
            "--7d",
            "-7 d",
            "2025",
            "1736121600",
            "03/04/2025",
            "2025-02-30",
        ] {
            let e = parse_time_arg(bad, TimeArgKind::Since, BERLIN, now()).unwrap_err();
            assert!(
                e.contains("RFC 3339") && e.contains("-7d") && e.contains("Europe/Berlin"),
                "{bad:?}: {e}"
            );
        }
        for huge in [
            "-99999999999999999999d",
            "-9999999d",
            "-4294967296m",
            "-9999999999999999w",
        ] {
            let e = parse_time_arg(huge, TimeArgKind::Since, BERLIN, now()).unwrap_err();
            assert!(e.contains("out of range"), "{huge:?}: {e}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000));
        assert_eq!(parse_duration("1.5h"), Ok(5_400_000));
        assert_eq!(parse_duration("90m"), Ok(5_400_000));
        assert_eq!(parse_duration("1h 30m"), Ok(5_400_000));
        assert_eq!(parse_duration(" 45m "), Ok(2_700_000));
        assert_eq!(parse_duration("2d"), Ok(172_800_000));
        assert_eq!(parse_duration("1w"), Ok(604_800_000));
        assert_eq!(
            parse_duration("1w2d3h4m"),
            Ok(604_800_000 + 172_800_000 + 10_800_000 + 240_000)
        );
        assert_eq!(parse_duration(".5h"), Ok(1_800_000));
        assert_eq!(parse_duration("0.1h"), Ok(360_000));
        assert_eq!(parse_duration("0m"), Ok(0));
        // Rounded to the nearest ms: 0.0001m is 6 ms, 0.00001m is 0.6 ms, 0.000001m 0.06 ms.
        assert_eq!(parse_duration("0.0001m"), Ok(6));
        assert_eq!(parse_duration("0.00001m"), Ok(1));
        assert_eq!(parse_duration("0.000001m"), Ok(0));
    }

    #[test]
    fn bad_durations() {
        for (bad, why) in [
            ("", "empty"),
            ("   ", "empty"),
            ("-1h", "negative"),
            ("30", "no unit"),
            ("1h30", "no unit"),
            ("5s", "unknown unit \"s\""),
            ("5 min", "unknown unit \"min\""),
            ("5hours", "unknown unit \"hours\""),
            ("h", "expected a number"),
            ("1.2.3h", "unknown unit \".\""),
            ("1hh", "unknown unit \"hh\""),
            ("1h h", "expected a number"),
            (".h", "expected a number"),
            ("5é", "unknown unit \"é\""),
            ("5€", "unknown unit \"€\""),
            ("1234567890123456789h", "too many digits"),
            ("99999999999999999w", "too long"),
        ] {
            let e = parse_duration(bad).unwrap_err();
            assert!(e.contains(why) && e.contains("1h30m"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn rfc3339_output() {
        assert_eq!(
            format_rfc3339(JAN6 - H, BERLIN),
            "2025-01-06T00:00:00+01:00"
        );
        assert_eq!(format_rfc3339(JAN6, Tz::UTC), "2025-01-06T00:00:00+00:00");
        assert_eq!(
            format_rfc3339(JAN6 + 250, Tz::UTC),
            "2025-01-06T00:00:00.250+00:00"
        );
        assert_eq!(
            format_rfc3339(JAN6 + 7, Tz::UTC),
            "2025-01-06T00:00:00.007+00:00"
        );
        assert_eq!(format_rfc3339(JAN6, NEW_YORK), "2025-01-05T19:00:00-05:00");
        assert_eq!(
            format_rfc3339(JAN6, Tz::Asia__Kolkata),
            "2025-01-06T05:30:00+05:30"
        );
        assert_eq!(
            format_rfc3339(utc(2025, 7, 1, 8, 30, 0), BERLIN),
            "2025-07-01T10:30:00+02:00"
        );
        assert_eq!(format_rfc3339(-1, Tz::UTC), "1969-12-31T23:59:59.999+00:00");
        // Berlin's local mean time (+00:53:28) has no RFC 3339 form: written in UTC.
        let old = utc(1880, 1, 1, 12, 0, 0);
        assert_eq!(format_rfc3339(old, BERLIN), "1880-01-01T12:00:00+00:00");
        // Never panics.
        for x in [i64::MIN, i64::MAX, 0] {
            for tz in [Tz::UTC, BERLIN, Tz::Pacific__Apia] {
                assert!(!format_rfc3339(x, tz).is_empty());
            }
        }
    }

    #[test]
    fn zone_names() {
        assert_eq!(parse_tz("Europe/Berlin"), Ok(BERLIN));
        assert_eq!(parse_tz(" europe/BERLIN "), Ok(BERLIN));
        assert_eq!(parse_tz("America/New York"), Ok(NEW_YORK));
        assert_eq!(parse_tz("UTC"), Ok(Tz::UTC));
        assert_eq!(parse_tz("utc"), Ok(Tz::UTC));
        assert_eq!(parse_tz("Z"), Ok(Tz::UTC));
        assert_eq!(parse_tz("Etc/UTC"), Ok(Tz::Etc__UTC));
        assert_eq!(parse_tz("Asia/Kolkata"), Ok(Tz::Asia__Kolkata));

        let e = parse_tz("Europe/Berln").unwrap_err();
        assert!(e.contains("Did you mean \"Europe/Berlin\"?"), "{e}");
        let e = parse_tz("berlin").unwrap_err();
        assert!(e.contains("Did you mean \"Europe/Berlin\"?"), "{e}");
        let e = parse_tz("New York").unwrap_err();
        assert!(e.contains("Did you mean \"America/New_York\"?"), "{e}");
        let e = parse_tz("Mars/Olympus_Mons").unwrap_err();
        assert!(!e.contains("Did you mean") && e.contains("IANA"), "{e}");
        assert!(parse_tz("").is_err());
    }

    #[test]
    fn local_dates() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("valid test date");
        assert_eq!(local_date(JAN6 - H - 1, BERLIN), d(2025, 1, 5));
        assert_eq!(local_date(JAN6 - H, BERLIN), d(2025, 1, 6));
        assert_eq!(local_date(JAN6 - H, Tz::UTC), d(2025, 1, 5));
        assert_eq!(local_date(JAN6 + 4 * H + 59 * MIN, NEW_YORK), d(2025, 1, 5));
        assert_eq!(local_date(-1, Tz::UTC), d(1969, 12, 31));
        // Never panics, even far outside chrono's range.
        assert!(local_date(i64::MIN, BERLIN) < d(-200_000, 1, 1));
        assert!(local_date(i64::MAX, BERLIN) > d(200_000, 1, 1));
    }

    #[test]
    fn local_midnights() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("valid test date");
        assert_eq!(local_midnight(d(2025, 1, 6), BERLIN), JAN6 - H);
        assert_eq!(
            local_midnight(d(2025, 7, 1), BERLIN),
            utc(2025, 6, 30, 22, 0, 0)
        );
        assert_eq!(local_midnight(d(2025, 1, 6), NEW_YORK), JAN6 + 5 * H);
        // Chile moves its clocks from 24:00 (-04:00) to 01:00 (-03:00) on 2024-09-08, so
        // the day starts at 01:00 -03:00 = 04:00Z, not at a shifted "midnight".
        assert_eq!(
            local_midnight(d(2024, 9, 8), Tz::America__Santiago),
            utc(2024, 9, 8, 4, 0, 0)
        );
        // Samoa skipped 2011-12-30 entirely (-10:00 → +14:00 at 10:00Z): that day has no
        // length, and the next one starts at the same instant.
        let apia = Tz::Pacific__Apia;
        assert_eq!(
            local_midnight(d(2011, 12, 30), apia),
            utc(2011, 12, 30, 10, 0, 0)
        );
        assert_eq!(
            local_midnight(d(2011, 12, 31), apia),
            utc(2011, 12, 30, 10, 0, 0)
        );
        assert_eq!(
            local_midnight(d(2011, 12, 29), apia),
            utc(2011, 12, 29, 10, 0, 0)
        );
        // Never panics at the ends of chrono's range.
        for tz in [Tz::UTC, BERLIN, apia] {
            let _ = local_midnight(NaiveDate::MIN, tz);
            let _ = local_midnight(NaiveDate::MAX, tz);
        }
    }

    #[test]
    fn civil_day_arithmetic() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2025, 1, 6), 20_094);
        assert_eq!(days_from_civil(1969, 12, 29), -3);
        assert_eq!(days_from_civil(0, 1, 1) * MS_PER_DAY, MIN_PARSED_MS);
        assert_eq!(
            days_from_civil(10_000, 1, 1) * MS_PER_DAY - 1,
            MAX_PARSED_MS
        );
        for days in [
            -1_000_000, -719_468, -1, 0, 1, 20_094, 59, 60, 2_932_896, 90_000_000,
        ] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
            assert_eq!(
                date_from_days(days),
                NaiveDate::from_num_days_from_ce_opt(days as i32 + 719_163).expect("in range")
            );
        }
    }

    #[test]
    fn parsed_range_is_bounded() {
        let p = p(Tz::UTC);
        assert_eq!(ms(&p, "0000-01-01T00:00:00Z"), MIN_PARSED_MS);
        assert_eq!(ms(&p, "9999-12-31T23:59:59.999Z"), MAX_PARSED_MS);
        // Just outside once the offset is applied.
        assert_eq!(p.parse("0000-01-01T00:00:00+01:00"), Err(()));
        assert_eq!(p.parse("9999-12-31T23:59:59-01:00"), Err(()));
    }

    proptest! {
        #[test]
        fn rfc3339_round_trips(
            ms in 631_152_000_000i64..2_208_988_800_000, // 1990-01-01 .. 2040-01-01
            zone in 0usize..4,
            parser_zone in 0usize..4,
        ) {
            let zones = [Tz::UTC, BERLIN, NEW_YORK, Tz::Asia__Kolkata];
            let text = format_rfc3339(ms, zones[zone]);
            // The offset in the text decides, whatever zone the parser has.
            let parsed = TimeParser::new(zones[parser_zone], Vec::new()).parse(&text);
            prop_assert_eq!(parsed, Ok((ms, TsNote::None)), "{}", text);
        }

        #[test]
        fn parsing_never_panics(s in "\\PC{0,40}") {
            let p = TimeParser::new(BERLIN, vec!["%d/%m/%Y %H:%M".into()]);
            let _ = p.parse(&s);
            let _ = parse_duration(&s);
            let _ = parse_time_arg(&s, TimeArgKind::AsOf, BERLIN, 0);
        }

        #[test]
        fn iso_like_text_never_panics(s in "[0-9]{4}-[0-9]{2}-[0-9]{2}([ Tt][0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.,][0-9]{0,12})?)?( ?(Z|UTC|[+-][0-9]{2}(:?[0-9]{2})?))?)?") {
            if let Ok((ms, _)) = p(NEW_YORK).parse(&s) {
                prop_assert!((MIN_PARSED_MS..=MAX_PARSED_MS).contains(&ms));
            }
        }
    }
}
