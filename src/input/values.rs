//! Reading cell values (SPEC 4): blanks, integers and labelled integers, amounts, and the
//! count of placeholder dates in time columns.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use anyhow::Result;
use polars::prelude::*;

use crate::error::err;
use crate::input::{FrameCol, Source};
use crate::time::is_placeholder_date;

/// `str::trim` with a shortcut for the usual cell, whose ends are printable ASCII: only the
/// rest pays for the Unicode whitespace rules (this runs several times on every cell).
#[inline]
pub fn trim(s: &str) -> &str {
    match s.as_bytes() {
        [f, .., l] if f.is_ascii_graphic() && l.is_ascii_graphic() => s,
        [c] if c.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// Blank: empty or whitespace-only, or one of the extra "no answer" texts.
#[inline]
pub fn is_blank(s: &str, na: &[String]) -> bool {
    let t = trim(s);
    t.is_empty() || (!na.is_empty() && na.iter().any(|n| n == t))
}

/// Result of reading an integer-valued cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntCell {
    Int(i64),
    /// A number that is not an integer (`9.5`).
    NotInteger,
    /// Not a number at all (`n/a`, `great`).
    Invalid,
}

/// Integers may be written `9`, ` 9 `, `9.0`, `+9`, or as a label with a leading integer
/// (`10 - Extremely likely`, `5: Very satisfied`).
pub fn parse_int(s: &str) -> IntCell {
    let t = trim(s).as_bytes();
    let mut i = 0;
    let neg = match t.first() {
        Some(b'+') => {
            i = 1;
            false
        }
        Some(b'-') => {
            i = 1;
            true
        }
        _ => false,
    };
    let start = i;
    let mut v: i64 = 0;
    while i < t.len() && t[i].is_ascii_digit() {
        v = match v
            .checked_mul(10)
            .and_then(|x| x.checked_add((t[i] - b'0') as i64))
        {
            Some(x) => x,
            None => return IntCell::Invalid,
        };
        i += 1;
    }
    if i == start {
        return IntCell::Invalid;
    }
    let v = if neg { -v } else { v };
    if i == t.len() {
        return IntCell::Int(v);
    }
    // `9.0`, `9.00`: an integer; `9.5`: not.
    if t[i] == b'.' || t[i] == b',' {
        let frac = &t[i + 1..];
        if !frac.is_empty() && frac.iter().all(|b| b.is_ascii_digit()) {
            return if frac.iter().all(|&b| b == b'0') {
                IntCell::Int(v)
            } else {
                IntCell::NotInteger
            };
        }
        return IntCell::Invalid;
    }
    // A label: the integer followed by a separator and text (`10 - Extremely likely`).
    let rest = std::str::from_utf8(&t[i..]).unwrap_or("");
    let rest_trim = rest.trim_start();
    if rest_trim.len() < rest.len()
        || rest.starts_with('-')
        || rest.starts_with(':')
        || rest.starts_with('=')
    {
        let after = rest_trim
            .trim_start_matches(['-', ':', '=', '–', '—'])
            .trim_start();
        if after
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '(')
        {
            return IntCell::Int(v);
        }
    }
    IntCell::Invalid
}

