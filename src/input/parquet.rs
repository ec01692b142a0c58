//! The one-pass reader of Parquet inputs (SPEC 8), the Parquet counterpart of
//! [`crate::input::fast`]. The file is read in pieces (its row groups, or parts of them),
//! each decoded (only the needed columns, by polars' Parquet decoder) and visited on one
//! core, as many at once as there are cores ([`Groups`]); a file of too few pieces is read in
//! batches that polars decodes while the last batch is visited on every core ([`batched`]).
//! Rows are visited as the same [`Cells`] the CSV reader gives: text columns borrowed as
//! they are; integers, dates and timestamps decoded as numbers and written as text
//! ([`TextKind`]: the text the frame path gives them too), or, in a cell the metric reads
//! as a time, handed over as their value ([`Stamp`]). Memory follows the pieces being read,
//! not the file.

use std::borrow::Cow;

use polars::prelude::*;

use crate::input::fast::{on_pieces, threads, Cells, Irregular};
use crate::input::{Format, Source};

/// How the values of a Parquet column become the text cells the metrics read. Both paths
/// (this reader and [`crate::input::frame`]) write the same text for each kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextKind {
    /// Text, as stored.
    Text,
    /// Signed integers, in decimal.
    Int,
    /// Unsigned integers, in decimal.
    UInt,
    /// Calendar dates: `YYYY-MM-DD`.
    Date,
    /// Timestamps without a zone: `YYYY-MM-DDTHH:MM:SS[.fff]`, read in `--input-tz` as
    /// any naive time.
    Naive(TimeUnit),
    /// Timestamps with a zone: the instant in UTC, `YYYY-MM-DDTHH:MM:SS[.fff]Z` (the zone
    /// of the column only says how to show them).
    Zoned(TimeUnit),
    /// Bytes (BLOB, or strings some writers store without saying they are text): the text
    /// they spell when they are UTF-8, else `0x` and their hex digits.
    Binary,
    /// A UUID (16 bytes): `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lower case.
    Uuid,
    /// Anything else (floats, booleans, decimals, times of day): polars' text for it.
    Other,
}

impl TextKind {
    pub fn of(t: &DataType) -> Self {
        match t {
            DataType::String => Self::Text,
            DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => Self::Int,
            DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => Self::UInt,
            DataType::Date => Self::Date,
            DataType::Datetime(u, None) => Self::Naive(*u),
            DataType::Datetime(u, Some(_)) => Self::Zoned(*u),
            DataType::Binary => Self::Binary,
            _ => Self::Other,
        }
    }

    /// A DATE or TIMESTAMP, which a metric may take as a [`Stamp`].
    fn is_time(self) -> bool {
        matches!(self, Self::Date | Self::Naive(_) | Self::Zoned(_))
    }

    /// Whether this reader decodes the column as numbers and writes the text itself.
    fn written(self) -> bool {
        !matches!(self, Self::Text | Self::Other)
    }
}

/// A value of a typed DATE or TIMESTAMP column ([`TextKind::Date`], `Naive`, `Zoned`) in
/// a cell a metric reads as a time: handed over as it is, and read as the time
/// [`crate::input::rows::time_cell`] makes of the text the column is written as, without
/// writing and parsing that text (a fifth of a typed run's time).
#[derive(Clone, Copy, Debug)]
pub struct Stamp {
    /// Days since 1970 (a date), or the column's units since 1970 (a timestamp).
    value: i64,
    kind: TextKind,
}

/// 1902-01-01T00:00:00 in milliseconds since 1970: the placeholder dates (SPEC 5) all lie
/// before it, and so do the times [`TimeParser::parse_common`] leaves to the full parser.
///
/// [`TimeParser::parse_common`]: crate::time::TimeParser::parse_common
const FIRST_1902_MS: i64 = crate::time::days_from_civil(1902, 1, 1) * crate::time::MS_PER_DAY;

impl Stamp {
    /// The text of the value, as both paths write it ([`TextKind`]).
    pub fn text(&self) -> String {
        let mut a = Ascii::new();
        self.write(&mut a, &Days::default());
        a.as_text().to_string()
    }

    fn write(&self, a: &mut Ascii, days: &Days) {
        match self.kind {
            TextKind::Naive(unit) | TextKind::Zoned(unit) => {
                let (per_second, digits) = unit_digits(unit);
                a.instant(
                    self.value.div_euclid(per_second),
                    self.value.rem_euclid(per_second),
                    digits,
                    days,
                );
                if matches!(self.kind, TextKind::Zoned(_)) {
                    a.byte(b'Z');
                }
            }
            _ => a.date(self.value, days),
        }
    }

