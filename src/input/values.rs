//! Reading cell values (SPEC 4): blanks, integers and labelled integers, amounts, and the
//! count of placeholder dates in time columns.

use anyhow::Result;
use polars::prelude::*;

use crate::error::err;
use crate::input::{FrameCol, Source};
use crate::time::is_placeholder_date;

/// Blank: empty or whitespace-only, or one of the extra "no answer" texts.
#[inline]
pub fn is_blank(s: &str, na: &[String]) -> bool {
    let t = s.trim();
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
    let t = s.trim().as_bytes();
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
/// With `decimal_comma`, `1.234,50` and `29,90` read as 1234.5 and 29.9.
pub fn parse_amount(s: &str, decimal_comma: bool) -> Option<f64> {
    let t = s.trim();
    let mut neg = false;
    let mut body = String::with_capacity(t.len());
    for c in t.chars() {
        match c {
            '0'..='9' => body.push(c),
            '-' | '−' => neg = true,
            '(' => neg = true, // accounting negatives: (12.50)
            '.' => body.push(if decimal_comma { '_' } else { '.' }),
            ',' => body.push(if decimal_comma { '.' } else { '_' }),
            '\'' | ' ' | '\u{a0}' | '_' | ')' | '+' => {}
            c if c.is_alphabetic() || "$€£¥₹".contains(c) => {}
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

/// SPEC 4 "Placeholder dates": one warning per time column holding placeholder dates
/// (`1900-01-01 00:00:00` …), which [`crate::metrics::survey::time_cell`] reads as blank.
/// `cols` pairs a canonical name with its header index in each source (`None`: not mapped).
/// One extra pass over those columns only.
pub fn placeholder_warnings(
    sources: &[Source],
    cols: &[(&str, Option<&Vec<usize>>)],
) -> Result<Vec<String>> {
    let mapped: Vec<(&str, &Vec<usize>)> = cols
        .iter()
        .filter_map(|(n, v)| v.map(|v| (*n, v)))
        .collect();
    if mapped.is_empty() || sources.is_empty() {
        return Ok(Vec::new());
    }
    let frame_cols: Vec<FrameCol> = mapped
        .iter()
        .enumerate()
        .map(|(i, (_, v))| FrameCol {
            name: format!("__p{i}"),
            index: (*v).clone(),
        })
        .collect();
    let lf = crate::input::frame(sources, &frame_cols)?;
    let mut sel = Vec::with_capacity(2 * mapped.len());
    for fc in &frame_cols {
        let name: PlSmallStr = fc.name.as_str().into();
        let mask = col(fc.name.as_str()).map(
            move |c: Column| {
                let ca = c.str()?;
                let v: BooleanChunked = ca
                    .iter()
                    .map(|x| Some(x.is_some_and(is_placeholder_date)))
                    .collect();
                Ok(v.with_name(name.clone()).into_column())
            },
            |_, f| Ok(Field::new(f.name().clone(), DataType::Boolean)),
        );
        sel.push(
            mask.clone()
                .cast(DataType::UInt64)
                .sum()
                .alias(format!("{}_n", fc.name)),
        );
        sel.push(
            col(fc.name.as_str())
                .filter(mask)
                .first()
                .alias(format!("{}_t", fc.name)),
        );
    }
    let df = lf.select(sel).collect().map_err(|e| {
        let names: Vec<&str> = sources.iter().map(|s| s.display.as_str()).collect();
        err(format!(
            "{}: cannot read: {}",
            names.join(", "),
            crate::error::render(&e.into())
        ))
    })?;
    let mut out = Vec::new();
    for ((canon, _), fc) in mapped.iter().zip(&frame_cols) {
        let n = df
            .column(&format!("{}_n", fc.name))
            .ok()
            .and_then(|c| c.u64().ok().and_then(|x| x.get(0)))
            .unwrap_or(0);
        if n == 0 {
            continue;
        }
        let text = df
            .column(&format!("{}_t", fc.name))
            .ok()
            .and_then(|c| {
                c.str()
                    .ok()
                    .and_then(|x| x.get(0).map(|t| t.trim().to_string()))
            })
            .unwrap_or_default();
        out.push(format!(
            "{} {canon} {} {text}, a placeholder for no date: read as blank",
            crate::output::table::thousands(n),
            if n == 1 { "cell holds" } else { "cells hold" }
        ));
    }
    Ok(out)
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
        .sort(
            ["__n"],
            SortMultipleOptions::default().with_order_descending(true),
        )
        .limit(1)
        .collect()
        .map_err(|e| err(format!("cannot read: {}", crate::error::render(&e.into()))))?;
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
    Ok(top
        .filter(|t| n >= 2 && 2 * n > rejected && !t.contains(',') && !t.contains('\''))
        .map(|t| {
            format!(
                "{n} of the {rejected} rejected rows hold {t:?} in {canon}; if it means no answer, pass --na-values='{t}' to count them as blank"
            )
        }))
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
    }
}