/// An amount: optional currency symbol or code, thousands separators, optional sign.
/// With `decimal_comma`, `1.234,50` and `29,90` read as 1234.5 and 29.9. The symbol or code
/// (letters in runs of at most three: `USD`, `US$`, `kr`), the sign and an accounting
/// parenthesis (`(12.50)`) stand before or after the number, never inside it: `12-15`,
/// `2024-01-05` and a UUID are not amounts. A magnitude after the number (`12k`, `1.5M`,
/// `3 bn`) is no currency: such a cell is not an amount rather than 12, 1.5 or 3.
pub fn parse_amount(s: &str, decimal_comma: bool) -> Option<f64> {
    let t = s.trim();
    let start = t.find(|c: char| c.is_ascii_digit() || c == '.' || c == ',')?;
    let end = t.rfind(|c: char| c.is_ascii_digit())? + 1;
    if end <= start {
        return None;
    }
    let (pre, mid, post) = (&t[..start], &t[start..end], &t[end..]);
    let unit = post.trim_start_matches([' ', '\u{a0}']);
    let unit = &unit[..unit
        .find(|c: char| !c.is_alphabetic())
        .unwrap_or(unit.len())];
    if ["k", "m", "b", "bn", "mm", "mn"]
        .iter()
        .any(|m| unit.eq_ignore_ascii_case(m))
    {
        return None;
    }
    let mut neg = false;
    for part in [pre, post] {
        let mut letters = 0;
        for c in part.chars() {
            match c {
                '-' | '−' | '(' => {
                    if neg {
                        return None;
                    }
                    neg = true;
                }
                ')' | '+' | ' ' | '\u{a0}' => {}
                c if "$€£¥₹".contains(c) => {}
                c if c.is_alphabetic() => {
                    letters += 1;
                    if letters > 3 {
                        return None;
                    }
                    continue;
                }
                _ => return None,
            }
            letters = 0;
        }
    }
    let mut body = String::with_capacity(mid.len());
    for c in mid.chars() {
        match c {
            '0'..='9' => body.push(c),
            '.' => body.push(if decimal_comma { '_' } else { '.' }),
            ',' => body.push(if decimal_comma { '.' } else { '_' }),
            '\'' | ' ' | '\u{a0}' | '_' => {}
            _ => return None,
        }
    }
    let body: String = body.chars().filter(|&c| c != '_').collect();
    if body.is_empty() || body.matches('.').count() > 1 {
        return None;
    }
    let v: f64 = body.parse().ok()?;
    Some(if neg { -v } else { v })
}

/// Placeholder dates (SPEC 4) seen in one time column while it is parsed: their number and
/// one of their texts, for the warning. Shared by the threads of a polars pass.
#[derive(Debug, Default)]
pub struct PlaceholderCount {
    n: AtomicU64,
    text: Mutex<Option<String>>,
}

impl PlaceholderCount {
    /// Counts `cell` when it is a placeholder date; returns whether it was one.
    pub fn check(&self, cell: &str) -> bool {
        if !is_placeholder_date(cell) {
            return false;
        }
        if self.n.fetch_add(1, Ordering::Relaxed) == 0 {
            let mut t = self.text.lock().unwrap_or_else(|e| e.into_inner());
            *t = Some(cell.trim().to_string());
        }
        true
    }

    /// Counts `n` placeholders found elsewhere (a chunk of the parallel reader), `text` one
    /// of them; the first text added is kept.
    pub fn add(&self, n: u64, text: Option<&str>) {
        if n == 0 {
            return;
        }
        self.n.fetch_add(n, Ordering::Relaxed);
        let mut t = self.text.lock().unwrap_or_else(|e| e.into_inner());
        if t.is_none() {
            *t = text.map(|s| s.trim().to_string());
        }
    }

    /// How many were seen, and one of their texts.
    pub fn seen(&self) -> Option<(u64, String)> {
        let n = self.n.load(Ordering::Relaxed);
        let text = self
            .text
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .unwrap_or_default();
        (n > 0).then_some((n, text))
    }

    /// The warning for column `canon`, when it held any.
    pub fn warning(&self, canon: &str) -> Option<String> {
        self.seen()
            .map(|(n, text)| placeholder_message(canon, n, &text))
    }
}

/// `2,067 resolved_at cells hold 1900-01-01 00:00:00, a placeholder for no date: read as blank`.
pub fn placeholder_message(canon: &str, n: u64, text: &str) -> String {
    format!(
        "{} {canon} {} {text}, a placeholder for no date: read as blank",
        crate::output::table::thousands(n),
        if n == 1 { "cell holds" } else { "cells hold" }
    )
}