    /// The packed time ([`crate::input::rows::time_cell`] of [`Stamp::text`]). The text's
    /// milliseconds are its value's, truncated; a zoned value is the instant, a naive one
    /// (or a date, at its midnight) is read in the parser's input zone. Times before 1902
    /// (placeholder dates among them), after 9999, or with `--na-values` given are read
    /// from the text itself.
    pub fn packed(&self, parser: &crate::time::TimeParser, na: &[String]) -> i64 {
        use crate::input::rows::{pack_parsed, time_cell, TS_BAD};
        let ms = match self.kind {
            TextKind::Date => self.value.checked_mul(crate::time::MS_PER_DAY),
            TextKind::Naive(unit) | TextKind::Zoned(unit) => {
                Some(self.value.div_euclid(unit_digits(unit).0 / 1_000))
            }
            _ => None,
        };
        let range = FIRST_1902_MS..=crate::time::MAX_PARSED_MS;
        match ms {
            Some(ms) if na.is_empty() && range.contains(&ms) => {
                let read = match self.kind {
                    TextKind::Zoned(_) => Some((ms, crate::time::TsNote::None)),
                    _ => parser.local(ms),
                };
                let valid = crate::time::MIN_PARSED_MS..=crate::time::MAX_PARSED_MS;
                match read {
                    Some((ms, note)) if valid.contains(&ms) => pack_parsed(ms, note),
                    _ => TS_BAD,
                }
            }
            _ => time_cell(parser, Some(&self.text()), na),
        }
    }
}

/// Units per second of a timestamp unit, and the digits of its fraction.
fn unit_digits(unit: TimeUnit) -> (i64, usize) {
    match unit {
        TimeUnit::Milliseconds => (1_000, 3),
        TimeUnit::Microseconds => (1_000_000, 6),
        TimeUnit::Nanoseconds => (1_000_000_000, 9),
    }
}

/// The frame path's expression for a Parquet column as text.
pub fn text_expr(e: Expr, kind: TextKind) -> Expr {
    match kind {
        TextKind::Text => e,
        TextKind::Other => e.cast(DataType::String),
        kind => e.map(
            move |c| {
                let mut w = Written::default();
                w.write(&c, kind)?;
                let mut out = StringChunkedBuilder::new(c.name().clone(), w.ends.len());
                for t in w.cells() {
                    match t {
                        Some(t) => out.append_value(t),
                        None => out.append_null(),
                    }
                }
                Ok(out.finish().into_column())
            },
            |_, f| Ok(Field::new(f.name().clone(), DataType::String)),
        ),
    }
}

/// A column's values written as text into one buffer: `ends[r]` is where row `r`'s text
/// ends, `usize::MAX` for a null.
#[derive(Default)]
struct Written {
    text: String,
    ends: Vec<usize>,
}

impl Written {
    /// The rows' text in order.
    fn cells(&self) -> impl Iterator<Item = Option<&str>> {
        let mut start = 0usize;
        self.ends.iter().map(move |&e| {
            if e == usize::MAX {
                return None;
            }
            let t = &self.text[start..e];
            start = e;
            Some(t)
        })
    }

    fn write(&mut self, c: &Column, kind: TextKind) -> PolarsResult<()> {
        self.text.clear();
        self.ends.clear();
        self.text.reserve(c.len() * 20);
        self.ends.reserve(c.len());
        let mut int = itoa::Buffer::new();
        match kind {
            TextKind::UInt => {
                let v = c.cast(&DataType::UInt64)?;
                for v in v.u64()?.iter() {
                    self.push(v.map(|v| int.format(v)));
                }
            }
            TextKind::Int => {
                let v = c.cast(&DataType::Int64)?;
                for v in v.i64()?.iter() {
                    self.push(v.map(|v| int.format(v)));
                }
            }
            TextKind::Date => {
                let v = c.to_physical_repr();
                let v = v.i32()?;
                let days = Days::new(v.min().map(i64::from), v.max().map(i64::from));
                for v in v.iter() {
                    self.stamp(v.map(i64::from), kind, &days);
                }
            }
            TextKind::Naive(unit) | TextKind::Zoned(unit) => {
                let per_second = unit_digits(unit).0;
                let v = c.to_physical_repr();
                let v = v.i64()?;
                let day = |v: i64| v.div_euclid(per_second).div_euclid(86_400);
                let days = Days::new(v.min().map(day), v.max().map(day));
                for v in v.iter() {
                    self.stamp(v, kind, &days);
                }
            }
            TextKind::Binary | TextKind::Uuid => {
                let uuid = kind == TextKind::Uuid;
                for v in c.binary()?.iter() {
                    match v {
                        Some(b) => {
                            match std::str::from_utf8(b) {
                                Ok(t) if !(uuid && b.len() == 16) => self.text.push_str(t),
                                _ => hex_text(&mut self.text, b, uuid && b.len() == 16),
                            }
                            self.end();
                        }
                        None => self.ends.push(usize::MAX),
                    }
                }
            }
            TextKind::Text | TextKind::Other => {
                let v = c.cast(&DataType::String)?;
                for v in v.str()?.iter() {
                    self.push(v);
                }
            }
        }
        Ok(())
    }

