//! What one row of an export is made of and can end as: its status (SPEC 6 row
//! accounting), why it was rejected, `--where` filters and time cells. Shared by every
//! metric family; the families' rules (in `metrics`) decide, the pipeline counts.

use crate::input::values::is_blank;
use crate::time::TimeParser;

/// What one data row ends as (SPEC 6 row accounting): every row of every input is counted
/// once, so rows = used + blank + rejected + filtered + duplicate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Status {
    Used = 0,
    Blank = 1,
    Rejected = 2,
    Filtered = 3,
    Duplicate = 4,
}

impl Status {
    /// From the low nibble of a packed outcome (the polars passes pack the status with
    /// flags into one integer); an unknown code counts as a duplicate.
    pub fn from_code(code: u8) -> Status {
        match code & 0x0F {
            USED => Status::Used,
            BLANK => Status::Blank,
            REJECTED => Status::Rejected,
            FILTERED => Status::Filtered,
            _ => Status::Duplicate,
        }
    }
}

// The statuses as the codes the packed outcomes carry.
pub const USED: u8 = Status::Used as u8;
pub const BLANK: u8 = Status::Blank as u8;
pub const REJECTED: u8 = Status::Rejected as u8;
pub const FILTERED: u8 = Status::Filtered as u8;
pub const DUPLICATE: u8 = Status::Duplicate as u8;
/// Flags next to the status: the row's time was a naive local time in a DST gap / overlap.
pub const FLAG_DST_GAP: u8 = 0x10;
pub const FLAG_DST_AMBIGUOUS: u8 = 0x20;

/// Packed time cell: `ms × 4 + note`, or one of these sentinels.
pub const TS_BLANK: i64 = i64::MIN;
pub const TS_BAD: i64 = i64::MIN + 1;
pub const NO_PERIOD: i32 = i32::MIN;

pub fn pack_ts(ms: i64, note: u8) -> i64 {
    ms.saturating_mul(4) + note as i64
}
pub fn unpack_ts(t: i64) -> (i64, u8) {
    (t.div_euclid(4), t.rem_euclid(4) as u8)
}

/// Parse a time cell into the packed form.
pub fn time_cell(parser: &TimeParser, cell: Option<&str>, na: &[String]) -> i64 {
    let Some(s) = cell else {
        return TS_BLANK;
    };
    // The usual shape, read at once (an `--na-values` text of that shape stays blank).
    if let Some(ms) = parser.parse_common(s.as_bytes()) {
        if !na.iter().any(|n| n == s) {
            return pack_ts(ms, 0);
        }
    }
    if is_blank(s, na) || crate::time::is_placeholder_date(s) {
        return TS_BLANK;
    }
    match parser.parse(s) {
        Ok((ms, note)) => pack_parsed(ms, note),
        Err(()) => TS_BAD,
    }
}

/// A parsed time in the packed form of [`time_cell`].
pub fn pack_parsed(ms: i64, note: crate::time::TsNote) -> i64 {
    pack_ts(
        ms,
        match note {
            crate::time::TsNote::None => 0,
            crate::time::TsNote::DstGap => 1,
            crate::time::TsNote::DstAmbiguous => 2,
        },
    )
}

/// A cell a metric reads as a time, packed as [`time_cell`] packs it: the typed value when
/// the reader gave one (a DATE or TIMESTAMP of a Parquet file), else the text.
pub fn time_slot(
    parser: &TimeParser,
    cell: Option<&str>,
    stamp: Option<&crate::input::parquet::Stamp>,
    na: &[String],
) -> i64 {
    match stamp {
        Some(s) => s.packed(parser, na),
        None => time_cell(parser, cell, na),
    }
}

/// `--where COL=VALUE` / `COL!=VALUE`, grouped per column.
#[derive(Clone, Debug, Default)]
pub struct WhereCol {
    pub name: String,
    pub equals: Vec<String>,
    pub not_equals: Vec<String>,
}

impl WhereCol {
    pub fn keeps(&self, cell: Option<&str>) -> bool {
        let t = cell.map(crate::input::values::trim).unwrap_or("");
        (self.equals.is_empty() || self.equals.iter().any(|v| v == t))
            && !self.not_equals.iter().any(|v| v == t)
    }
}

/// Why a row was rejected: a stable code, the canonical column it was rejected at (empty
/// for the record as a whole, e.g. too few fields) and a detail (SPEC 9).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    pub code: &'static str,
    pub column: &'static str,
    pub detail: String,
}