/// The placeholder warning for the cells of one time column already in memory.
pub fn placeholder_warning<'a>(
    canon: &str,
    cells: impl Iterator<Item = Option<&'a str>>,
) -> Option<String> {
    let count = PlaceholderCount::default();
    for c in cells.flatten() {
        count.check(c);
    }
    count.warning(canon)
}

/// SPEC 6 "bad input": when most rejected values of a column are one text (R's `NA`,
/// `#N/A`, `-`), a warning suggests `--na-values` for it. `bad` tells a rejected cell (not
/// blank, not readable); `rejected` is the number of rejected rows of the run. One extra pass
/// over that column, made only when rows were rejected.
pub fn na_hint(
    sources: &[Source],
    canon: &str,
    index: &[usize],
    rejected: u64,
    bad: impl Fn(&str) -> bool + Send + Sync + 'static,
) -> Result<Option<String>> {
    if rejected < 2 || sources.is_empty() {
        return Ok(None);
    }
    let fc = [FrameCol {
        name: "__v".into(),
        index: index.to_vec(),
    }];
    let lf = crate::input::frame(sources, &fc)?;
    let text = col("__v")
        .map(
            move |c: Column| {
                let ca = c.str()?;
                let v: StringChunked = ca
                    .iter()
                    .map(|x| x.map(str::trim).filter(|t| !t.is_empty() && bad(t)))
                    .collect();
                Ok(v.with_name("__v".into()).into_column())
            },
            |_, f| Ok(Field::new(f.name().clone(), DataType::String)),
        )
        .alias("__v");
    let df = lf
        .select([text])
        .drop_nulls(None)
        .group_by([col("__v")])
        .agg([len().alias("__n")])
        // The most frequent text; on a tie the first in text order (as `na_hint_counts`).
        .sort(
            ["__n", "__v"],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        )
        .limit(1)
        .collect()
        .map_err(|e| {
            err(format!(
                "cannot read the {canon} column again{}",
                crate::error::engine_detail(&e.into())
            ))
        })?;
    if df.height() == 0 {
        return Ok(None);
    }
    let top = df
        .column("__v")
        .ok()
        .and_then(|c| c.str().ok().and_then(|x| x.get(0).map(str::to_string)));
    let n = df
        .column("__n")
        .ok()
        .and_then(|c| c.cast(&DataType::UInt64).ok())
        .and_then(|c| c.u64().ok().and_then(|x| x.get(0)))
        .unwrap_or(0);
    Ok(top.and_then(|t| na_message(canon, &t, n, rejected)))
}

/// The `--na-values` hint when `n` of the `rejected` rows hold `text` (more than half, at
/// least two, and a text `--na-values` can take).
fn na_message(canon: &str, text: &str, n: u64, rejected: u64) -> Option<String> {
    (n >= 2 && 2 * n > rejected && !text.contains(',') && !text.contains('\'')).then(|| {
        format!(
            "{n} of the {rejected} rejected rows hold {text:?} in {canon}; if it means no answer, pass --na-values='{text}' to count them as blank"
        )
    })
}

/// [`na_hint`] from the counts of the unreadable texts (made while the rows were read).
pub fn na_hint_counts(
    canon: &str,
    counts: &std::collections::HashMap<String, u64>,
    rejected: u64,
) -> Option<String> {
    top_text(
        canon,
        counts.iter().map(|(t, n)| (t.as_str(), *n)),
        rejected,
    )
}

/// The hint for the most frequent unreadable text (on a tie the first in text order).
fn top_text<'a>(
    canon: &str,
    counts: impl Iterator<Item = (&'a str, u64)>,
    rejected: u64,
) -> Option<String> {
    if rejected < 2 {
        return None;
    }
    let (t, n) = counts.max_by_key(|(t, n)| (*n, std::cmp::Reverse(*t)))?;
    na_message(canon, t, n, rejected)
}