    fn stamp(&mut self, value: Option<i64>, kind: TextKind, days: &Days) {
        match value {
            Some(value) => {
                let mut a = Ascii::new();
                Stamp { value, kind }.write(&mut a, days);
                a.push_to(&mut self.text);
                self.end();
            }
            None => self.ends.push(usize::MAX),
        }
    }

    fn push(&mut self, v: Option<&str>) {
        match v {
            Some(t) => {
                self.text.push_str(t);
                self.end();
            }
            None => self.ends.push(usize::MAX),
        }
    }

    fn end(&mut self) {
        self.ends.push(self.text.len());
    }
}

/// Bytes as hex digits: a UUID's 16 as `8-4-4-4-12`, any others after `0x`.
fn hex_text(buf: &mut String, b: &[u8], uuid: bool) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    if !uuid {
        buf.push_str("0x");
    }
    for (i, x) in b.iter().enumerate() {
        if uuid && matches!(i, 4 | 6 | 8 | 10) {
            buf.push('-');
        }
        buf.push(HEX[usize::from(x >> 4)] as char);
        buf.push(HEX[usize::from(x & 15)] as char);
    }
}

/// One of two iterators of the same items.
enum Either<A, B> {
    Left(A),
    Right(B),
}

impl<T, A: Iterator<Item = T>, B: Iterator<Item = T>> Iterator for Either<A, B> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        match self {
            Either::Left(a) => a.next(),
            Either::Right(b) => b.next(),
        }
    }
}

/// "00" to "99".
const PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// Text of at most 40 ASCII bytes, made in place.
struct Ascii {
    b: [u8; 40],
    n: usize,
}

impl Ascii {
    fn new() -> Self {
        Ascii { b: [0; 40], n: 0 }
    }

    /// `v` (0 ≤ v < 100) in two digits.
    #[inline]
    fn two(&mut self, v: i64) {
        let i = 2 * v as usize;
        self.b[self.n..self.n + 2].copy_from_slice(&PAIRS[i..i + 2]);
        self.n += 2;
    }

    /// `v` (0 ≤ v < 10^k) in exactly `k` digits.
    fn digits(&mut self, mut v: i64, k: usize) {
        for i in (0..k).rev() {
            self.b[self.n + i] = b'0' + v.rem_euclid(10) as u8;
            v /= 10;
        }
        self.n += k;
    }

    #[inline]
    fn byte(&mut self, c: u8) {
        self.b[self.n] = c;
        self.n += 1;
    }

    /// `YYYY-MM-DD` for days since 1970-01-01 (years outside 0–9999 with a sign or more
    /// digits), from `known` when it holds the day.
    fn date(&mut self, d: i64, known: &Days) {
        if let Some(t) = known.get(d) {
            self.b[self.n..self.n + 10].copy_from_slice(t);
            self.n += 10;
            return;
        }
        let (year, month, day) = crate::time::civil_from_days(d);
        let (month, day) = (i64::from(month), i64::from(day));
        if (0..=9999).contains(&year) {
            self.two(year / 100);
            self.two(year % 100);
        } else {
            let t = format!("{year:04}");
            self.b[self.n..self.n + t.len()].copy_from_slice(t.as_bytes());
            self.n += t.len();
        }
        self.byte(b'-');
        self.two(month);
        self.byte(b'-');
        self.two(day);
    }

    /// `secs` since 1970 and a fraction of `digits` digits as `YYYY-MM-DDTHH:MM:SS[.f]`,
    /// the fraction only when it is not zero, its trailing zeros dropped in threes (`.250`).
    fn instant(&mut self, secs: i64, frac: i64, digits: usize, known: &Days) {
        let (days, s) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        self.date(days, known);
        self.byte(b'T');
        self.two(s / 3_600);
        self.byte(b':');
        self.two(s / 60 % 60);
        self.byte(b':');
        self.two(s % 60);
        if frac != 0 {
            let (mut frac, mut n) = (frac, digits);
            while n > 3 && frac % 1_000 == 0 {
                frac /= 1_000;
                n -= 3;
            }
            self.byte(b'.');
            self.digits(frac, n);
        }
    }

    fn as_text(&self) -> &str {
        debug_assert!(self.b[..self.n].is_ascii());
        // SAFETY: only ASCII digits, signs and separators are ever written (`digits`, `two`,
        // `byte` with ASCII arguments, `format!` of an integer); checking them was 4 % of a
        // typed Parquet run.
        unsafe { std::str::from_utf8_unchecked(&self.b[..self.n]) }
    }

    fn push_to(&self, buf: &mut String) {
        buf.push_str(self.as_text());
    }
}

/// The `YYYY-MM-DD` of every day from the first to the last a column's values fall on,
/// each worked out once (a piece's values span a few hundred days, not 65,000 rows' worth),
/// when there are at most 2^16 of them.
#[derive(Default)]
struct Days {
    first: i64,
    dates: Vec<[u8; 10]>,
}

impl Days {
    fn new(min: Option<i64>, max: Option<i64>) -> Self {
        let (Some(lo), Some(hi)) = (min, max) else {
            return Days::default();
        };
        if hi - lo >= 1 << 16 {
            return Days::default();
        }
        let none = Days::default();
        let dates = (lo..=hi)
            .map(|d| {
                let mut a = Ascii::new();
                a.date(d, &none);
                let mut t = [0u8; 10];
                if a.n == 10 {
                    t.copy_from_slice(&a.b[..10]);
                }
                t
            })
            .collect();
        Days { first: lo, dates }
    }

    #[inline]
    fn get(&self, d: i64) -> Option<&[u8; 10]> {
        let t = self.dates.get(usize::try_from(d - self.first).ok()?)?;
        (t[0] != 0).then_some(t)
    }
}

/// Days since 1970-01-01 as `YYYY-MM-DD`.
#[cfg(test)]
fn date_text(buf: &mut String, days: i64) {
    let mut a = Ascii::new();
    a.date(days, &Days::default());
    a.push_to(buf);
}

/// [`Ascii::instant`] into `buf`.
#[cfg(test)]
fn instant_text(buf: &mut String, secs: i64, frac: i64, digits: usize) {
    let mut a = Ascii::new();
    a.instant(secs, frac, digits, &Days::default());
    a.push_to(buf);
}

/// Rows decoded at a time at least: whole row groups up to this many (DuckDB writes groups
/// of 122,880 rows, polars of 262,144; more rows a batch cost memory, fewer no time).
/// `CXM_PARQUET_BATCH_ROWS` (undocumented, for tests) makes batches small.
pub fn batch_rows() -> usize {
    crate::input::env_size("CXM_PARQUET_BATCH_ROWS").unwrap_or(1 << 17)
}

/// Whether an input is a Parquet file read from disk (not a table in memory).
pub fn eligible(src: &Source) -> bool {
    src.format == Format::Parquet && src.table.is_none()
}