/// [`na_hint`] for the cells of one column already in memory.
pub fn na_hint_cells<'a>(
    canon: &str,
    cells: impl Iterator<Item = Option<&'a str>>,
    rejected: u64,
    bad: impl Fn(&str) -> bool,
) -> Option<String> {
    if rejected < 2 {
        return None;
    }
    let mut counts: std::collections::HashMap<&str, u64> = std::collections::HashMap::new();
    for t in cells.flatten().map(str::trim) {
        if !t.is_empty() && bad(t) {
            *counts.entry(t).or_default() += 1;
        }
    }
    top_text(canon, counts.into_iter(), rejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_and_labels() {
        assert_eq!(parse_int("9"), IntCell::Int(9));
        assert_eq!(parse_int(" 9 "), IntCell::Int(9));
        assert_eq!(parse_int("9.0"), IntCell::Int(9));
        assert_eq!(parse_int("+9"), IntCell::Int(9));
        assert_eq!(parse_int("-1"), IntCell::Int(-1));
        assert_eq!(parse_int("10 - Extremely likely"), IntCell::Int(10));
        assert_eq!(parse_int("0 - Not at all likely"), IntCell::Int(0));
        assert_eq!(parse_int("5: Very satisfied"), IntCell::Int(5));
        assert_eq!(parse_int("9.5"), IntCell::NotInteger);
        assert_eq!(parse_int("n/a"), IntCell::Invalid);
        assert_eq!(parse_int("NaN"), IntCell::Invalid);
        assert_eq!(parse_int("9x"), IntCell::Invalid);
        assert_eq!(parse_int("1-2"), IntCell::Invalid);
        assert_eq!(parse_int(""), IntCell::Invalid);
    }

    #[test]
    fn blanks() {
        assert!(is_blank("  ", &[]));
        assert!(!is_blank("NA", &[]));
        assert!(is_blank(" NA ", &["NA".to_string()]));
    }

    #[test]
    fn amounts() {
        assert_eq!(parse_amount("$1,234.50", false), Some(1234.5));
        assert_eq!(parse_amount("29,90 €", true), Some(29.9));
        assert_eq!(parse_amount("1.234,50", true), Some(1234.5));
        assert_eq!(parse_amount("-12", false), Some(-12.0));
        assert_eq!(parse_amount("abc", false), None);
        assert_eq!(parse_amount("1.2.3", false), None);
        assert_eq!(parse_amount("USD 29.90", false), Some(29.9));
        assert_eq!(parse_amount("29.90 USD", false), Some(29.9));
        assert_eq!(parse_amount("US$29", false), Some(29.0));
        assert_eq!(parse_amount("29,90 kr", true), Some(29.9));
        assert_eq!(parse_amount("(12.50)", false), Some(-12.5));
        assert_eq!(parse_amount("-$5", false), Some(-5.0));
        assert_eq!(parse_amount("$-5", false), Some(-5.0));
        assert_eq!(parse_amount("1'234.50", false), Some(1234.5));
        assert_eq!(parse_amount(".5", false), Some(0.5));
        // A sign, a code or a letter inside the number is no amount.
        assert_eq!(parse_amount("12-15", false), None);
        assert_eq!(parse_amount("2024-01-05", false), None);
        assert_eq!(
            parse_amount("00000000-0000-4000-8000-000000000001", false),
            None
        );
        assert_eq!(parse_amount("1x2", false), None);
        assert_eq!(parse_amount("--5", false), None);
        assert_eq!(parse_amount("monthly 5", false), None);
        // A magnitude is not a currency.
        for t in ["12k", "12K", "1.5M", "3 bn", "2mm", "$12k", "(4k)", "12 K"] {
            assert_eq!(parse_amount(t, false), None, "{t}");
        }
        assert_eq!(parse_amount("12 MMK", false), Some(12.0));
        assert_eq!(parse_amount("12 BRL", false), Some(12.0));
        assert_eq!(parse_amount("K 12", false), Some(12.0));
    }
}