/// [`crate::input::fast::visit_inputs`] for Parquet inputs: `needed(f)` are positions among
/// input `f`'s column names. `None` when an input cannot be read this way (a nested column,
/// a file polars cannot decode): the caller's frame path then reports it.
pub fn visit_inputs<S: Send>(
    sources: &[Source],
    needed: impl Fn(usize) -> Vec<usize>,
    times: &[usize],
    init: impl Fn(usize, usize) -> S + Sync,
    visit: impl Fn(usize, &mut S, &Cells<'_>, &Stamps) + Sync,
) -> Option<Vec<(Vec<S>, u64)>> {
    if !sources.iter().all(eligible) {
        return None;
    }
    keep_freed_memory();
    let mut out = Vec::with_capacity(sources.len());
    for (f, src) in sources.iter().enumerate() {
        let needed = needed(f);
        // A nested column is reported by the caller's frame path.
        if needed
            .iter()
            .any(|&i| src.nested.iter().any(|(n, _)| n == &src.headers[i]))
        {
            return None;
        }
        // A typed time in a cell read as a time is handed over as it is.
        let kinds: Vec<Slot> = needed
            .iter()
            .enumerate()
            .map(|(k, &i)| {
                let kind = src.kinds[i];
                if kind.is_time() && times.contains(&k) {
                    Slot::Stamp(kind)
                } else {
                    Slot::Text(kind)
                }
            })
            .collect();
        let init = |k: usize| init(f, k);
        let visit = |st: &mut S, c: &Cells<'_>, t: &Stamps| visit(f, st, c, t);
        // A file of too few pieces to keep every core busy is read in batches (and so is one
        // this reader's decoder cannot open, which polars then reports).
        let groups = Groups::open(&src.path, &src.headers);
        let pieces = groups.as_ref().map(Groups::pieces).unwrap_or_default();
        let batched_only = std::env::var_os("CXM_PARQUET_BATCHED").is_some();
        let in_pieces = pieces.len() >= 2 * threads() && !batched_only;
        if std::env::var_os("CXM_TIMINGS").is_some() {
            let how = if in_pieces {
                format!("{} pieces of row groups", pieces.len())
            } else {
                "batches".to_string()
            };
            eprintln!("cxm: timing: {}: read in {how}", src.display);
        }
        let got = match groups {
            Some(g) if in_pieces => g.visit(&pieces, &needed, &kinds, &init, &visit),
            _ => batched(src, &needed, &kinds, &init, &visit),
        };
        out.push(got?);
    }
    Some(out)
}

/// The typed times of a record's cells, by cell (empty when none is typed).
pub type Stamps = [Option<Stamp>];

/// How a needed column is handed to the visitor: as text written from values of this kind,
/// or as [`Stamp`]s of this kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Text(TextKind),
    Stamp(TextKind),
}

impl Slot {
    fn kind(self) -> TextKind {
        match self {
            Slot::Text(k) | Slot::Stamp(k) => k,
        }
    }
}

/// A Parquet file read in pieces of its row groups, each piece decoded and visited on one
/// core, as many at once as there are cores: a piece's decoded columns are visited while
/// they are still in the core's cache, and memory follows the pieces being read, not the
/// file. The file is memory-mapped; polars' Parquet decoder decodes the needed column
/// chunks of a piece's rows (skipping the pages before them without decompressing them).
struct Groups {
    meta: polars_parquet::read::FileMetadata,
    schema: ArrowSchema,
    bytes: polars_buffer::Buffer<u8>,
}

/// Rows of a piece at most: a larger row group is read in parts of equal size (DuckDB
/// writes groups of 122,880 rows, polars of 262,144, pyarrow of 1,048,576; Spark's hold
/// 128 MB). `CXM_PARQUET_PIECE_ROWS` (undocumented, for tests) makes pieces small.
fn piece_rows() -> usize {
    crate::input::env_size("CXM_PARQUET_PIECE_ROWS").unwrap_or(1 << 17)
}

impl Groups {
    /// The file at `path`, whose columns the open step named `headers`.
    fn open(path: &std::path::Path, headers: &[String]) -> Option<Groups> {
        let mut file = std::fs::File::open(path).ok()?;
        let meta = polars_parquet::read::read_metadata(&mut file).ok()?;
        let schema = polars_parquet::read::infer_schema(&meta).ok()?;
        // The columns are the ones the open step named, in its order.
        if schema.len() != headers.len()
            || schema
                .iter()
                .zip(headers)
                .any(|((n, _), h)| n.as_str() != h)
        {
            return None;
        }
        // SAFETY: the file is only read; cxm's inputs are not written while it runs (a file
        // changed under the map gives wrong bytes to the decoder, which checks its input).
        let map = unsafe { memmap2::Mmap::map(&file) }.ok()?;
        Some(Groups {
            meta,
            schema,
            bytes: polars_buffer::Buffer::from_owner(map),
        })
    }

    /// The pieces (row group, its rows `from..to`) in file order. A row group of more than
    /// [`piece_rows`] rows is read in parts only as far as its pages are small beside the
    /// parts: a part decompresses again the dictionaries and the pages it starts in, which
    /// is to cost at most half the part's own bytes (a Spark export of 1M tickets in one row
    /// group: 0.18 s read whole, 0.14 s in the 5 parts of this bound, 0.13 s in 8). The
    /// pieces depend on the file alone: every pass over it (the duplicate check's, the
    /// metric's) cuts it the same way.
    fn pieces(&self) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        for (g, md) in self.meta.row_groups.iter().enumerate() {
            let n = md.num_rows();
            let mut parts = n.div_ceil(piece_rows()).max(1);
            if parts > 1 {
                parts = match self.cut_cost(g) {
                    Some((cut, all)) => parts.min(all / (2 * cut).max(1)).max(1),
                    None => 1,
                };
            }
            out.extend((0..parts).map(|k| (g, n * k / parts, n * (k + 1) / parts)));
        }
        out
    }

    /// The compressed bytes a part of row group `g` decompresses beside its own (the
    /// dictionaries and the largest data page of each column), and those of the whole
    /// group: the page headers read, no page decompressed. `None` when a header does not
    /// read.
    fn cut_cost(&self, g: usize) -> Option<(usize, usize)> {
        use polars_parquet::parquet::page::CompressedPage;
        let md = self.meta.row_groups.get(g)?;
        let (mut cut, mut all) = (0usize, 0usize);
        for c in md.parquet_columns() {
            all += usize::try_from(c.compressed_size()).ok()?;
            if let Some(d) = c.dictionary_page_offset() {
                cut += usize::try_from(c.data_page_offset() - d).ok()?;
            }
            let mut page = 0;
            for p in self.pages(c)? {
                if let CompressedPage::Data(p) = p.ok()? {
                    page = page.max(p.compressed_size());
                }
            }
            cut += page;
        }
        Some((cut, all))
    }

    /// The pages of a column chunk; `None` when the chunk lies outside the file.
    fn pages(
        &self,
        c: &polars_parquet::read::ColumnChunkMetadata,
    ) -> Option<polars_parquet::read::PageReader> {
        let r = c.byte_range();
        let (a, b) = (usize::try_from(r.start).ok()?, usize::try_from(r.end).ok()?);
        if a > b || b > self.bytes.len() {
            return None;
        }
        let bytes = self.bytes.clone().sliced(a..b);
        let cursor = std::io::Cursor::new(bytes);
        Some(polars_parquet::read::PageReader::new(
            cursor,
            c,
            vec![],
            usize::MAX,
        ))
    }

    /// The columns `needed` (positions in the schema) of rows `from..to` of row group `g`,
    /// as polars types them (the types [`TextKind`]s were made from); `None` when a chunk
    /// lies outside the file or does not decode.
    fn decode(&self, g: usize, from: usize, to: usize, needed: &[usize]) -> Option<Vec<Column>> {
        use polars_parquet::read::{column_iter_to_arrays, BasicDecompressor, Filter};
        let md = self.meta.row_groups.get(g)?;
        let filter = (from > 0 || to < md.num_rows()).then(|| Filter::new_ranged(from, to));
        needed
            .iter()
            .map(|&i| {
                let (name, field) = self.schema.get_at_index(i)?;
                let Some(chunks) = md.columns_under_root_iter(name) else {
                    let t = DataType::from_arrow_field(field);
                    return Some(Column::full_null(name.clone(), to - from, &t));
                };
                let mut pages = Vec::new();
                let mut types = Vec::new();
                for c in chunks {
                    pages.push(BasicDecompressor::new(self.pages(c)?, vec![]));
                    types.push(&c.descriptor().descriptor.primitive_type);
                }
                let (arrays, _) =
                    column_iter_to_arrays(pages, types, field.clone(), filter.clone()).ok()?;
                let s = Series::try_from((field, arrays)).ok()?;
                (s.len() == to - from).then(|| s.into_column())
            })
            .collect()
    }

    fn visit<S: Send>(
        &self,
        pieces: &[(usize, usize, usize)],
        needed: &[usize],
        kinds: &[Slot],
        init: &(impl Fn(usize) -> S + Sync),
        visit: &(impl Fn(&mut S, &Cells<'_>, &Stamps) + Sync),
    ) -> Option<(Vec<S>, u64)> {
        on_pieces(pieces.len(), init, |k, st| {
            let (g, from, to) = pieces[k];
            let columns = self.decode(g, from, to, needed).ok_or(Irregular)?;
            visit_rows(&columns, kinds, to - from, st, visit)
        })
        .ok()
    }
}

/// A file read in batches of whole row groups ([`batch_rows`]): polars decodes the next
/// batch while this one's rows are visited in pieces on every core. For a file of fewer
/// pieces than [`Groups`] needs to keep every core busy (a file of one row group whose pages
/// are too large to read in parts).
fn batched<S: Send>(
    src: &Source,
    needed: &[usize],
    kinds: &[Slot],
    init: &(impl Fn(usize) -> S + Sync),
    visit: &(impl Fn(&mut S, &Cells<'_>, &Stamps) + Sync),
) -> Option<(Vec<S>, u64)> {
    let sel: Vec<Expr> = needed
        .iter()
        .zip(kinds)
        .enumerate()
        .map(|(k, (&i, &kind))| {
            let e = col(src.headers[i].as_str());
            // Polars' text for the kinds this reader does not write.
            let e = if kind == Slot::Text(TextKind::Other) {
                e.cast(DataType::String)
            } else {
                e
            };
            e.alias(format!("__v{k}"))
        })
        .collect();
    let p = src.path.to_string_lossy().to_string();
    let lf = LazyFrame::scan_parquet(PlRefPath::from(p.as_str()), ScanArgsParquet::default())
        .ok()?
        .select(sel);
    let mut states: Vec<S> = Vec::new();
    let mut rows = 0u64;
    let batches = batches(&src.path, batch_rows())?;
    // The next batch is decoded while this one is visited (one batch ahead at most).
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Option<DataFrame>>(1);
        s.spawn(move || {
            for (at, len) in batches {
                let df = lf.clone().slice(at as i64, len as IdxSize).collect();
                let Ok(df) = df else {
                    let _ = tx.send(None);
                    return;
                };
                if tx.send(Some(df)).is_err() {
                    return;
                }
            }
        });
        for df in rx {
            let df = df?;
            let n = df.height();
            let columns: Vec<Column> = (0..kinds.len())
                .map(|k| df.column(&format!("__v{k}")).ok().cloned())
                .collect::<Option<_>>()?;
            let parts = if n < 4096 {
                1
            } else {
                (threads() * 4).max(n.div_ceil(BATCH_PIECE_ROWS))
            };
            let base = states.len();
            let (mut got, _) = on_pieces(parts, &|k| init(base + k), |k, st| {
                let (a, b) = (n * k / parts, n * (k + 1) / parts);
                let part: Vec<Column> = columns.iter().map(|c| c.slice(a as i64, b - a)).collect();
                visit_rows(&part, kinds, b - a, st, visit)
            })
            .ok()?;
            states.append(&mut got);
            rows += n as u64;
        }
        Some(())
    })?;
    Some((states, rows))
}

/// Rows of a piece of a batch at most (and at least 4 pieces per thread in a batch).
const BATCH_PIECE_ROWS: usize = 1 << 16;

/// Visits the `n` rows of `columns` (the needed columns, in order, typed as polars types
/// them) as text cells and stamps.
fn visit_rows<S>(
    columns: &[Column],
    kinds: &[Slot],
    n: usize,
    st: &mut S,
    visit: &impl Fn(&mut S, &Cells<'_>, &Stamps),
) -> Result<u64, Irregular> {
    let mut texts: Vec<Option<StringChunked>> = Vec::with_capacity(kinds.len());
    let mut made: Vec<Written> = Vec::with_capacity(kinds.len());
    let mut values: Vec<Option<Int64Chunked>> = Vec::with_capacity(kinds.len());
    for (c, &slot) in columns.iter().zip(kinds) {
        let mut w = Written::default();
        let (mut text, mut value) = (None, None);
        match slot {
            Slot::Stamp(_) => {
                let v = c.to_physical_repr().cast(&DataType::Int64);
                value = Some(
                    v.map_err(|_| Irregular)?
                        .i64()
                        .map_err(|_| Irregular)?
                        .clone(),
                );
            }
            Slot::Text(kind) if kind.written() => w.write(c, kind).map_err(|_| Irregular)?,
            Slot::Text(TextKind::Other) if c.dtype() != &DataType::String => {
                let c = c.cast(&DataType::String).map_err(|_| Irregular)?;
                text = Some(c.str().map_err(|_| Irregular)?.clone());
            }
            Slot::Text(_) => text = Some(c.str().map_err(|_| Irregular)?.clone()),
        }
        texts.push(text);
        made.push(w);
        values.push(value);
    }
    let mut its: Vec<_> = texts
        .iter()
        .zip(&made)
        .map(|(t, w)| match t {
            Some(t) => Either::Left(t.iter()),
            None => Either::Right(w.cells()),
        })
        .collect();
    let mut cells: Vec<Option<Cow<'_, str>>> = vec![None; kinds.len()];
    let typed: Vec<(usize, TextKind)> = kinds
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s, Slot::Stamp(_)))
        .map(|(k, s)| (k, s.kind()))
        .collect();
    let mut stamp_its: Vec<_> = typed
        .iter()
        .map(|&(k, _)| values[k].as_ref().map(|v| v.iter()))
        .collect::<Option<_>>()
        .ok_or(Irregular)?;
    let mut stamps: Vec<Option<Stamp>> = if typed.is_empty() {
        Vec::new()
    } else {
        vec![None; kinds.len()]
    };
    for _ in 0..n {
        for (c, it) in cells.iter_mut().zip(its.iter_mut()) {
            *c = it.next().flatten().map(Cow::Borrowed);
        }
        for (&(k, kind), it) in typed.iter().zip(stamp_its.iter_mut()) {
            stamps[k] = it.next().flatten().map(|value| Stamp { value, kind });
        }
        visit(st, &cells, &stamps);
    }
    Ok(n as u64)
}

/// Each piece's or batch's columns are buffers of megabytes that glibc would map and unmap anew for
/// every batch (a page fault per 4 KiB each time: a quarter of the run's CPU time on 10M
/// survey responses). Freed memory up to 256 MiB is kept for the next batch instead.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets two parameters of glibc's allocator; it is called before
    // this reader's threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 512 << 20);
    }
}

/// The batches of rows (first row, rows) a file is read in: whole row groups, as many as
/// make `target` rows. A row group is never cut: polars would decode it again for each
/// part (a file written as one row group of 2M rows took 8× as long read in slices).
pub fn batches(path: &std::path::Path, target: usize) -> Option<Vec<(u64, u64)>> {
    let file = std::fs::File::open(path).ok()?;
    let mut reader = ParquetReader::new(file);
    let groups: Vec<u64> = reader
        .get_metadata()
        .ok()?
        .row_groups
        .iter()
        .map(|g| g.num_rows() as u64)
        .collect();
    let target = target as u64;
    let mut out: Vec<(u64, u64)> = Vec::new();
    let (mut at, mut len) = (0u64, 0u64);
    for g in groups {
        len += g;
        if len >= target {
            out.push((at, len));
            (at, len) = (at + len, 0);
        }
    }
    if len > 0 || out.is_empty() {
        out.push((at, len));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::{date_text, instant_text, Ascii, Days};

    #[test]
    fn instants_are_written_as_chrono_writes_them() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for k in 0..200_000i64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Seconds from year 1 to 9999, fractions of each unit (often none).
            let secs = (x % 315_537_897_600) as i64 - 62_135_596_800;
            let (digits, per) = [(3, 1_000i64), (6, 1_000_000), (9, 1_000_000_000)][k as usize % 3];
            let frac = if k % 4 == 0 {
                0
            } else {
                (x >> 20) as i64 % per
            };
            let mut mine = String::new();
            instant_text(&mut mine, secs, frac, digits);
            mine.push('Z');
            let nanos = (frac * (1_000_000_000 / per)) as u32;
            let t = chrono::DateTime::from_timestamp(secs, nanos).unwrap();
            let want = t.format("%Y-%m-%dT%H:%M:%S%.fZ").to_string();
            assert_eq!(mine, want, "{secs} {frac}/{per}");
        }
    }

    #[test]
    fn dates_are_written_as_chrono_writes_them() {
        // Worked out each time, and from a table of the days around them (years 0 and
        // 10000 are outside the table's four digits).
        let table = Days::new(Some(-719_600), Some(-719_600 + 65_535));
        let late = Days::new(Some(2_932_896 - 40_000), Some(2_932_896 + 1_000));
        for days in (-719_162i64..2_932_896).step_by(7) {
            let mut mine = String::new();
            date_text(&mut mine, days);
            let d = chrono::NaiveDate::from_num_days_from_ce_opt((days + 719_163) as i32).unwrap();
            let want = d.format("%Y-%m-%d").to_string();
            assert_eq!(mine, want, "{days}");
            for t in [&table, &late] {
                let mut a = Ascii::new();
                a.date(days, t);
                assert_eq!(a.as_text(), want, "{days}");
            }
        }
        let mut a = Ascii::new();
        a.date(2_932_897, &late);
        assert_eq!(a.as_text(), "10000-01-01");
    }
}
